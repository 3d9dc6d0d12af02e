"""A small holder wallet: receive SD-JWT VCs via OpenID4VCI, present them via OpenID4VP (see wallet.py)."""
