"""Canonical encoding: round trips, strictness, and rejection of non-canonical or oversize input."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govledger.codec import decode, encode
from govledger.crypto.signatures import PublicKey
from govledger.errors import CodecError, TxRejected
from govledger.ledger import tx as txmod

payloads = st.builds(
    txmod.TxPayload,
    chain_id=st.text(max_size=20),
    app=st.sampled_from(["attest", "governance", "land"]),
    op=st.sampled_from(["record", "transfer"]),
    body=st.binary(max_size=200),
    signers=st.lists(
        st.builds(PublicKey, scheme=st.just(1), key=st.binary(min_size=32, max_size=32)), max_size=3
    ),
    nonce=st.integers(0, 2**64 - 1),
    expiry_height=st.integers(0, 2**64 - 1),
)
transactions = st.builds(
    txmod.Transaction, payload=payloads, signatures=st.lists(st.binary(max_size=64), max_size=3)
)


@given(transactions)
def test_round_trip_is_identity_and_hash_stable(t: txmod.Transaction) -> None:
    raw = encode(t)
    back = decode(raw, txmod.Transaction)
    assert back == t
    assert encode(back) == raw
    assert txmod.tx_id(back.payload) == txmod.tx_id(t.payload)


@given(transactions, st.data())
def test_any_single_byte_change_is_rejected_or_changes_the_value(
    t: txmod.Transaction, data: st.DataObject
) -> None:
    raw = bytearray(encode(t))
    i = data.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    try:
        back = decode(bytes(raw), txmod.Transaction)
    except CodecError:
        return
    assert back != t


def test_unknown_field_is_rejected() -> None:
    good = msgspec.msgpack.decode(encode(txmod.TxPayload("c", "a", "o", b"", [], 1, 2)))
    good["extra"] = 1
    with pytest.raises(CodecError) as err:
        decode(msgspec.msgpack.encode(good), txmod.TxPayload)
    assert err.value.code == "codec.invalid"


def test_wrong_type_missing_field_trailing_bytes_and_oversize() -> None:
    raw = encode(txmod.TxPayload("c", "a", "o", b"", [], 1, 2))
    as_dict = msgspec.msgpack.decode(raw)
    for mutate in (lambda d: d.update(nonce="1"), lambda d: d.pop("app")):
        d = dict(as_dict)
        mutate(d)
        with pytest.raises(CodecError) as err:
            decode(msgspec.msgpack.encode(d), txmod.TxPayload)
        assert err.value.code == "codec.invalid"
    with pytest.raises(CodecError) as err:
        decode(raw + b"\x00", txmod.TxPayload)
    assert err.value.code == "codec.malformed"
    with pytest.raises(CodecError) as err:
        decode(raw, txmod.TxPayload, max_bytes=10)
    assert err.value.code == "codec.oversize"


def test_non_minimal_integer_is_not_canonical() -> None:
    raw = encode(txmod.TxPayload("c", "a", "o", b"", [], 1, 2))
    # nonce 1 is encoded as positive fixint 0x01; re-encode it as uint64 (0xcf + 8 bytes)
    i = raw.index(b"\xa5nonce\x01") + len(b"\xa5nonce")
    bloated = raw[:i] + b"\xcf" + (1).to_bytes(8, "big") + raw[i + 1 :]
    with pytest.raises(CodecError) as err:
        decode(bloated, txmod.TxPayload)
    assert err.value.code == "codec.not_canonical"


def test_shape_checks_name_the_problem() -> None:
    pk = PublicKey(1, b"\x01" * 32)
    base = txmod.TxPayload("c", "attest", "record", b"", [pk], 1, 2)
    cases = {
        "tx.no_signers": txmod.Transaction(msgspec.structs.replace(base, signers=[]), []),
        "tx.signature_count": txmod.Transaction(base, []),
        "tx.bad_signature": txmod.Transaction(base, [b"\x00" * 10]),
        "tx.duplicate_signer": txmod.Transaction(
            msgspec.structs.replace(base, signers=[pk, pk]), [b"\x00" * 64] * 2
        ),
        "tx.bad_name": txmod.Transaction(msgspec.structs.replace(base, app="bad name!"), [b"\x00" * 64]),
        "tx.bad_public_key": txmod.Transaction(
            msgspec.structs.replace(base, signers=[PublicKey(1, b"\x01")]), [b"\x00" * 64]
        ),
    }
    for code, t in cases.items():
        with pytest.raises(TxRejected) as err:
            txmod.decode_tx(encode(t))
        assert err.value.code == code


@given(
    st.lists(
        st.builds(PublicKey, scheme=st.just(1), key=st.binary(min_size=32, max_size=32)),
        min_size=1,
        max_size=4,
        unique_by=lambda pk: pk.key,
    )
)
def test_signer_keys_are_the_signers_key_ids_in_order(signers: list[PublicKey]) -> None:
    # Execution trusts these instead of hashing ctx.signers again: they must be exactly the key ids.
    t = txmod.Transaction(
        txmod.TxPayload("c", "attest", "record", b"", signers, 1, 2), [b"\x00" * 64] * len(signers)
    )
    sk = txmod.signer_keys(txmod.decode_tx(encode(t)))
    assert sk.keys == tuple(signers)
    assert sk.ids == frozenset(pk.key_id() for pk in signers)
    assert sk.first_id == signers[0].key_id()
