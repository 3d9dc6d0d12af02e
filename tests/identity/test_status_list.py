"""Status list encodings (IETF LSB-first, W3C MSB-first), tokens, and unlinkable index allocation."""

from __future__ import annotations

import base64
import gzip
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.identity import status_list as sl
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import JwsSigner

N = sl.W3C_MIN_ENTRIES


def test_ietf_known_bit_positions() -> None:
    """IETF: index 0 is the least significant bit(s) of byte 0 (draft-ietf-oauth-status-list §4.1)."""
    one = sl.StatusBits.empty(16, 1).with_value(0, 1).with_value(9, 1)
    assert one.data == bytes([0b0000_0001, 0b0000_0010])
    two = sl.StatusBits.empty(8, 2).with_value(0, 1).with_value(1, 2).with_value(3, 3).with_value(5, 1)
    assert two.data == bytes([0b11_00_10_01, 0b00_00_01_00])
    assert [two.get(i) for i in range(8)] == [1, 2, 0, 3, 0, 1, 0, 0]


def test_ietf_spec_example() -> None:
    """The draft's 1-bit example: statuses 1,0,0,1,1,1,0,1 | 1,1,0,0,0,1,0,1 -> b9 a3 -> eNrbuRgAAhcBXQ."""
    bits = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    v = sl.StatusBits.empty(16, 1)
    for i, b in enumerate(bits):
        v = v.with_value(i, b)
    assert v.data == bytes([0xB9, 0xA3])
    assert sl.encode_token_list(v) == {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}
    assert sl.decode_token_list({"bits": 1, "lst": "eNrbuRgAAhcBXQ"}).data == bytes([0xB9, 0xA3])


def test_w3c_known_bit_positions() -> None:
    """W3C: index 0 is the most significant bit of byte 0 (Bitstring Status List §3.2)."""
    values = sl.StatusBits.empty(N, 2).with_value(0, 1).with_value(9, 2).with_value(N - 1, 1)
    revoked = sl.to_w3c(values, sl.INVALID)
    suspended = sl.to_w3c(values, sl.SUSPENDED)
    assert len(revoked) == N // 8
    assert revoked[0] == 0b1000_0000 and revoked[-1] == 0b0000_0001
    assert suspended[1] == 0b0100_0000 and sum(suspended) == 0b0100_0000
    encoded = sl.encode_bitstring(revoked)
    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == revoked
    decoded = sl.decode_bitstring(encoded)
    assert [sl.bitstring_get(decoded, i) for i in (0, 1, 9, N - 1)] == [1, 0, 0, 1]
    one_bit = sl.StatusBits.empty(N, 1).with_value(3, 1)
    assert sl.to_w3c(one_bit, sl.INVALID)[0] == 0b0001_0000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, N - 1), st.integers(0, 2)), max_size=40))
def test_round_trips_agree_entry_by_entry(changes: list[tuple[int, int]]) -> None:
    v = sl.StatusBits.empty(N, 2)
    for i, val in changes:
        v = v.with_value(i, val)
    back = sl.decode_token_list(sl.encode_token_list(v))
    assert back == v
    rev = sl.decode_bitstring(sl.encode_bitstring(sl.to_w3c(v, sl.INVALID)))
    sus = sl.decode_bitstring(sl.encode_bitstring(sl.to_w3c(v, sl.SUSPENDED)))
    for i in {i for i, _ in changes} | {0, N - 1}:
        assert sl.bitstring_get(rev, i) == (v.get(i) == 1)
        assert sl.bitstring_get(sus, i) == (v.get(i) == 2)


def test_status_list_token_round_trip_and_rules() -> None:
    signer = JwsSigner.generate("ES256")
    v = sl.StatusBits.empty(N, 2).with_value(42, 2)
    uri = "https://issuer.example/identity/status/1"
    token = sl.status_list_token(v, uri=uri, signer=signer, iat=1000, exp=5000)
    assert sl.verify_status_list_token(token, uri=uri, key=signer.public_key, now_s=2000).get(42) == 2
    for kwargs, code in [
        ({"uri": uri + "x"}, "status.bad_list"),
        ({"now_s": 9000}, "time.expired"),
        ({"key": JwsSigner.generate("ES256").public_key}, "jose.bad_signature"),
    ]:
        args = {"uri": uri, "key": signer.public_key, "now_s": 2000, **kwargs}
        with pytest.raises(CheckFailed) as exc:
            sl.verify_status_list_token(token, **args)  # type: ignore[arg-type]
        assert exc.value.code == code


@pytest.mark.parametrize(
    "obj",
    [
        None,
        {"bits": 3, "lst": "eNrbuRgAAhcBXQ"},
        {"bits": 1, "lst": "not zlib"},
        {
            "bits": 1,
            "lst": base64.urlsafe_b64encode(zlib.compress(bytes(5 * 1024 * 1024))).decode().rstrip("="),
        },
    ],
)
def test_bad_token_lists(obj: object) -> None:
    with pytest.raises(CheckFailed) as exc:
        sl.decode_token_list(obj)
    assert exc.value.code in ("status.bad_list", "input.malformed", "input.too_large")


def test_bad_bitstrings() -> None:
    for bad in [
        "zabc",
        "u***",
        "u" + base64.urlsafe_b64encode(gzip.compress(b"\x00" * 10)).decode().rstrip("="),
    ]:
        with pytest.raises(CheckFailed):
            sl.decode_bitstring(bad)
    with pytest.raises(CheckFailed):
        sl.encode_bitstring(b"\x00" * 10)
    with pytest.raises(CheckFailed):
        sl.StatusBits.empty(N, 1).get(N)


def test_feistel_is_a_permutation_that_hides_order() -> None:
    perm = sl.FeistelPermutation(b"k" * 32, 5000)
    out = [perm.index(n) for n in range(5000)]
    assert sorted(out) == list(range(5000))
    assert out[:10] != sorted(out[:10])
    other = sl.FeistelPermutation(b"j" * 32, 5000)
    assert [other.index(n) for n in range(10)] != out[:10]


def test_ledger_index_is_deterministic_and_spread() -> None:
    picks = [sl.ledger_index(b"\x01" * 32, "l", i, 0, N) for i in range(1000)]
    assert picks == [sl.ledger_index(b"\x01" * 32, "l", i, 0, N) for i in range(1000)]
    assert len(set(picks)) > 990 and min(picks) < N // 10 and max(picks) > N * 9 // 10


def test_bitstring_credential_shape() -> None:
    cred = sl.bitstring_status_list_credential(
        list_id="https://i.example/s/1/revocation", issuer="did:example:i", purpose="revocation",
        bitstring=bytes(N // 8), valid_from="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert cred["credentialSubject"]["type"] == "BitstringStatusList"
    entry = sl.bitstring_status_entry("https://i.example/s/1/revocation", "revocation", 7)
    assert entry["statusListIndex"] == "7"
