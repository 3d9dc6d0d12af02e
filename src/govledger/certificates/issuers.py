"""Who issues certificates: one issuer per registry, its keys and its names on the ledger.

Each registry that issues certified copies (land, companies, the civil registry) has one issuer:

- a ledger DID `did:govledger:<chain>:<registry>` whose one Ed25519 key signs SD-JWT VCs (kid
  `<did>#key-1`), opens and changes its status list, owns its document store, and is a governance
  member (`cert-issuer-<registry>`, role `issuer`) so that it alone satisfies the documents app's
  "owner + one issuer" rule and the identity app's list-owner rule;
- an OpenAttestation signer `did:ethr:<address>` (secp256k1), derived from the same seed, named in
  the DID document's `oa-signer` service so that a verifier can tie an OA document to the ledger DID;
- a document store and a status list, both named after the registry;
- a binding key (also derived) for `identity.certificates.subject_ref`, the opaque handle under which
  the ledger keeps the record's status entries.

The key lives in `<home>/keys/issuer-<registry>.key.json`, encrypted like every other key file; it is
created on first use (atomically: two processes racing both end up with the same file).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from govledger.apps.documents.store import STORE_KIND, derive_address
from govledger.crypto.keyfile import DEFAULT_SCRYPT_N, decrypt_key, encrypt_key
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.documents.sign import EthSigner, checksum_address
from govledger.errors import GovledgerError
from govledger.identity.jose import JwsSigner

OA_SIGNER_SERVICE = "oa-signer"
OA_SIGNER_TYPE = "OpenAttestationSigner"
DID_KEY_FRAGMENT = "key-1"
STATUS_LIST_SIZE = 131_072
STATUS_LIST_BITS = 2
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@dataclass(frozen=True)
class Registry:
    """A registry that issues certificates: its ids on the ledger and its public name."""

    name: str  # land | company | vital
    did_id: str
    org: str  # the governance organisation it belongs to
    display: str

    @property
    def member_id(self) -> str:
        return f"cert-issuer-{self.name}"

    @property
    def store_name(self) -> str:
        return f"{self.did_id}-certificates"

    @property
    def list_id(self) -> str:
        return f"{self.did_id}-certificates"

    @property
    def key_name(self) -> str:
        return f"issuer-{self.name}"


REGISTRIES: dict[str, Registry] = {
    r.name: r
    for r in (
        Registry("land", "land-registry", "land-registry", "National Land Registry"),
        Registry("company", "company-registry", "company-registry", "Companies House"),
        Registry("vital", "civil-registry", "civil-registry", "Civil Registry Office"),
    )
}


def _derive(seed: bytes, label: str) -> bytes:
    return hmac.new(seed, f"govledger/certificates/{label}/v1".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Issuer:
    """One registry's issuer on one chain, with its key (see the module docstring)."""

    registry: Registry
    chain_id: str
    key: SigningKey

    @property
    def did(self) -> str:
        return f"did:govledger:{self.chain_id}:{self.registry.did_id}"

    @property
    def kid(self) -> str:
        return f"{self.did}#{DID_KEY_FRAGMENT}"

    @property
    def key_id(self) -> bytes:
        return self.key.public_key.key_id()

    @cached_property
    def jws_signer(self) -> JwsSigner:
        return JwsSigner.from_ed25519_seed(self.key.private_bytes(), kid=self.kid)

    @cached_property
    def eth_signer(self) -> EthSigner:
        seed = self.key.private_bytes()
        secret = _derive(seed, "oa-signer")
        while not 0 < int.from_bytes(secret, "big") < _SECP256K1_N:  # probability ~2^-128
            secret = hashlib.sha256(secret).digest()
        return EthSigner(secret)

    @cached_property
    def binding_key(self) -> bytes:
        return _derive(self.key.private_bytes(), "subject-binding")

    @property
    def store_address(self) -> bytes:
        return derive_address(self.chain_id, STORE_KIND, self.registry.store_name)

    @property
    def store_hex(self) -> str:
        return checksum_address(self.store_address)

    def list_uri(self, public_url: str) -> str:
        return f"{public_url.rstrip('/')}/v1/certificates/status/{self.registry.list_id}"


def key_path(home: Path, registry: Registry) -> Path:
    return home / "keys" / f"{registry.key_name}.key.json"


def load_or_create_key(
    home: Path, registry: Registry, passphrase: str, scrypt_n: int = DEFAULT_SCRYPT_N
) -> SigningKey:
    """The registry issuer's key from `home`, created (mode 0600, never overwritten) if absent."""
    path = key_path(home, registry)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = encrypt_key(SigningKey.generate(Scheme.ED25519), passphrase, scrypt_n=scrypt_n)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".issuer-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # atomic "create if absent": the first file wins
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    try:
        return decrypt_key(path.read_bytes(), passphrase)
    except OSError as exc:
        raise GovledgerError("certificates.key_unreadable", f"cannot read {path}: {exc.strerror}") from None


def load_issuer(
    home: Path, chain_id: str, registry: str, passphrase: str, scrypt_n: int = DEFAULT_SCRYPT_N
) -> Issuer:
    reg = REGISTRIES.get(registry)
    if reg is None:
        raise GovledgerError("certificates.unknown_registry", f"no certificate issuer for {registry!r}")
    return Issuer(reg, chain_id, load_or_create_key(home, reg, passphrase, scrypt_n))
