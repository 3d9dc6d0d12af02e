"""The ledger as the verifier's status source: document stores and token registries answer for
`govledger.documents.verify` (which knows nothing of the ledger).

`LedgerStatusSource(view)` reads the documents app's keys from any state view: in-process over a
node's committed state, or over a view rebuilt from a query answer whose every key carries a
sparse-Merkle proof against a signed header (the SDK checks those proofs before building the view).
Addresses arrive as `0x` hex in any case, as documents write them.
"""

from __future__ import annotations

import re

from govledger.apps.documents import store
from govledger.documents.verify import HashStatus, TokenStatus
from govledger.ledger.app import AppView

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _address(text: str) -> bytes:
    if not _ADDRESS.match(text):
        raise ValueError(f"not a 0x address: {text!r}")
    return bytes.fromhex(text[2:])


def _hash(text: str) -> bytes:
    if not _HASH.match(text):
        raise ValueError(f"not a 64-hex-digit hash: {text!r}")
    return bytes.fromhex(text)


class LedgerStatusSource:
    """Implements `govledger.documents.verify.StatusSource` over the documents app's state."""

    def __init__(self, view: AppView) -> None:
        self._view = view

    def hash_status(self, store_address: str, hash_hex: str) -> HashStatus:
        address, h = _address(store_address), _hash(hash_hex)
        if store.get_store(self._view, address) is None:
            return HashStatus(store_known=False)
        issued = store.get_issuance(self._view, address, h)
        revoked = store.get_revocation(self._view, address, h)
        return HashStatus(
            store_known=True,
            issued=issued is not None,
            issued_height=issued.height if issued else 0,
            issued_time_ms=issued.time_ms if issued else 0,
            revoked=revoked is not None,
            revoked_height=revoked.height if revoked else 0,
            revoked_time_ms=revoked.time_ms if revoked else 0,
            reason=revoked.reason if revoked else "",
        )

    def token_status(self, registry: str, token_id: str) -> TokenStatus:
        address, tid = _address(registry), _hash(token_id)
        if store.get_registry(self._view, address) is None:
            return TokenStatus(registry_known=False)
        t = store.get_token(self._view, address, tid)
        if t is None:
            return TokenStatus(registry_known=True)
        return TokenStatus(
            registry_known=True,
            minted=True,
            state=t.state,
            holder=t.holder.hex(),
            beneficiary=t.beneficiary.hex(),
            minted_height=t.minted_height,
        )
