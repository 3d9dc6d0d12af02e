"""Building signed transactions: `TxBuilder(chain_id).tx(app, op, body, keys, current_height=...)`.

Each transaction gets a random 64-bit nonce (`secrets`), so equal bodies make distinct transactions,
and an expiry `expiry_in` blocks after `current_height` (at most `ledger.tx.MAX_TX_TTL_BLOCKS`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from govledger.codec import Record, encode
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.ledger.tx import MAX_TX_TTL_BLOCKS, Transaction, build

DEFAULT_EXPIRY_BLOCKS = 1000


class TxBuilder:
    def __init__(self, chain_id: str) -> None:
        self.chain_id = chain_id

    def tx(
        self,
        app: str,
        op: str,
        body: Record | bytes,
        keys: Sequence[SigningKey],
        *,
        current_height: int,
        expiry_in: int = DEFAULT_EXPIRY_BLOCKS,
        nonce: int | None = None,
    ) -> Transaction:
        """A transaction signed by every key in `keys`, in order (the first is the attesting signer)."""
        if not keys:
            raise GovledgerError("tx.no_signers", "a transaction needs at least one signing key")
        if not 1 <= expiry_in <= MAX_TX_TTL_BLOCKS:
            raise GovledgerError("tx.expiry_too_far", f"expiry_in must be 1..{MAX_TX_TTL_BLOCKS} blocks")
        return build(
            self.chain_id,
            app,
            op,
            body if isinstance(body, bytes) else encode(body),
            keys,
            nonce=secrets.randbits(64) if nonce is None else nonce,
            expiry_height=current_height + expiry_in,
        )

    def raw(
        self,
        app: str,
        op: str,
        body: Record | bytes,
        keys: Sequence[SigningKey],
        *,
        current_height: int,
        expiry_in: int = DEFAULT_EXPIRY_BLOCKS,
    ) -> bytes:
        """Like `tx`, but the canonical bytes ready to submit."""
        return encode(self.tx(app, op, body, keys, current_height=current_height, expiry_in=expiry_in))
