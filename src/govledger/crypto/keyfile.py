"""Private signing keys encrypted at rest under a passphrase (scrypt + AES-256-GCM, JSON file), and
the same sealing for any other secret bytes (`seal` / `unseal`, e.g. a guardian's election state).

This module owns the on-disk key file format. The file is a JSON object so an operator can see
which key it holds (scheme, public key, key id) without the passphrase:

    {"version": 1, "scheme": 1, "public_key": b64, "key_id": hex,
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": b64, "check": b64},
     "cipher": {"name": "aes-256-gcm", "nonce": b64, "ciphertext": b64}}

Design:
- scrypt derives 48 bytes: an AES-256 key and a 16-byte passphrase check value stored in the file.
  The check value tells a wrong passphrase (`keyfile.wrong_passphrase`) from a modified file
  (`keyfile.malformed`); it gives an attacker nothing that the GCM tag did not already give.
- Every header field is bound as AES-GCM associated data, so swapping the public key, key id,
  scheme or KDF parameters fails authentication, and the decrypted key must still reproduce the
  stated public key.
- Decryption caps the scrypt cost (`MAX_SCRYPT_N`, r, p) before deriving anything, so a hostile
  file cannot make the node allocate gigabytes or spin for minutes.
- The plaintext is the scheme's seed (`SigningKey.private_bytes`), never an expanded key.
- This is a local file format, not a wire type, hence plain msgspec Structs keyed by name rather
  than `codec.Record` arrays.
"""

from __future__ import annotations

import hmac
import json
import os
import unicodedata
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govledger import codec
from govledger.crypto.signatures import (
    PRIVATE_KEY_SIZES,
    PUBLIC_KEY_SIZES,
    PublicKey,
    Scheme,
    SigningKey,
)
from govledger.errors import GovledgerError

__all__ = [
    "DEFAULT_SCRYPT_N",
    "MAX_SCRYPT_N",
    "decrypt_key",
    "encrypt_key",
    "seal",
    "sealed_public",
    "unseal",
]

VERSION = 1
DEFAULT_SCRYPT_N = 2**15
# 128 * n * r bytes: 2**20 with r = 8 is 1 GiB and about 5 s, the most any key file may demand.
MAX_SCRYPT_N = 2**20
_SCRYPT_R = 8
_SCRYPT_P = 1
_MAX_SCRYPT_R = 8
_MAX_SCRYPT_P = 4
_MAX_FILE_BYTES = 64 * 1024
_SALT_BYTES = 16
_NONCE_BYTES = 12
_CHECK_BYTES = 16
_TAG_BYTES = 16
_AAD_DOMAIN = b"govledger/keyfile/v1\x00"


