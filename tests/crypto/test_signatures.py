"""Crypto-agile signatures: round trips, tampering, hybrid halves, garbage input, batch verification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric import mldsa
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger import codec
from govledger.crypto.signatures import (
    HYBRID_DOMAIN,
    PRIVATE_KEY_SIZES,
    PUBLIC_KEY_SIZES,
    SIGNATURE_SIZES,
    BatchVerifier,
    PublicKey,
    Scheme,
    SigningKey,
    verify,
)
from govledger.errors import GovledgerError

ALL_SCHEMES = list(Scheme)
MSG = b"govledger test message \x00\xff"


@pytest.fixture(scope="module")
def keys() -> dict[Scheme, SigningKey]:
    return {s: SigningKey.generate(s) for s in Scheme}


def flip(data: bytes, pos: int, bit: int = 0) -> bytes:
    return data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1 :]


# --- round trips and sizes ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ALL_SCHEMES)
def test_sign_verify_round_trip(keys: dict[Scheme, SigningKey], scheme: Scheme) -> None:
    key = keys[scheme]
    pub = key.public_key
    assert pub.scheme == scheme and key.scheme == scheme
    assert len(pub.key) == PUBLIC_KEY_SIZES[scheme]
    for message in (MSG, b"", b"x" * 10_000):
        sig = key.sign(message)
        assert len(sig) == SIGNATURE_SIZES[scheme]
        assert verify(pub, message, sig) is True
        assert verify(pub, bytearray(message), memoryview(sig)) is True
    # A public key survives the canonical codec unchanged.
    assert codec.decode(codec.encode(pub), PublicKey) == pub


def test_generate_defaults_to_ed25519() -> None:
    assert SigningKey.generate().public_key.scheme == Scheme.ED25519


@pytest.mark.parametrize("scheme", ALL_SCHEMES)
def test_from_private_bytes_round_trip(keys: dict[Scheme, SigningKey], scheme: Scheme) -> None:
    key = keys[scheme]
    raw = key.private_bytes()
    assert len(raw) == PRIVATE_KEY_SIZES[scheme]
    again = SigningKey.from_private_bytes(scheme, raw)
    assert again.public_key == key.public_key
    assert again.private_bytes() == raw
    assert verify(key.public_key, MSG, again.sign(MSG))
    assert raw.hex() not in repr(again)


def test_ed25519_rfc8032_vector() -> None:
    # RFC 8032 §7.1 TEST 1.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = SigningKey.from_private_bytes(Scheme.ED25519, seed)
    assert key.public_key.key.hex() == ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = key.sign(b"")
    assert sig.hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert verify(key.public_key, b"", sig)


def test_hybrid_layout_is_ed25519_then_ml_dsa() -> None:
    ed_seed, ml_seed = bytes(range(32)), bytes(range(32, 64))
    key = SigningKey.from_private_bytes(Scheme.HYBRID_ED25519_ML_DSA_65, ed_seed + ml_seed)
    ed = nacl.signing.SigningKey(ed_seed)
    ml = mldsa.MLDSA65PrivateKey.from_seed_bytes(ml_seed)
    assert key.public_key.key == bytes(ed.verify_key) + ml.public_key().public_bytes_raw()
    sig = key.sign(MSG)
    # Ed25519 is deterministic, so the first half is exactly the domain-separated Ed25519 signature.
    assert sig[:64] == ed.sign(HYBRID_DOMAIN + MSG).signature
    ml.public_key().verify(sig[64:], MSG, HYBRID_DOMAIN)


def test_private_bytes_errors() -> None:
    for scheme in ALL_SCHEMES:
        for bad in (b"", b"\x00" * (PRIVATE_KEY_SIZES[scheme] + 1), "x" * PRIVATE_KEY_SIZES[scheme]):
            with pytest.raises(GovledgerError) as exc:
                SigningKey.from_private_bytes(scheme, bad)  # type: ignore[arg-type]
            assert exc.value.code == "crypto.bad_private_key"
    for scheme in (0, 4, 99):
        with pytest.raises(GovledgerError) as exc:
            SigningKey.from_private_bytes(scheme, b"\x00" * 32)  # type: ignore[arg-type]
        assert exc.value.code == "crypto.unknown_scheme"
        with pytest.raises(GovledgerError):
            SigningKey.generate(scheme)  # type: ignore[arg-type]


# --- key ids --------------------------------------------------------------------------------------


def test_key_id(keys: dict[Scheme, SigningKey]) -> None:
    ids = set()
    for scheme, key in keys.items():
        pub = key.public_key
        expected = hashlib.sha256(b"govledger/key-id/v1" + bytes([scheme]) + pub.key).digest()[:20]
        assert pub.key_id() == expected == pub.key_id()
        assert pub.hex_id() == expected.hex()
        assert PublicKey(scheme=pub.scheme, key=bytes(pub.key)).key_id() == expected
        ids.add(pub.key_id())
    ids.add(SigningKey.generate().public_key.key_id())
    # The scheme is hashed too: the same bytes under another scheme get another id.
    ed = keys[Scheme.ED25519].public_key
    ids.add(PublicKey(scheme=Scheme.ML_DSA_65, key=ed.key).key_id())
    assert len(ids) == len(keys) + 2
    with pytest.raises(ValueError):
        PublicKey(scheme=256, key=ed.key).key_id()


# --- tampering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ALL_SCHEMES)
def test_tampering_fails(keys: dict[Scheme, SigningKey], scheme: Scheme) -> None:
    key = keys[scheme]
    pub = key.public_key
    sig = key.sign(MSG)
    assert not verify(pub, MSG + b"!", sig)
    assert not verify(pub, flip(MSG, 0), sig)
    for pos in {0, 31, 32, 63, len(sig) // 2, len(sig) - 1}:
        assert not verify(pub, MSG, flip(sig, pos, pos % 8))
    for pos in {0, 17, 31, len(pub.key) - 1}:
        assert not verify(PublicKey(scheme=pub.scheme, key=flip(pub.key, pos, 1)), MSG, sig)
    other = SigningKey.generate(scheme)
    assert not verify(other.public_key, MSG, sig)
    assert not verify(pub, MSG, other.sign(MSG))


def test_ed25519_is_strict() -> None:
    key = SigningKey.from_private_bytes(Scheme.ED25519, b"\x07" * 32)
    sig = key.sign(MSG)
    # S + L is the same scalar mod L: a malleable verifier accepts it, libsodium must not.
    order = 2**252 + 27742317777372353535851937790883648493
    s_plus_l = (int.from_bytes(sig[32:], "little") + order).to_bytes(32, "little")
    assert not verify(key.public_key, MSG, sig[:32] + s_plus_l)
    # The identity point (a small-order key) with a trivial signature.
    identity = (1).to_bytes(32, "little")
    assert not verify(PublicKey(scheme=1, key=identity), MSG, identity + b"\x00" * 32)
    assert not verify(PublicKey(scheme=1, key=b"\x00" * 32), MSG, b"\x00" * 64)


def test_hybrid_needs_both_halves(keys: dict[Scheme, SigningKey]) -> None:
    key = keys[Scheme.HYBRID_ED25519_ML_DSA_65]
    pub = key.public_key
    sig = key.sign(MSG)
    ed_sig, ml_sig = sig[:64], sig[64:]
    other = SigningKey.generate(Scheme.HYBRID_ED25519_ML_DSA_65).sign(MSG)
    assert verify(pub, MSG, sig)
    assert not verify(pub, MSG, flip(ed_sig, 5) + ml_sig)
    assert not verify(pub, MSG, ed_sig + flip(ml_sig, 100))
    assert not verify(pub, MSG, other[:64] + ml_sig)
    assert not verify(pub, MSG, ed_sig + other[64:])
    # Halves of two valid signatures over different messages do not combine.
    sig2 = key.sign(b"another message")
    assert not verify(pub, MSG, ed_sig + sig2[64:])
    assert not verify(pub, b"another message", ed_sig + sig2[64:])
    # Stripping: neither half passes as a plain single-scheme signature of the same message.
    ed_pub = PublicKey(scheme=Scheme.ED25519, key=pub.key[:32])
    ml_pub = PublicKey(scheme=Scheme.ML_DSA_65, key=pub.key[32:])
    assert not verify(ed_pub, MSG, ed_sig)
    assert not verify(ml_pub, MSG, ml_sig)
    # ...and plain signatures by the same seeds are not hybrid halves either.
    raw = key.private_bytes()
    plain_ed = SigningKey.from_private_bytes(Scheme.ED25519, raw[:32]).sign(MSG)
    plain_ml = SigningKey.from_private_bytes(Scheme.ML_DSA_65, raw[32:]).sign(MSG)
    assert not verify(pub, MSG, plain_ed + ml_sig)
    assert not verify(pub, MSG, ed_sig + plain_ml)


# --- garbage never raises ----------------------------------------------------------------------


def test_wrong_scheme_lengths_and_types_are_false(keys: dict[Scheme, SigningKey]) -> None:
    for scheme, key in keys.items():
        pub = key.public_key
        sig = key.sign(MSG)
        for other in ALL_SCHEMES:
            if other != scheme:
                assert not verify(PublicKey(scheme=other, key=pub.key), MSG, sig)
        for bad_scheme in (0, 4, 255, -1, 2**40):
            assert not verify(PublicKey(scheme=bad_scheme, key=pub.key), MSG, sig)
        assert not verify(pub, MSG, sig[:-1])
        assert not verify(pub, MSG, sig + b"\x00")
        assert not verify(pub, MSG, b"")
        assert not verify(PublicKey(scheme=pub.scheme, key=pub.key[:-1]), MSG, sig)
        assert not verify(PublicKey(scheme=pub.scheme, key=pub.key + b"\x00"), MSG, sig)
    ed = keys[Scheme.ED25519]
    pub, sig = ed.public_key, ed.sign(MSG)
    garbage: list[tuple[object, object, object]] = [
        (None, MSG, sig),
        (pub.key, MSG, sig),
        (pub, None, sig),
        (pub, MSG.decode("latin-1"), sig),
        (pub, MSG, None),
        (pub, MSG, sig.hex()),
        (PublicKey(scheme=True, key=pub.key), MSG, sig),  # type: ignore[arg-type]
        (PublicKey(scheme="1", key=pub.key), MSG, sig),  # type: ignore[arg-type]
        (PublicKey(scheme=1, key=pub.key.hex()), MSG, sig),  # type: ignore[arg-type]
        (PublicKey(scheme=1, key=None), MSG, sig),  # type: ignore[arg-type]
        (PublicKey(scheme=1.0, key=pub.key), MSG, sig),  # type: ignore[arg-type]
    ]
    for args in garbage:
        assert verify(*args) is False  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.sampled_from([0, 1, 2, 3, 4, 255]), st.integers()),
    st.one_of(
        st.binary(max_size=64),
        st.sampled_from(sorted(PUBLIC_KEY_SIZES.values())).flatmap(
            lambda n: st.binary(min_size=n, max_size=n)
        ),
    ),
    st.binary(max_size=64),
    st.one_of(
        st.binary(max_size=80),
        st.sampled_from(sorted(SIGNATURE_SIZES.values())).flatmap(
            lambda n: st.binary(min_size=n, max_size=n)
        ),
    ),
)
def test_random_input_is_false_not_an_exception(
    scheme: int, key: bytes, message: bytes, signature: bytes
) -> None:
    assert verify(PublicKey(scheme=scheme, key=key), message, signature) is False


# --- batch verification -------------------------------------------------------------------------


def _batch_pool() -> list[tuple[PublicKey, bytes, bytes]]:
    eds = [SigningKey.from_private_bytes(Scheme.ED25519, bytes([i]) * 32) for i in range(8)]
    pqs = [SigningKey.from_private_bytes(s, bytes([9]) * PRIVATE_KEY_SIZES[s]) for s in ALL_SCHEMES[1:]]
    items = []
    for i in range(600):
        key = pqs[i % 2] if i % 150 == 7 else eds[i % len(eds)]
        msg = b"tx-%d" % i
        items.append((key.public_key, msg, key.sign(msg)))
    return items


BATCH = _batch_pool()
CORRUPTIONS = ["message", "signature", "key", "scheme", "truncate", "swap"]


def _corrupt(item: tuple[PublicKey, bytes, bytes], how: str) -> tuple[PublicKey, bytes, bytes]:
    pub, msg, sig = item
    if how == "message":
        return pub, msg + b"?", sig
    if how == "signature":
        return pub, msg, flip(sig, 3)
    if how == "key":
        return PublicKey(scheme=pub.scheme, key=flip(pub.key, 1)), msg, sig
    if how == "scheme":
        return PublicKey(scheme=pub.scheme % 3 + 1, key=pub.key), msg, sig
    if how == "truncate":
        return pub, msg, sig[:-1]
    return pub, sig[:32], msg  # swap


@pytest.fixture(scope="module")
def verifier() -> Iterator[BatchVerifier]:
    # A small chunk sends even modest batches through the pool.
    with BatchVerifier(threads=2, chunk=32) as bv:
        yield bv


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, len(BATCH)),
    st.dictionaries(st.integers(0, len(BATCH) - 1), st.sampled_from(CORRUPTIONS), max_size=40),
)
def test_batch_matches_verify(verifier: BatchVerifier, n: int, bad: dict[int, str]) -> None:
    items = [_corrupt(it, bad[i]) if i in bad else it for i, it in enumerate(BATCH[:n])]
    expected = [i not in bad for i in range(n)]
    got = verifier.verify_many(items)
    assert got == expected
    assert got == [verify(*it) for it in items]


def test_batch_inline_and_lifecycle() -> None:
    items = [*BATCH[:10], _corrupt(BATCH[10], "signature")]
    expected = [True] * 10 + [False]
    one = BatchVerifier(threads=1, chunk=4)
    assert one.verify_many(items) == expected
    one.close()
    bv = BatchVerifier()
    assert bv.verify_many([]) == []
    assert bv.verify_many(items) == expected  # below chunk: inline
    assert bv.verify_many(BATCH) == [True] * len(BATCH)  # above chunk: pooled
    junk: list[object] = [None, (1, 2), (BATCH[0][0], b"m"), "abc"]
    assert bv.verify_many(junk * 100) == [False] * 400  # type: ignore[arg-type]
    bv.close()
    bv.close()
    with pytest.raises(RuntimeError):
        bv.verify_many(items)
    for bad_args in ({"threads": 0}, {"chunk": 0}):
        with pytest.raises(ValueError):
            BatchVerifier(**bad_args)
