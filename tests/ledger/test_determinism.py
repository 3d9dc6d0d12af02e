"""Two nodes applying the same blocks reach the same state root, bit for bit; bad blocks are refused."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.attest.app import RecordBody, RevokeBody
from govledger.apps.governance.model import RegisterOrg
from govledger.codec import decode, encode
from govledger.crypto.signatures import PublicKey
from govledger.errors import GovledgerError
from govledger.ledger import tx as txmod
from govledger.ledger.block import Block, Header
from govledger.ledger.mempool import Mempool

from .conftest import DevChain, Keys, genesis_bytes, make_keys

# An operation drawn by hypothesis: (kind, digest byte, signer index)
op_strategy = st.tuples(st.sampled_from(["record", "revoke", "org"]), st.integers(0, 5), st.integers(0, 3))


def _raw(dev: DevChain, keys: Keys, kind: str, n: int, who: int) -> bytes:
    signer = [keys.notary, keys.registrar, keys.admin, keys.outsider][who]
    digest = bytes([n]) * 32
    if kind == "record":
        return dev.tx("attest", "record", RecordBody(digest, "deed", f"ref {n}"), signer)
    if kind == "revoke":
        return dev.tx("attest", "revoke", RevokeBody(digest, "withdrawn"), signer)
    return dev.tx("governance", "register_org", RegisterOrg(f"org-{n}", "Org", "agency"), signer)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(st.lists(op_strategy, max_size=8), min_size=1, max_size=5))
def test_a_second_node_reproduces_every_root(blocks: list[list[tuple[str, int, int]]]) -> None:
    keys = make_keys()
    genesis = genesis_bytes(keys)
    with tempfile.TemporaryDirectory() as tmp:
        a = DevChain(Path(tmp) / "a", keys, genesis)
        b = DevChain(Path(tmp) / "b", keys, genesis)
        try:
            assert a.chain.tip == b.chain.tip
            for ops in blocks:
                pending = a.commit([_raw(a, keys, *op) for op in ops])
                replayed = b.chain.execute_block(decode(pending.block_bytes, Block))
                assert replayed.header == pending.header
                assert replayed.receipts == pending.receipts
                b.chain.commit(replayed, a.storage.commit(pending.header.height))
            assert a.chain.tip.state_root == b.chain.tip.state_root
            assert a.chain.tree.root_hash(a.chain.height) == a.chain.tip.state_root
        finally:
            a.close()
            b.close()


@pytest.fixture
def twin(tmp_path: Path, keys: Keys, dev: DevChain) -> DevChain:
    return DevChain(tmp_path / "twin", keys, genesis_bytes(keys))


def _with_header(block: Block, **changes: object) -> Block:
    fields = {f: getattr(block.header, f) for f in Header.__struct_fields__}
    fields.update(changes)
    return Block(header=Header(**fields), txs=block.txs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field", ["state_root", "result_root", "tx_root", "validators_hash", "next_validators_hash", "tx_count"]
)
def test_a_tampered_header_is_refused(dev: DevChain, twin: DevChain, keys: Keys, field: str) -> None:
    pending = dev.build([dev.tx("attest", "record", RecordBody(b"\x07" * 32, "deed", "x"), keys.notary)])
    value = getattr(pending.header, field)
    forged = value + 1 if isinstance(value, int) else bytes([value[0] ^ 1]) + value[1:]
    with pytest.raises(GovledgerError) as err:
        twin.chain.execute_block(_with_header(pending.block, **{field: forged}))
    assert err.value.code == "block.header_mismatch"
    assert field in err.value.message


def test_a_block_with_a_bad_signature_is_refused(dev: DevChain, twin: DevChain, keys: Keys) -> None:
    raw = dev.tx("attest", "record", RecordBody(b"\x08" * 32, "deed", "x"), keys.notary)
    t = txmod.decode_tx(raw)
    sig = bytearray(t.signatures[0])
    sig[5] ^= 0xFF
    bad = encode(txmod.Transaction(payload=t.payload, signatures=[bytes(sig)]))
    pending = dev.build([bad])  # the proposer path trusts admission; a validator re-checks
    with pytest.raises(GovledgerError) as err:
        twin.chain.execute_block(pending.block)
    assert err.value.code == "block.bad_signature"


def _spy_on_verifier(chain: DevChain) -> list[int]:
    """How many signatures each `verify_many` call of this chain was asked to check."""
    calls: list[int] = []
    inner = chain.chain.verifier.verify_many

    def spy(items: Sequence[tuple[PublicKey, bytes, bytes]]) -> list[bool]:
        calls.append(len(items))
        return inner(items)

    chain.chain.verifier.verify_many = spy  # type: ignore[method-assign]
    return calls


def test_a_validator_checks_only_what_its_mempool_did_not_admit(
    dev: DevChain, twin: DevChain, keys: Keys
) -> None:
    raws = [
        dev.tx("attest", "record", RecordBody(bytes([0x20 + i]) * 32, "deed", "x"), keys.notary)
        for i in range(3)
    ]
    mempool = Mempool(twin.chain)
    assert all(r.ok for r in mempool.admit(raws[:2]))
    calls = _spy_on_verifier(twin)
    pending = dev.build(raws)
    replayed = twin.chain.execute_block(pending.block, admitted=mempool.admitted)
    assert replayed.header == pending.header
    assert calls == [1]  # only the transaction the mempool never saw
    calls.clear()
    twin_without = twin.chain.execute_block(pending.block)
    assert twin_without.header == pending.header and calls == [3]


def test_an_admitted_payload_with_other_signature_bytes_is_still_checked(
    dev: DevChain, twin: DevChain, keys: Keys
) -> None:
    raw = dev.tx("attest", "record", RecordBody(b"\x09" * 32, "deed", "x"), keys.notary)
    mempool = Mempool(twin.chain)
    assert mempool.admit([raw])[0].ok
    t = txmod.decode_tx(raw)
    sig = bytearray(t.signatures[0])
    sig[5] ^= 0xFF
    forged = encode(txmod.Transaction(payload=t.payload, signatures=[bytes(sig)]))
    assert txmod.tx_id(txmod.decode_tx(forged).payload) == txmod.tx_id(t.payload)  # same id, other bytes
    pending = dev.build([forged])
    with pytest.raises(GovledgerError) as err:
        twin.chain.execute_block(pending.block, admitted=mempool.admitted)
    assert err.value.code == "block.bad_signature"


def test_replays_and_expired_transactions_are_dropped_by_the_proposer(dev: DevChain, keys: Keys) -> None:
    raw = dev.tx("attest", "record", RecordBody(b"\x0a" * 32, "deed", "x"), keys.notary)
    first = dev.commit([raw, raw])
    assert len(first.receipts) == 1
    assert [e.code for _, e in first.dropped] == ["tx.replay"]
    again = dev.commit([raw])
    assert again.receipts == [] and [e.code for _, e in again.dropped] == ["tx.replay"]
    expired = dev.tx(
        "attest", "record", RecordBody(b"\x0b" * 32, "deed", "x"), keys.notary, expiry=dev.chain.height
    )
    late = dev.commit([expired])
    assert [e.code for _, e in late.dropped] == ["tx.expired"]


def test_a_block_replaying_a_committed_transaction_is_refused(
    dev: DevChain, twin: DevChain, keys: Keys
) -> None:
    raw = dev.tx("attest", "record", RecordBody(b"\x0c" * 32, "deed", "x"), keys.notary)
    first = dev.commit([raw])
    twin.chain.commit(twin.chain.execute_block(first.block), dev.storage.commit(1))
    forged = Block(header=twin.chain.tip, txs=[raw])
    forged = _with_header(forged, height=2, prev_hash=twin.chain.tip.hash())
    with pytest.raises(GovledgerError) as err:
        twin.chain.execute_block(forged)
    assert err.value.code == "block.replay"


def test_storage_refuses_a_block_repeating_a_committed_transaction_and_writes_nothing(
    dev: DevChain, keys: Keys
) -> None:
    first = dev.commit([dev.tx("attest", "record", RecordBody(b"\x0d" * 32, "deed", "x"), keys.notary)])
    second = dev.build([dev.tx("attest", "record", RecordBody(b"\x0e" * 32, "deed", "y"), keys.notary)])
    second.tx_ids = [*second.tx_ids, first.tx_ids[0]]  # defence in depth below the chain's own checks
    state_key = next(iter(second.outcome.buffer.writes))
    with pytest.raises(GovledgerError) as err:
        dev.chain.commit(second, dev.sign_commit(second))
    assert err.value.code == "storage.replay"
    assert dev.storage.height() == first.header.height
    assert dev.storage.get(state_key) is None and dev.storage.block(second.header.height) is None


def test_wrong_parent_is_refused(dev: DevChain, twin: DevChain) -> None:
    pending = dev.build([])
    with pytest.raises(GovledgerError) as err:
        twin.chain.execute_block(_with_header(pending.block, prev_hash=b"\x00" * 32))
    assert err.value.code == "block.wrong_parent"