class _Kdf(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    n: int
    r: int
    p: int
    salt: bytes
    check: bytes


class _Cipher(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    nonce: bytes
    ciphertext: bytes


class _KeyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: int
    scheme: int
    public_key: bytes
    key_id: str
    kdf: _Kdf
    cipher: _Cipher


_file_decoder = msgspec.json.Decoder(_KeyFile, strict=True)


def _malformed(message: str) -> GovledgerError:
    return GovledgerError("keyfile.malformed", message)


def _aad(doc: _KeyFile) -> bytes:
    # Built from the parsed values, not the JSON text, so whitespace or key order never matter.
    return _AAD_DOMAIN + codec.encode(
        [
            doc.version,
            doc.scheme,
            doc.public_key,
            doc.key_id,
            doc.kdf.name,
            doc.kdf.n,
            doc.kdf.r,
            doc.kdf.p,
            doc.kdf.salt,
            doc.cipher.name,
        ]
    )


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    # NFC so the same passphrase typed on systems that compose accents differently derives one key.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    out = Scrypt(salt=salt, length=32 + _CHECK_BYTES, n=n, r=r, p=p).derive(secret)
    return out[:32], out[32:]


def _valid_scrypt_n(n: int) -> bool:
    return 2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0


def encrypt_key(key: SigningKey, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> bytes:
    """The key file (UTF-8 JSON) holding `key` encrypted under `passphrase`.

    `scrypt_n` must be a power of two in [2, MAX_SCRYPT_N]; only tests should lower it.
    """
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    if type(scrypt_n) is not int or not _valid_scrypt_n(scrypt_n):
        raise ValueError(f"scrypt_n must be a power of two between 2 and {MAX_SCRYPT_N}")
    public_key = key.public_key
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    aes_key, check = _derive(passphrase, salt, scrypt_n, _SCRYPT_R, _SCRYPT_P)
    header = _KeyFile(
        version=VERSION,
        scheme=public_key.scheme,
        public_key=public_key.key,
        key_id=public_key.hex_id(),
        kdf=_Kdf(name="scrypt", n=scrypt_n, r=_SCRYPT_R, p=_SCRYPT_P, salt=salt, check=check),
        cipher=_Cipher(name="aes-256-gcm", nonce=nonce, ciphertext=b""),
    )
    ciphertext = AESGCM(aes_key).encrypt(nonce, key.private_bytes(), _aad(header))
    doc = msgspec.structs.replace(
        header, cipher=_Cipher(name="aes-256-gcm", nonce=nonce, ciphertext=ciphertext)
    )
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two tools that keep different copies of a repeated field would disagree on what the file holds.
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise ValueError(f"duplicate field {name!r}")
        out[name] = value
    return out


def _parse(data: bytes) -> _KeyFile:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _malformed(f"expected bytes, got {type(data).__name__}")
    if len(data) > _MAX_FILE_BYTES:
        raise _malformed(f"key file of {len(data)} bytes is larger than {_MAX_FILE_BYTES}")
    data = bytes(data)
    # A first, untyped pass rejects duplicate fields and invalid UTF-8 and reads the version, so an
    # unknown version is reported as such rather than as a field mismatch.
    try:
        loose = json.loads(data, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        raise _malformed(f"not a key file: {exc}") from None
    if not isinstance(loose, dict):
        raise _malformed("not a key file: expected a JSON object")
    version = loose.get("version")
    if type(version) is not int:
        raise _malformed("not a key file: version must be an integer")
    if version != VERSION:
        raise _malformed(f"unsupported key file version {version}")
    try:
        return _file_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise _malformed(f"invalid key file: {exc}") from None


def _check_header(doc: _KeyFile) -> Scheme:
    try:
        scheme = Scheme(doc.scheme)
    except ValueError:
        raise _malformed(f"unknown signature scheme {doc.scheme}") from None
    if len(doc.public_key) != PUBLIC_KEY_SIZES[scheme]:
        raise _malformed(f"{scheme.name} public key must be {PUBLIC_KEY_SIZES[scheme]} bytes")
    if doc.key_id != PublicKey(scheme=doc.scheme, key=doc.public_key).hex_id():
        raise _malformed("key_id does not match public_key")
    kdf = doc.kdf
    if kdf.name != "scrypt":
        raise _malformed(f"unsupported kdf {kdf.name!r}")
    if not _valid_scrypt_n(kdf.n):
        raise _malformed(f"scrypt n must be a power of two between 2 and {MAX_SCRYPT_N}")
    if not (1 <= kdf.r <= _MAX_SCRYPT_R and 1 <= kdf.p <= _MAX_SCRYPT_P):
        raise _malformed(f"scrypt r must be in 1..{_MAX_SCRYPT_R} and p in 1..{_MAX_SCRYPT_P}")
    if not 16 <= len(kdf.salt) <= 64:
        raise _malformed("scrypt salt must be 16 to 64 bytes")
    if len(kdf.check) != _CHECK_BYTES:
        raise _malformed(f"passphrase check must be {_CHECK_BYTES} bytes")
    cipher = doc.cipher
    if cipher.name != "aes-256-gcm":
        raise _malformed(f"unsupported cipher {cipher.name!r}")
    if len(cipher.nonce) != _NONCE_BYTES:
        raise _malformed(f"aes-256-gcm nonce must be {_NONCE_BYTES} bytes")
    if len(cipher.ciphertext) != PRIVATE_KEY_SIZES[scheme] + _TAG_BYTES:
        raise _malformed(f"ciphertext has the wrong length for a {scheme.name} key")
    return scheme


def decrypt_key(data: bytes, passphrase: str) -> SigningKey:
    """The signing key in key file `data`.

    Raises GovledgerError `keyfile.wrong_passphrase` if the passphrase is wrong, and
    `keyfile.malformed` if the file is not a valid, unmodified key file of this format.
    """
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    doc = _parse(data)
    scheme = _check_header(doc)
    aes_key, check = _derive(passphrase, doc.kdf.salt, doc.kdf.n, doc.kdf.r, doc.kdf.p)
    # Compare the check value only after trying the tag: both outcomes together say whether the
    # passphrase or the file is at fault, whichever field was altered.
    check_ok = hmac.compare_digest(check, doc.kdf.check)
    try:
        seed = AESGCM(aes_key).decrypt(doc.cipher.nonce, doc.cipher.ciphertext, _aad(doc))
    except InvalidTag:
        if check_ok:
            raise _malformed("integrity check failed: the key file was modified") from None
        raise GovledgerError("keyfile.wrong_passphrase", "wrong passphrase for this key file") from None
    if not check_ok:
        raise _malformed("passphrase check value was modified")
    key = SigningKey.from_private_bytes(scheme, seed)
    if key.public_key != PublicKey(scheme=doc.scheme, key=doc.public_key):
        raise _malformed("public_key does not match the encrypted private key")
    return key


# --- sealed secrets: arbitrary bytes under a passphrase ---------------------------------------------------
#
# The same scrypt + AES-256-GCM construction as the key file, for secrets that are not signing keys
# (a guardian's polynomial coefficients and key share, say). The file carries a `label` naming what
# it holds and a `public` header the owner may read without the passphrase (which guardian, which
# election); both are bound as associated data, so neither can be swapped onto another file's
# ciphertext.

SEALED_VERSION = 1
MAX_SEALED_BYTES = 1024 * 1024
_SEALED_AAD_DOMAIN = b"govledger/sealed/v1\x00"


class _SealedFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: int
    label: str
    public: bytes
    kdf: _Kdf
    cipher: _Cipher


_sealed_decoder = msgspec.json.Decoder(_SealedFile, strict=True)


def _sealed_aad(doc: _SealedFile) -> bytes:
    k = doc.kdf
    fields = [doc.version, doc.label, doc.public, k.name, k.n, k.r, k.p, k.salt, doc.cipher.name]
    return _SEALED_AAD_DOMAIN + codec.encode(fields)


def seal(
    secret: bytes, passphrase: str, *, label: str, public: bytes = b"", scrypt_n: int = DEFAULT_SCRYPT_N
) -> bytes:
    """A sealed file (UTF-8 JSON) holding `secret` encrypted under `passphrase`.

    `label` says what the file holds (checked again by `unseal`); `public` is readable without the
    passphrase (`sealed_public`) and authenticated with the ciphertext.
    """
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    if type(scrypt_n) is not int or not _valid_scrypt_n(scrypt_n):
        raise ValueError(f"scrypt_n must be a power of two between 2 and {MAX_SCRYPT_N}")
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    aes_key, check = _derive(passphrase, salt, scrypt_n, _SCRYPT_R, _SCRYPT_P)
    header = _SealedFile(
        version=SEALED_VERSION,
        label=label,
        public=bytes(public),
        kdf=_Kdf(name="scrypt", n=scrypt_n, r=_SCRYPT_R, p=_SCRYPT_P, salt=salt, check=check),
        cipher=_Cipher(name="aes-256-gcm", nonce=nonce, ciphertext=b""),
    )
    ciphertext = AESGCM(aes_key).encrypt(nonce, bytes(secret), _sealed_aad(header))
    doc = msgspec.structs.replace(
        header, cipher=_Cipher(name="aes-256-gcm", nonce=nonce, ciphertext=ciphertext)
    )
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def _parse_sealed(data: bytes, label: str) -> _SealedFile:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _malformed(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_SEALED_BYTES:
        raise _malformed(f"sealed file of {len(data)} bytes is larger than {MAX_SEALED_BYTES}")
    data = bytes(data)
    try:
        json.loads(data, object_pairs_hook=_no_duplicate_keys)
        doc = _sealed_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError) as exc:
        raise _malformed(f"not a sealed file: {exc}") from None
    if doc.version != SEALED_VERSION:
        raise _malformed(f"unsupported sealed file version {doc.version}")
    if doc.label != label:
        raise _malformed(f"the file holds {doc.label!r}, not {label!r}")
    kdf, cipher = doc.kdf, doc.cipher
    if kdf.name != "scrypt" or not _valid_scrypt_n(kdf.n):
        raise _malformed(f"kdf must be scrypt with n a power of two between 2 and {MAX_SCRYPT_N}")
    if not (1 <= kdf.r <= _MAX_SCRYPT_R and 1 <= kdf.p <= _MAX_SCRYPT_P):
        raise _malformed(f"scrypt r must be in 1..{_MAX_SCRYPT_R} and p in 1..{_MAX_SCRYPT_P}")
    if not 16 <= len(kdf.salt) <= 64 or len(kdf.check) != _CHECK_BYTES:
        raise _malformed("bad scrypt salt or passphrase check")
    if (
        cipher.name != "aes-256-gcm"
        or len(cipher.nonce) != _NONCE_BYTES
        or len(cipher.ciphertext) < _TAG_BYTES
    ):
        raise _malformed("bad aes-256-gcm nonce or ciphertext")
    return doc


def sealed_public(data: bytes, *, label: str) -> bytes:
    """The public header of a sealed file (not yet authenticated: `unseal` checks it)."""
    return _parse_sealed(data, label).public


def unseal(data: bytes, passphrase: str, *, label: str) -> tuple[bytes, bytes]:
    """(public header, secret) of a sealed file written by `seal` with the same `label`.

    Raises GovledgerError `keyfile.wrong_passphrase` if the passphrase is wrong, and
    `keyfile.malformed` if the file is not an unmodified sealed file holding `label`.
    """
    if not isinstance(passphrase, str):
        raise TypeError("passphrase must be a str")
    doc = _parse_sealed(data, label)
    aes_key, check = _derive(passphrase, doc.kdf.salt, doc.kdf.n, doc.kdf.r, doc.kdf.p)
    check_ok = hmac.compare_digest(check, doc.kdf.check)
    try:
        secret = AESGCM(aes_key).decrypt(doc.cipher.nonce, doc.cipher.ciphertext, _sealed_aad(doc))
    except InvalidTag:
        if check_ok:
            raise _malformed("integrity check failed: the sealed file was modified") from None
        raise GovledgerError("keyfile.wrong_passphrase", "wrong passphrase for this file") from None
    if not check_ok:
        raise _malformed("passphrase check value was modified")
    return doc.public, secret
