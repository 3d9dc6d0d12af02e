"""The X.509 side of ISO/IEC 18013-5 mdocs: an issuing authority's IACA root certificate, the document
signer (DS) certificates it issues, and the check that a DS certificate chains to a trusted IACA.

A verifier trusts IACA certificates (a national list, or the ledger's); an issuer signs MSOs with a
DS key whose certificate travels in the MSO's `x5chain`. The profile checked here is ISO 18013-5
Annex B's core: the DS certificate carries the extended key usage id-mdl-kp-mdlDS (1.0.18013.5.1.2)
and, if it has a key usage extension, digitalSignature; every certificate on the path is signed by
the next one (the last by a trusted IACA, matched by name and signature) and valid at the time of
verification. CRLs are not fetched: revocation of a DS certificate is the trust list's business.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, ObjectIdentifier

from govledger.identity.cose import fail
from govledger.identity.jose import PrivateKeyT, PublicKeyT

MDL_DS_EKU = ObjectIdentifier("1.0.18013.5.1.2")
MAX_CHAIN = 4


def _name(common_name: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _hash_for(key: PrivateKeyT) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def iaca_certificate(
    key: PrivateKeyT, *, common_name: str, country: str, not_before: dt.datetime, not_after: dt.datetime
) -> bytes:
    """A self-signed IACA root (CA, keyCertSign + cRLSign), DER."""
    name = _name(common_name, country)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _hash_for(key))
    )
    return cert.public_bytes(Encoding.DER)


def document_signer_certificate(
    iaca_key: PrivateKeyT,
    iaca_der: bytes,
    ds_public_key: PublicKeyT,
    *,
    common_name: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> bytes:
    """A DS certificate issued by the IACA: digitalSignature, EKU mdlDS, not a CA; DER."""
    iaca = x509.load_der_x509_certificate(iaca_der)
    country = iaca.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, str(country[0].value) if country else "XX"))
        .issuer_name(iaca.subject)
        .public_key(ds_public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(iaca.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(iaca_key, _hash_for(iaca_key))
    )
    return cert.public_bytes(Encoding.DER)


def load(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
        fail("mdoc.bad_certificate", f"{what} is not a DER certificate: {str(exc)[:120]}")


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hash_alg))
        else:
            return False  # RSA IACAs are not in the 18013-5 profile
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def _valid_at(cert: x509.Certificate, at: dt.datetime, what: str) -> None:
    if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        fail(
            "mdoc.bad_certificate",
            f"{what} is valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}, "
            f"not at {at:%Y-%m-%dT%H:%M:%SZ}",
        )


def _check_ds_profile(ds: x509.Certificate) -> None:
    try:
        eku = ds.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        fail("mdoc.bad_certificate", "the document signer certificate has no extended key usage")
    if MDL_DS_EKU not in eku:  # anyExtendedKeyUsage is not enough: the profile names mdlDS
        fail("mdoc.bad_certificate", "the document signer certificate lacks the mdlDS key usage")
    try:
        usage = ds.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.digital_signature:
        fail("mdoc.bad_certificate", "the document signer certificate may not sign (key usage)")


def verify_chain(
    chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], at: dt.datetime
) -> x509.Certificate:
    """Check the DS certificate chain[0] up to a trusted IACA at time `at`; returns the anchor."""
    # Certificates parse lazily: a corrupted extension or algorithm surfaces only when read.
    try:
        return _verify_chain(chain, anchors, at)
    except (
        ValueError,
        UnsupportedAlgorithm,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        fail("mdoc.bad_certificate", f"an x5chain certificate is malformed: {str(exc)[:120]}")


def _verify_chain(
    chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], at: dt.datetime
) -> x509.Certificate:
    """Trust first (who vouches for these certificates), then validity, then the DS profile."""
    if not chain or len(chain) > MAX_CHAIN:
        fail("mdoc.bad_certificate", f"x5chain holds 1 to {MAX_CHAIN} certificates")
    for cert, issuer in itertools.pairwise(chain):
        if not _signed_by(cert, issuer):
            fail("mdoc.untrusted_issuer", "an x5chain certificate is not signed by the next one")
    last = chain[-1]
    anchor = next((a for a in anchors if last == a or _signed_by(last, a)), None)
    if anchor is None:
        fail("mdoc.untrusted_issuer", f"{last.issuer.rfc4514_string()[:120]} is not a trusted IACA")
    for i, cert in enumerate(chain):
        _valid_at(cert, at, "the document signer certificate" if i == 0 else f"x5chain certificate {i}")
    _valid_at(anchor, at, "the IACA certificate")
    _check_ds_profile(chain[0])
    return anchor
