"""Custodial keys for the people a legacy register names, derived, never stored.

A land or company party must bind a key, and binding needs that key's signature. The people in a
legacy register have no keys yet, so the registry holds one for each of them in custody until they
claim it: the key of party `p` in app `a` is the Ed25519 key whose seed is

    HMAC-SHA256(custody secret, "govledger/import/custody/v1" 0x00 a 0x00 p)

The custody secret (32 random bytes, a file readable by the import operator only) is the one thing to
protect: with it, every custodial key can be re-derived, so a re-run signs exactly as the first run
did and nothing per person is ever written to disk. A person claims their party by an in-person
identity check and the app's key recovery (`land.recover_party_keys`, `company.rebind_party_keys`),
after which the custodial key is worthless. Lose the secret and the registrar rebinds every
unclaimed party the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError

CUSTODY_DOMAIN = b"govledger/import/custody/v1\x00"
SECRET_BYTES = 32


class Custody:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < SECRET_BYTES:
            raise GovledgerError(
                "import.bad_custody_secret", f"a custody secret has at least {SECRET_BYTES} bytes"
            )
        self._secret = bytes(secret)
        self._cache: dict[tuple[str, str], SigningKey] = {}

    def key(self, app: str, party_id: str) -> SigningKey:
        """The custodial key of `party_id` in `app` (memoised for the current batch's reuse)."""
        k = self._cache.get((app, party_id))
        if k is None:
            message = CUSTODY_DOMAIN + app.encode() + b"\x00" + party_id.encode()
            seed = hmac.new(self._secret, message, hashlib.sha256).digest()
            k = SigningKey.from_private_bytes(Scheme.ED25519, seed)
            if len(self._cache) >= 10_000:
                self._cache.clear()
            self._cache[(app, party_id)] = k
        return k

    def key_id(self, app: str, party_id: str) -> bytes:
        return self.key(app, party_id).public_key.key_id()

    @classmethod
    def load(cls, path: Path) -> Custody:
        try:
            return cls(path.read_bytes())
        except OSError as exc:
            raise GovledgerError("import.bad_custody_secret", f"cannot read {path}: {exc.strerror}") from None

    @staticmethod
    def create(path: Path) -> None:
        """Write a new random secret, readable by its owner only; never overwrites."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise GovledgerError(
                "import.custody_exists", f"{path} exists; a custody secret is never replaced"
            ) from None
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(SECRET_BYTES))
