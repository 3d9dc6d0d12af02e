"""The TLS identity: a self-signed certificate whose key is the node's Ed25519 key."""

from __future__ import annotations

import datetime
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError
from govledger.net.identity import NodeIdentity, PeerIdentityError, certificate_key_id

from .helpers import identity


def test_certificate_key_is_the_node_key() -> None:
    key = SigningKey.from_private_bytes(Scheme.ED25519, b"\x07" * 32)
    ident = NodeIdentity(key)
    cert = ident.certificate
    public = cert.public_key()
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert public.public_bytes_raw() == key.public_key.key
    assert ident.key_id == key.public_key.key_id()
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == key.public_key.key_id().hex()
    assert cert.issuer == cert.subject
    assert certificate_key_id(ident.certificate_pem) == ident.key_id
    assert certificate_key_id(cert.public_bytes(serialization.Encoding.DER)) == ident.key_id
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is False


def test_certificate_is_a_pure_function_of_the_key() -> None:
    # Peers pin the PEM; regenerating it from the same seed must give the very same bytes.
    assert identity(3).certificate_pem == identity(3).certificate_pem
    assert identity(3).certificate_pem != identity(4).certificate_pem


def test_write_pem_is_private_and_key_encrypted(tmp_path: Path) -> None:
    files = identity(1).write_pem(tmp_path / "tls", password=b"secret")
    for path in (files.cert_path, files.key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in files.key_path.read_bytes()
    loaded = serialization.load_pem_private_key(files.key_path.read_bytes(), password=b"secret")
    assert isinstance(loaded, ed25519.Ed25519PrivateKey)
    # An existing file with loose permissions is tightened, not trusted.
    files.key_path.chmod(0o644)
    identity(1).write_pem(tmp_path / "tls")
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600


def test_only_ed25519_node_keys() -> None:
    with pytest.raises(GovledgerError) as info:
        NodeIdentity(SigningKey.from_private_bytes(Scheme.ML_DSA_65, b"\x01" * 32))
    assert info.value.code == "net.unsupported_node_key"


def test_foreign_certificates_are_rejected() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecdsa")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    for data in [cert.public_bytes(serialization.Encoding.PEM), b"garbage", b"-----BEGIN x", b"x" * 20000]:
        with pytest.raises(PeerIdentityError):
            certificate_key_id(data)
