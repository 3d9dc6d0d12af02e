"""A node's TLS identity, bound to its Ed25519 node key.

This module owns the mapping between the ledger's notion of a node (an Ed25519 `SigningKey`, named by
its 20-byte key id) and what TLS understands (an X.509 certificate and a private key file):

- The certificate is self-signed and its subject public key IS the node key: the TLS handshake's
  CertificateVerify therefore proves possession of the very key the validator set names. No CA is
  involved; peers pin each other's certificates (see `net/transport.py`).
- The certificate is a pure function of the key (fixed serial derived from the key id, fixed validity
  window, deterministic Ed25519 signature), so every operator who holds the same seed regenerates
  byte-identical PEM and the certificate other validators pinned never goes stale.
- The subject CN is the key id in hex. It is informational only: identity is always derived from the
  certificate's public key (`peer_key_id`), never from a name an attacker may choose.
- Python's `ssl` loads keys only from files. The files are written with 0600 permissions, and the key
  PEM is encrypted (PKCS#8) with a random password that stays in memory: the node's key file is
  encrypted at rest (`crypto/keyfile.py`) and a plaintext copy on disk would undo that.
  `load_into` writes to a private temporary directory and deletes it once the context has loaded.

Bounds: certificates parsed from peers are at most `CERT_BYTES_MAX`; only Ed25519 keys are accepted.
"""

from __future__ import annotations

import datetime
import os
import secrets
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govledger.crypto.signatures import PublicKey, Scheme, SigningKey
from govledger.errors import GovledgerError

__all__ = [
    "CERT_BYTES_MAX",
    "NodeIdentity",
    "PeerIdentityError",
    "TlsFiles",
    "certificate_key_id",
    "peer_key_id",
]

CERT_BYTES_MAX = 16 * 1024
"""Our certificates are ~400 bytes DER; anything far larger is not one of ours."""

# RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration". Trust is carried by the key
# being in the validator set (the allow-list), not by a validity window, so the certificate never
# expires; revoking a node means removing its key from the allow-list.
_NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_NOT_AFTER = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


class PeerIdentityError(GovledgerError):
    """A peer certificate that does not name an Ed25519 node key."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Where `write_pem` put the files, and the password of the key file (None if unencrypted)."""

    cert_path: Path
    key_path: Path
    password: bytes | None


class NodeIdentity:
    """The TLS identity of this node: its Ed25519 key and the self-signed certificate over it."""

    __slots__ = ("_cert", "_cert_pem", "_key_id", "_private", "_public_key")

    def __init__(self, signing_key: SigningKey) -> None:
        if signing_key.scheme != Scheme.ED25519:
            # TLS 1.3 in OpenSSL signs with Ed25519, not ML-DSA; a hybrid key's id would also differ
            # from the id of its Ed25519 half, so peers could not be matched to validator entries.
            raise GovledgerError(
                "net.unsupported_node_key", f"node TLS keys must be Ed25519, not {signing_key.scheme.name}"
            )
        self._private = Ed25519PrivateKey.from_private_bytes(signing_key.private_bytes())
        self._public_key = signing_key.public_key
        self._key_id = signing_key.public_key.key_id()
        self._cert = _build_certificate(self._private, self._key_id)
        self._cert_pem = self._cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_id(self) -> bytes:
        """20-byte key id of the node key (`PublicKey.key_id()`); the peer id other nodes see."""
        return self._key_id

    @property
    def public_key(self) -> PublicKey:
        return self._public_key

    @property
    def certificate(self) -> x509.Certificate:
        return self._cert

    @property
    def certificate_pem(self) -> bytes:
        """The PEM other validators pin; identical on every regeneration from the same seed."""
        return self._cert_pem

    def write_pem(self, directory: Path, password: bytes | None = None) -> TlsFiles:
        """Write `node.crt` and `node.key` (PKCS#8, encrypted if `password`) into `directory`, 0600."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        cert_path = directory / "node.crt"
        key_path = directory / "node.key"
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        key_pem = self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        _write_private(cert_path, self._cert_pem)
        _write_private(key_path, key_pem)
        return TlsFiles(cert_path, key_path, password or None)

    def load_into(self, context: ssl.SSLContext) -> None:
        """Load certificate and key into `context`, leaving no key material on disk afterwards."""
        password = secrets.token_bytes(32)
        with tempfile.TemporaryDirectory(prefix="govledger-tls-") as tmp:  # created 0700
            files = self.write_pem(Path(tmp), password)
            context.load_cert_chain(files.cert_path, files.key_path, password=password)

    def __repr__(self) -> str:
        return f"NodeIdentity(id={self._key_id.hex()})"


def certificate_key_id(certificate: bytes) -> bytes:
    """Key id of the Ed25519 key in a PEM or DER certificate; raises PeerIdentityError otherwise."""
    if not isinstance(certificate, bytes | bytearray) or len(certificate) > CERT_BYTES_MAX:
        raise PeerIdentityError("net.bad_certificate", "certificate missing or larger than allowed")
    data = bytes(certificate)
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if data.lstrip().startswith(b"-----BEGIN")
            else x509.load_der_x509_certificate(data)
        )
    except ValueError as exc:
        raise PeerIdentityError("net.bad_certificate", f"certificate does not parse: {exc}") from None
    return _key_id_of(cert)


def peer_key_id(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> bytes:
    """Key id of the Ed25519 key in the certificate the peer presented in a completed handshake."""
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise PeerIdentityError("net.no_peer_certificate", "peer presented no certificate")
    return certificate_key_id(der)


def _key_id_of(cert: x509.Certificate) -> bytes:
    try:
        public = cert.public_key()
    except ValueError as exc:
        raise PeerIdentityError("net.bad_certificate", f"certificate key does not parse: {exc}") from None
    if not isinstance(public, Ed25519PublicKey):
        raise PeerIdentityError("net.bad_certificate", f"peer key is {type(public).__name__}, not Ed25519")
    return PublicKey(scheme=int(Scheme.ED25519), key=public.public_bytes_raw()).key_id()


def _build_certificate(private: Ed25519PrivateKey, key_id: bytes) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, key_id.hex())])
    public = private.public_key()
    # RFC 5280 caps serials at 20 octets and requires them positive: 159 bits of the key id fit both.
    serial = (int.from_bytes(key_id, "big") >> 1) or 1
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        # Not a CA: a validator's certificate must never vouch for another key. (Peers are matched by
        # the leaf's own key anyway, so even a CA-flagged anchor could not impersonate another node.)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    # Ed25519 signs without a separate digest; its signatures are deterministic, hence so is the cert.
    return builder.sign(private, None)


def _write_private(path: Path, data: bytes) -> None:
    # O_CREAT with 0600 sets the mode for a new file; fchmod fixes a pre-existing one before writing;
    # O_NOFOLLOW refuses a planted symlink that would redirect the key elsewhere.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
