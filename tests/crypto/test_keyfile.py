"""Encrypted key files: round trips, wrong passphrase, tampering and malformed documents."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from govledger.crypto import keyfile
from govledger.crypto.keyfile import MAX_SCRYPT_N, decrypt_key, encrypt_key
from govledger.crypto.signatures import PublicKey, Scheme, SigningKey
from govledger.errors import GovledgerError

N = 16  # tiny scrypt cost: these tests are about the format, not the KDF's strength
PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def keys() -> dict[Scheme, SigningKey]:
    return {s: SigningKey.generate(s) for s in Scheme}


@pytest.fixture(scope="module")
def ed_file(keys: dict[Scheme, SigningKey]) -> bytes:
    return encrypt_key(keys[Scheme.ED25519], PASS, scrypt_n=N)


def load(data: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(data)
    return doc


def dump(doc: object) -> bytes:
    return json.dumps(doc).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def expect(code: str, data: bytes, passphrase: str = PASS) -> GovledgerError:
    with pytest.raises(GovledgerError) as exc:
        decrypt_key(data, passphrase)
    assert exc.value.code == code, exc.value.message
    return exc.value


def flip_b64(text: str, pos: int = 0) -> str:
    raw = bytearray(unb64(text))
    raw[pos] ^= 1
    return b64(bytes(raw))


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(Scheme))
def test_round_trip(keys: dict[Scheme, SigningKey], scheme: Scheme) -> None:
    key = keys[scheme]
    data = encrypt_key(key, PASS, scrypt_n=N)
    doc = load(data)
    assert doc["version"] == 1
    assert doc["scheme"] == int(scheme)
    assert unb64(doc["public_key"]) == key.public_key.key
    assert doc["key_id"] == key.public_key.hex_id()
    assert doc["kdf"]["name"] == "scrypt" and doc["kdf"]["n"] == N
    assert doc["cipher"]["name"] == "aes-256-gcm"
    assert key.private_bytes() not in data and b64(key.private_bytes()) not in data.decode()
    again = decrypt_key(data, PASS)
    assert again.public_key == key.public_key
    assert again.private_bytes() == key.private_bytes()
    # Fresh salt and nonce every time.
    assert encrypt_key(key, PASS, scrypt_n=N) != data


def test_default_cost_and_unicode_passphrase(keys: dict[Scheme, SigningKey]) -> None:
    key = keys[Scheme.ED25519]
    composed, decomposed = "p\u00e4ss\u00e9", "pa\u0308sse\u0301"
    data = encrypt_key(key, composed)
    assert load(data)["kdf"]["n"] == 2**15
    # NFC normalisation: the same passphrase typed as decomposed characters still opens the file.
    assert decrypt_key(data, decomposed).public_key == key.public_key
    assert decrypt_key(bytearray(data), composed).public_key == key.public_key
    empty = encrypt_key(key, "", scrypt_n=N)
    assert decrypt_key(empty, "").public_key == key.public_key
    expect("keyfile.wrong_passphrase", empty, " ")


def test_encrypt_rejects_bad_parameters(keys: dict[Scheme, SigningKey]) -> None:
    key = keys[Scheme.ED25519]
    for n in (0, 1, 3, 100, MAX_SCRYPT_N * 2, 2**40, True):
        with pytest.raises(ValueError):
            encrypt_key(key, PASS, scrypt_n=n)
    with pytest.raises(TypeError):
        encrypt_key(key, b"bytes", scrypt_n=N)  # type: ignore[arg-type]


# --- wrong passphrase and tampering --------------------------------------------------------------


def test_wrong_passphrase(ed_file: bytes) -> None:
    err = expect("keyfile.wrong_passphrase", ed_file, PASS + "!")
    assert err.code == "keyfile.wrong_passphrase"
    expect("keyfile.wrong_passphrase", ed_file, "")


def _edit(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = load(data)
    change(doc)
    return dump(doc)


def _edit_section(data: bytes, section: str, **changes: object) -> bytes:
    doc = load(data)
    doc[section].update(changes)
    return dump(doc)


def test_tampered_ciphertext_or_nonce_is_malformed(ed_file: bytes) -> None:
    # The passphrase check value shows the passphrase is right, so the file itself was changed.
    for pos in (0, 5, 31, 47):
        ciphertext = flip_b64(load(ed_file)["cipher"]["ciphertext"], pos)
        bad = _edit_section(ed_file, "cipher", ciphertext=ciphertext)
        err = expect("keyfile.malformed", bad)
        assert "modified" in err.message
    bad = _edit(ed_file, lambda d: d["cipher"].update(nonce=flip_b64(d["cipher"]["nonce"])))
    expect("keyfile.malformed", bad)
    bad = _edit(ed_file, lambda d: d["kdf"].update(check=flip_b64(d["kdf"]["check"])))
    expect("keyfile.malformed", bad)


def test_swapped_public_key_is_detected(keys: dict[Scheme, SigningKey], ed_file: bytes) -> None:
    other = SigningKey.generate(Scheme.ED25519).public_key
    # Public key swapped alone: the key id no longer matches it.
    bad = _edit(ed_file, lambda d: d.update(public_key=b64(other.key)))
    expect("keyfile.malformed", bad)
    # Swapped together with a matching key id: the associated data no longer authenticates.
    bad = _edit(ed_file, lambda d: d.update(public_key=b64(other.key), key_id=other.hex_id()))
    err = expect("keyfile.malformed", bad)
    assert "modified" in err.message
    # Key id alone.
    bad = _edit(ed_file, lambda d: d.update(key_id=other.hex_id()))
    expect("keyfile.malformed", bad)


def test_changed_kdf_parameters_read_as_wrong_passphrase(keys: dict[Scheme, SigningKey]) -> None:
    data = encrypt_key(keys[Scheme.ED25519], PASS, scrypt_n=N)
    # The KDF parameters and the passphrase are inputs to the same derivation, so a changed
    # parameter cannot be told from a wrong passphrase; it still never yields a key.
    for field, value in (("n", N * 2), ("r", 4), ("p", 2), ("salt", b64(b"\x01" * 16))):
        bad = _edit_section(data, "kdf", **{field: value})
        expect("keyfile.wrong_passphrase", bad)


def test_public_key_not_matching_private_key_is_malformed(keys: dict[Scheme, SigningKey]) -> None:
    # Someone who knows the passphrase wraps key A's seed under key B's header (valid AAD and tag).
    a, b = keys[Scheme.ED25519], SigningKey.generate(Scheme.ED25519)
    doc = keyfile._file_decoder.decode(encrypt_key(b, PASS, scrypt_n=N))
    aes_key, _ = keyfile._derive(PASS, doc.kdf.salt, doc.kdf.n, doc.kdf.r, doc.kdf.p)
    ciphertext = keyfile.AESGCM(aes_key).encrypt(doc.cipher.nonce, a.private_bytes(), keyfile._aad(doc))
    forged = load(encrypt_key(b, PASS, scrypt_n=N))
    forged["kdf"]["salt"] = b64(doc.kdf.salt)
    forged["kdf"]["check"] = b64(doc.kdf.check)
    forged["cipher"]["nonce"] = b64(doc.cipher.nonce)
    forged["cipher"]["ciphertext"] = b64(ciphertext)
    err = expect("keyfile.malformed", dump(forged))
    assert "does not match" in err.message


# --- malformed documents -------------------------------------------------------------------------


def _malformed_variants(data: bytes) -> list[tuple[str, bytes]]:
    doc = load(data)
    out: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("not json", b"not json"),
        ("truncated", data[: len(data) // 2]),
        ("array", b"[1, 2, 3]"),
        ("null", b"null"),
        ("empty object", b"{}"),
        ("invalid utf-8", data.replace(doc["key_id"].encode(), b"\xff" + doc["key_id"].encode()[1:])),
        ("duplicate field", data.replace(b'"version": 1', b'"version": 1, "version": 1')),
        ("duplicate nested field", data.replace(b'"n": 16', b'"n": 16, "n": 16')),
        ("deep nesting", b'{"version": 1, "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"),
        ("NaN version", data.replace(b'"version": 1', b'"version": NaN')),
        ("oversize", b" " * 70_000 + data),
        ("trailing garbage", data + b"xyz"),
    ]
    for field in doc:
        out.append((f"missing {field}", dump({k: v for k, v in doc.items() if k != field})))
    for section in ("kdf", "cipher"):
        for field in doc[section]:
            sub = {k: v for k, v in doc[section].items() if k != field}
            out.append((f"missing {section}.{field}", dump({**doc, section: sub})))

    def variant(name: str, change: Callable[[dict[str, Any]], None]) -> None:
        copy = json.loads(json.dumps(doc))
        change(copy)
        out.append((name, dump(copy)))

    variant("unknown field", lambda d: d.update(extra=1))
    variant("unknown kdf field", lambda d: d["kdf"].update(extra=1))
    variant("version 2", lambda d: d.update(version=2))
    variant("version 0", lambda d: d.update(version=0))
    variant("version string", lambda d: d.update(version="1"))
    variant("version bool", lambda d: d.update(version=True))
    variant("version float", lambda d: d.update(version=1.0))
    variant("scheme string", lambda d: d.update(scheme="1"))
    variant("scheme unknown", lambda d: d.update(scheme=9))
    variant("scheme other", lambda d: d.update(scheme=2))
    variant("scheme bool", lambda d: d.update(scheme=True))
    variant("public key not base64", lambda d: d.update(public_key="***"))
    variant("public key short", lambda d: d.update(public_key=b64(b"\x00" * 31)))
    variant("public key number", lambda d: d.update(public_key=7))
    variant("key id not hex", lambda d: d.update(key_id="zz"))
    variant("key id upper", lambda d: d.update(key_id=d["key_id"].upper()))
    variant("key id null", lambda d: d.update(key_id=None))
    variant("kdf argon2id", lambda d: d["kdf"].update(name="argon2id"))
    variant("kdf list", lambda d: d.update(kdf=[1, 2]))
    variant("kdf n not power of two", lambda d: d["kdf"].update(n=1000))
    variant("kdf n one", lambda d: d["kdf"].update(n=1))
    variant("kdf n float", lambda d: d["kdf"].update(n=16.0))
    variant("kdf n negative", lambda d: d["kdf"].update(n=-16))
    variant("kdf r zero", lambda d: d["kdf"].update(r=0))
    variant("kdf r huge", lambda d: d["kdf"].update(r=1024))
    variant("kdf p huge", lambda d: d["kdf"].update(p=1000))
    variant("salt short", lambda d: d["kdf"].update(salt=b64(b"\x00" * 8)))
    variant("check short", lambda d: d["kdf"].update(check=b64(b"\x00" * 8)))
    variant("cipher chacha", lambda d: d["cipher"].update(name="chacha20-poly1305"))
    variant("cipher string", lambda d: d.update(cipher="aes-256-gcm"))
    variant("nonce short", lambda d: d["cipher"].update(nonce=b64(b"\x00" * 8)))
    variant("ciphertext short", lambda d: d["cipher"].update(ciphertext=b64(b"\x00" * 20)))
    variant("ciphertext long", lambda d: d["cipher"].update(ciphertext=b64(b"\x00" * 49)))
    return out


def test_malformed_documents(ed_file: bytes) -> None:
    for name, bad in _malformed_variants(ed_file):
        assert bad != ed_file, name
        with pytest.raises(GovledgerError) as exc:
            decrypt_key(bad, PASS)
        assert exc.value.code == "keyfile.malformed", name
    for not_bytes in (None, 5, ["x"]):
        with pytest.raises(GovledgerError) as exc:
            decrypt_key(not_bytes, PASS)  # type: ignore[arg-type]
        assert exc.value.code == "keyfile.malformed"


def test_huge_scrypt_cost_is_refused_before_deriving(ed_file: bytes) -> None:
    for n in (MAX_SCRYPT_N * 2, 2**30, 2**62, 2**64, 2**200):
        bad = _edit_section(ed_file, "kdf", n=n)
        start = time.perf_counter()
        err = expect("keyfile.malformed", bad)
        assert time.perf_counter() - start < 0.5
        assert "n must be" in err.message or "invalid key file" in err.message
    bad = _edit(ed_file, lambda d: d["kdf"].update(n=MAX_SCRYPT_N, r=64))
    expect("keyfile.malformed", bad)


def test_public_key_helper_consistency(keys: dict[Scheme, SigningKey]) -> None:
    # The file's key id is the PublicKey key id, so operators can match files to registered keys.
    for key in keys.values():
        doc = load(encrypt_key(key, PASS, scrypt_n=N))
        pub = PublicKey(scheme=doc["scheme"], key=unb64(doc["public_key"]))
        assert pub == key.public_key and doc["key_id"] == pub.hex_id()
