"""The group (§3.1.1) and the hash function with its encodings (§5): constants, examples from the spec,
the byte lengths of every row of the §5.5 tables, and fixed-base exponentiation against GMP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govledger.voting import group as gr
from govledger.voting import hash as eh
from govledger.voting.tally import DiscreteLog

SPEC_H_P = bytes.fromhex("2B3B025E50E09C119CBA7E9448ACD1CABC9447EF39BF06327D81C665CDD86296")  # eq. (5)


def test_standard_parameters_rederived() -> None:
    """p from ln 2 and delta, q = 2^256 - 189, r = (p - 1)/q with r/2 prime, g = 2^r mod p (§3.1.1)."""
    assert gr.check_standard_parameters() == []
    assert gr.P.to_bytes(512, "big").hex().upper()[64:80] == "B17217F7D1CF79AB"  # the ln 2 middle bits


def test_parameter_base_hash_matches_spec_eq_5() -> None:
    assert eh.parameter_base_hash(gr.P, gr.Q, gr.G) == SPEC_H_P
    assert eh.version_bytes() == b"v2.0.0" + bytes(26)


def test_encoding_examples_of_section_5_1() -> None:
    assert gr.exp_bytes(0) == bytes(32)
    assert gr.exp_bytes(16).hex() == "00" * 31 + "10"
    assert gr.exp_bytes(gr.Q - 1).hex().upper() == "FF" * 31 + "42"
    assert gr.elem_bytes(8572345).hex().upper().endswith("0082CDB9")
    assert len(gr.elem_bytes(gr.P - 1)) == 512
    assert eh.b_int(5) == bytes.fromhex("00000005")
    assert eh.b_str("ElectionGuard") == bytes.fromhex("0000000D456C656374696F6E4775617264")
    assert bytes.fromhex("0000000C636F6E746573745F64617461") == eh.CONTEST_DATA_NONCE_LABEL
    with pytest.raises(ValueError):
        eh.b_int(2**31)
    with pytest.raises(ValueError):
        eh.H(b"short", b"")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[bytes, bytes]]]:
    """Record every (B0, B1) passed to H."""
    calls: list[tuple[bytes, bytes]] = []
    real = eh.H

    def spy(key: bytes, data: bytes) -> bytes:
        calls.append((key, data))
        return real(key, data)

    monkeypatch.setattr(eh, "H", spy)
    yield calls


def test_b1_lengths_match_the_section_5_5_tables(recorded: list[tuple[bytes, bytes]]) -> None:
    """len(B1) of every H use, as listed in §5.5.1-5.5.4 (standard parameters: l_p = 512, l_q = 32)."""
    x, nonce, digest = gr.G, bytes(32), bytes(32)
    aux = b"device-7"
    cases = [
        (lambda: eh.parameter_base_hash(gr.P, gr.Q, gr.G), 1057, 0x00),
        (lambda: eh.manifest_hash(digest, b"manifest"), 5 + 8, 0x01),
        (lambda: eh.base_hash(digest, digest, 5, 3), 41, 0x02),
        (lambda: eh.coefficient_proof_challenge(digest, 1, 0, x, x), 1033, 0x10),
        (lambda: eh.share_encryption_key(digest, 1, 2, x, x, x), 1545, 0x11),
        (lambda: eh.extended_base_hash(digest, x), 513, 0x12),
        (lambda: eh.selection_nonce(digest, nonce, 1, 2), 41, 0x20),
        (lambda: eh.contest_data_nonce(digest, nonce, 1), 53, 0x20),
        (lambda: eh.range_proof_challenge(digest, x, x, x, [(x, x), (x, x)]), 3585, 0x21),
        (lambda: eh.range_proof_challenge(digest, x, x, x, [(x, x)] * 4), 1 + (2 * 3 + 5) * 512, 0x21),
        (lambda: eh.contest_data_key(digest, x, x, x), 1537, 0x22),
        (lambda: eh.contest_hash(digest, 1, x, [(x, x)] * 3), 5 + (2 * 3 + 1) * 512, 0x23),
        (lambda: eh.confirmation_code(digest, [digest] * 3, aux), 5 + 3 * 32 + len(aux), 0x24),
        (lambda: eh.chain_initial_code(digest, aux), 5 + len(aux), 0x24),
        (lambda: eh.chain_closing_code(digest, digest, aux), 46 + len(aux), 0x24),
        (lambda: eh.decryption_proof_challenge(digest, x, x, x, x, x, x), 3073, 0x30),
        (lambda: eh.contest_data_decryption_challenge(digest, x, x, bytes(64), digest, x, x, x), 3585, 0x31),
    ]
    for compute, length, tag in cases:
        recorded.clear()
        compute()
        (key, data) = recorded[-1]
        assert len(key) == 32
        assert (len(data), data[0]) == (length, tag)


def test_kdf_inputs() -> None:
    """The counter-mode KDF inputs of eq. (16)-(17) and (52), byte for byte."""
    k0, k1 = eh.share_kdf(bytes(32), 1, 2)
    tail = b"share enc keys\x00share encrypt" + bytes.fromhex("00000001 00000002 0200")
    assert k0 == eh.hmac_sha256(bytes(32), b"\x01" + tail)
    assert k1 == eh.hmac_sha256(bytes(32), b"\x02" + tail)
    keys = eh.contest_data_kdf(bytes(32), 3, 2)
    tail = b"data enc keys\x00contest data" + bytes.fromhex("00000003") + (3 * 256).to_bytes(4, "big")
    assert keys == [eh.hmac_sha256(bytes(32), i.to_bytes(4, "big") + tail) for i in range(3)]


exponents = st.one_of(
    st.integers(min_value=0, max_value=gr.Q - 1),
    st.sampled_from([0, 1, 255, 256, gr.Q - 1, gr.Q, gr.Q + 1, 2**256 - 1, -1, -gr.Q - 5]),
)


@settings(max_examples=40, deadline=None)
@given(e=exponents)
def test_fixed_base_matches_gmp(e: int) -> None:
    assert gr.g_pow(e) == gr.powmod(gr.G, e % gr.Q, gr.P)


def test_fixed_base_of_another_element() -> None:
    base = gr.g_pow(123456789)
    table = gr.FixedBase(base)
    for e in (0, 1, 2**200 + 17, gr.Q - 1):
        assert table.pow(e) == gr.pow_p(base, e)
    with pytest.raises(ValueError):
        gr.FixedBase(1)


def test_subgroup_membership() -> None:
    assert gr.is_in_subgroup(gr.G) and gr.is_in_subgroup(1)
    assert not gr.is_in_subgroup(0)
    assert not gr.is_in_subgroup(gr.P - 1)  # order 2
    assert not gr.is_in_subgroup(2)  # a generator of Z_p^*, order p - 1
    assert not gr.is_in_subgroup(gr.P + 1)
    assert gr.all_in_subgroup([gr.G, 2, gr.P, gr.g_pow(5)]) == [True, False, False, True]


@settings(max_examples=30, deadline=None)
@given(
    coefficients=st.lists(st.integers(min_value=0, max_value=gr.Q - 1), min_size=1, max_size=5),
    extra=st.integers(min_value=0, max_value=3),
    data=st.data(),
)
def test_lagrange_reconstructs_the_constant_term(
    coefficients: list[int], extra: int, data: st.DataObject
) -> None:
    """sum_i w_i P(i) = P(0) for any |U| >= degree + 1 (eq. 67, Note 3.5)."""
    k = len(coefficients)
    pool = list(range(1, k + extra + 3))
    chosen = sorted(data.draw(st.lists(st.sampled_from(pool), min_size=k, max_size=len(pool), unique=True)))

    def poly(x: int) -> int:
        return sum(a * pow(x, j, gr.Q) for j, a in enumerate(coefficients)) % gr.Q

    assert sum(gr.lagrange_coefficient(i, chosen) * poly(i) for i in chosen) % gr.Q == coefficients[0]


def test_discrete_log_bounds() -> None:
    base = gr.g_pow(987654321)
    dlog = DiscreteLog(base, 1000)
    for t in (0, 1, 31, 32, 33, 999, 1000):
        assert dlog.solve(gr.pow_p(base, t)) == t
    assert dlog.solve(gr.pow_p(base, 1001)) is None
    assert dlog.solve(gr.pow_p(base, 5000)) is None
    assert DiscreteLog(base, 0).solve(1) == 0
