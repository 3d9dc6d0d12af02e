"""State readers whose every value was proved against a header signed by the validators.

- `ProvedReader(values)`: exactly the key/values of a verified query answer; reading anything else
  is a verification failure (the certificate issuer re-runs a registry's `certificate_data` over it,
  so the record it certifies is a pure function of proved state).
- `SdkStateReader(client)`: any key, fetched on demand through the SDK (`GET /v1/state`), each proof
  checked by the SDK before the value is used, all at one height (the first read pins it). Verifiers
  that run away from the node (`govledger verify`) read DID documents, accreditations, status lists
  and document stores through it.
"""

from __future__ import annotations

from govledger.ledger.proofs import StateProof
from govledger.ledger.state import split_state_key, state_key
from govledger.sdk import Client, VerificationError

MAX_KEYS = 4096


class ProvedReader:
    def __init__(self, values: dict[bytes, bytes | None]) -> None:
        self._values = values

    @classmethod
    def of(cls, proof: StateProof) -> ProvedReader:
        """Over the entries of a proof the caller has verified."""
        return cls({state_key(e.app, e.key): e.value for e in proof.entries})

    def get(self, full_key: bytes) -> bytes | None:
        if full_key not in self._values:
            raise VerificationError("the answer depends on a key its proof does not cover")
        return self._values[full_key]

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        rows = sorted(
            (k, v)
            for k, v in self._values.items()
            if v is not None and k.startswith(prefix) and (start_after is None or k > start_after)
        )
        return rows[:limit]


class SdkStateReader:
    """Reads through a verifying SDK client, one proved key at a time, at one pinned height."""

    def __init__(self, client: Client, height: int | None = None) -> None:
        self._client = client
        self.height = height
        self._cache: dict[bytes, bytes | None] = {}

    def get(self, full_key: bytes) -> bytes | None:
        if full_key in self._cache:
            return self._cache[full_key]
        if len(self._cache) >= MAX_KEYS:
            raise VerificationError(f"a verification may read at most {MAX_KEYS} keys")
        app, key = split_state_key(full_key)
        proof = self._client.get_state_proof(app, key, self.height)
        if self.height is None:
            self.height = proof.height
        value = proof.entries[0].value if proof.entries else None
        self._cache[full_key] = value
        return value

    def scan_prefix(
        self, prefix: bytes, limit: int, start_after: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        raise VerificationError("prefix scans cannot be proved key by key; use an app query")
