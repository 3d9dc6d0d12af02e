"""Voting: ElectionGuard 2.0 elections on the ledger (see app.py)."""
