"""The identity app: ledger DIDs, trusted-issuer registry, status lists (see app.py)."""
