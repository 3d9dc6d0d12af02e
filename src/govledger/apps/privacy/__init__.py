"""Privacy app: the on-ledger half of personal-data protection; see `govledger.apps.privacy.app`."""
