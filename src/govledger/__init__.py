"""govledger: a permissioned BFT ledger for public registries, where every read carries a proof."""

__version__ = "0.1.0"
