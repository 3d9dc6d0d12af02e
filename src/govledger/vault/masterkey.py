"""The vault master key: where it comes from, and the one thing it does (wrap and unwrap other keys).

Sources (the operator chooses one when the vault is created and must use it ever after):
- `KeyFile(path)`: exactly 32 random bytes in a file only its owner can read (mode 0600 or stricter);
  `create_key_file` makes one. For unattended nodes; keep the file off the vault's disk and backups.
- `Passphrase(text)`: scrypt (the parameters of govledger.crypto.keyfile) over the NFC-normalised
  passphrase and a random salt stored in the vault's metadata. For a person unlocking the vault.

What the master key protects: every data-subject key and every registry pseudonym key is stored
only wrapped (AES-256-GCM under the master key, associated data naming what the key is for), so a
copy of the vault's files without the master key yields nothing. It is *not* what erasure destroys:
erasure destroys one subject's wrapped key (govledger.vault.keyslots), the master key stays.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govledger.crypto.keyfile import DEFAULT_SCRYPT_N, MAX_SCRYPT_N
from govledger.vault.errors import fail

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
SCRYPT_R = 8
SCRYPT_P = 1
KDF_SALT_BYTES = 16
_WRAP_DOMAIN = b"govledger/vault/wrap/v1\x00"


@dataclass(frozen=True)
class KeyFile:
    path: Path


@dataclass(frozen=True)
class Passphrase:
    text: str
    scrypt_n: int = DEFAULT_SCRYPT_N  # only tests should lower it

    def __repr__(self) -> str:
        return f"Passphrase(<hidden>, scrypt_n={self.scrypt_n})"


MasterKeySource = KeyFile | Passphrase


class MasterKey:
    """32 secret bytes; wraps keys with AES-256-GCM. Its repr never shows the secret."""

    __slots__ = ("_aead",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes")
        self._aead = AESGCM(secret)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def wrap(self, key: bytes, purpose: bytes) -> bytes:
        """nonce || AES-GCM(key) bound to `purpose` (for example b"subject:" + pseudonym)."""
        assert len(key) == KEY_BYTES, "only 32-byte keys are wrapped"
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, _WRAP_DOMAIN + purpose)

    def unwrap(self, wrapped: bytes, purpose: bytes) -> bytes:
        if len(wrapped) != WRAPPED_BYTES:
            fail("vault.integrity", "a wrapped key has the wrong length")
        try:
            key = self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _WRAP_DOMAIN + purpose)
        except InvalidTag:
            fail("vault.integrity", "a wrapped key does not authenticate under the master key")
        assert len(key) == KEY_BYTES
        return key


def create_key_file(path: Path) -> None:
    """Write 32 fresh random bytes to a new file readable only by its owner (never overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)


def load_key_file(path: Path) -> bytes:
    try:
        st = path.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            fail("vault.key_file", f"{path} is accessible by group or others (chmod 600 it)")
        data = path.read_bytes()
    except OSError as exc:
        fail("vault.key_file", f"cannot read {path}: {exc.strerror}")
    if len(data) != KEY_BYTES:
        fail("vault.key_file", f"{path} must hold exactly {KEY_BYTES} bytes, not {len(data)}")
    return data


def derive_from_passphrase(passphrase: Passphrase, salt: bytes) -> bytes:
    if not passphrase.text:
        fail("vault.bad_passphrase", "the passphrase is empty")
    n = passphrase.scrypt_n
    if not (2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0):
        raise ValueError(f"scrypt_n must be a power of two between 2 and {MAX_SCRYPT_N}")
    secret = unicodedata.normalize("NFC", passphrase.text).encode("utf-8")
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(secret)
