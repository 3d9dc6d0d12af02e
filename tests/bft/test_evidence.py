"""governance.report_evidence, executed on a chain directly (no network): every rule and its code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govledger.apps import registry
from govledger.apps.governance.evidence import (
    EvidenceRecord,
    ReportEvidence,
    evidence_key,
    validator_set_at,
)
from govledger.apps.governance.model import SetValidators
from govledger.codec import decode, encode
from govledger.consensus.types import DuplicateVoteEvidence, Vote, VoteKind
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import AppView
from govledger.ledger.block import Receipt, Validator
from govledger.ledger.chain import Candidate, Chain
from govledger.ledger.state import state_key
from govledger.ledger.storage import Storage
from govledger.ledger.tx import Transaction
from tests.bft.harness import CHAIN_ID, Net, make_net


class Ledger:
    def __init__(self, net: Net) -> None:
        self.net = net
        self.storage = Storage(net.home(0) / "chain", sync=False)
        self.chain = Chain(self.storage, registry.apps(), registry.authority())

    def run(self, *txs: Transaction) -> list[Receipt]:
        cands = [Candidate.of(encode(t), t) for t in txs]
        pending = self.chain.build_block(cands, self.chain.tip.time_ms + 1, b"")
        self.chain.commit(pending, None)
        return pending.receipts

    def empty_blocks(self, n: int) -> None:
        for _ in range(n):
            self.run()

    def vote(
        self, signer: int, height: int, value: bytes | None, round_: int = 0, chain: str = CHAIN_ID
    ) -> Vote:
        key = self.net.node_keys[signer]
        v = Vote(VoteKind.PRECOMMIT, height, round_, value, key.public_key.key_id())
        return v.with_signature(key.sign(v.sign_bytes(chain)))

    def report(self, ev: DuplicateVoteEvidence | bytes, reporter: SigningKey) -> Transaction:
        raw = ev if isinstance(ev, bytes) else encode(ev)
        return self.net.tx("governance", "report_evidence", ReportEvidence(raw), [reporter])

    def close(self) -> None:
        self.storage.close()


@pytest.fixture
def led(tmp_path: Path) -> Iterator[Ledger]:
    ledger = Ledger(make_net(tmp_path, 4, full_nodes=1))
    ledger.empty_blocks(3)
    try:
        yield ledger
    finally:
        ledger.close()


X, Y = b"\x01" * 32, b"\x02" * 32


def test_valid_evidence_is_recorded_once(led: Ledger) -> None:
    ev = DuplicateVoteEvidence.of(led.vote(3, 2, Y), led.vote(3, 2, X))
    [ok] = led.run(led.report(ev, led.net.node_keys[0]))
    assert ok.code == "ok"
    assert [e.kind for e in ok.events] == ["evidence_committed"]
    raw = led.storage.get(state_key("governance", evidence_key(ev.validator, 2)))
    assert raw is not None
    record = decode(raw, EvidenceRecord)
    assert (record.height, record.value_a, record.value_b) == (2, X, Y)
    # Uniqueness: the same equivocation, or another one by the same validator at the same height.
    again = led.run(led.report(ev, led.net.node_keys[1]))
    other = DuplicateVoteEvidence.of(led.vote(3, 2, X, round_=1), led.vote(3, 2, None, round_=1))
    again2 = led.run(led.report(other, led.net.node_keys[1]))
    assert [r.code for r in again + again2] == ["governance.evidence_duplicate"] * 2


def test_nil_against_a_value_is_evidence_too(led: Ledger) -> None:
    ev = DuplicateVoteEvidence.of(led.vote(1, 3, X), led.vote(1, 3, None))
    assert [r.code for r in led.run(led.report(ev, led.net.node_keys[2]))] == ["ok"]


@pytest.mark.parametrize(
    "case",
    [
        "bad_signature",
        "other_chain",
        "same_value",
        "wrong_order",
        "not_a_validator",
        "different_round",
        "future",
    ],
)
def test_invalid_evidence_is_refused(led: Ledger, case: str) -> None:
    a, b = led.vote(3, 2, X), led.vote(3, 2, Y)
    code = "governance.bad_evidence"
    if case == "bad_signature":
        b = b.with_signature(a.signature)
    elif case == "other_chain":
        b = led.vote(3, 2, Y, chain="another-chain")
    elif case == "same_value":
        b = led.vote(3, 2, X)
    elif case == "not_a_validator":
        a, b = led.vote(4, 2, X), led.vote(4, 2, Y)  # node 4's key is not in the set
    elif case == "different_round":
        b = led.vote(3, 2, Y, round_=1)
    elif case == "future":
        a, b = led.vote(3, 50, X), led.vote(3, 50, Y)
        code = "governance.evidence_future"
    raw = (
        encode(DuplicateVoteEvidence(b, a)) if case == "wrong_order" else encode(DuplicateVoteEvidence(a, b))
    )
    assert [r.code for r in led.run(led.report(raw, led.net.node_keys[0]))] == [code]


def test_only_a_validator_of_that_height_may_report(led: Ledger) -> None:
    ev = DuplicateVoteEvidence.of(led.vote(3, 2, X), led.vote(3, 2, Y))
    [r] = led.run(led.report(ev, led.net.members["admin-1"]))
    assert r.code == "auth.missing_signers"
    [r] = led.run(led.report(b"\x93not evidence", led.net.node_keys[0]))
    assert r.code == "governance.bad_evidence"


def test_evidence_is_judged_against_the_set_of_its_height(led: Ledger) -> None:
    """After governance replaces the set, evidence about an old height still uses the old set."""
    keys = led.net.node_keys
    new_set = SetValidators(
        [Validator(keys[4].public_key, 10), *[Validator(k.public_key, 10) for k in keys[1:4]]]
    )
    [r] = led.run(led.net.tx("governance", "set_validators", new_set, ["admin-1"]))
    assert r.code == "ok"
    changed_at = led.chain.height  # effective at changed_at + 2
    led.empty_blocks(3)
    with led.storage.snapshot() as snap:
        view = AppView(snap, "governance")
        assert keys[0].public_key.key_id() in validator_set_at(view, changed_at + 1).by_id()
        assert keys[0].public_key.key_id() not in validator_set_at(view, changed_at + 2).by_id()
        assert keys[4].public_key.key_id() in validator_set_at(view, changed_at + 2).by_id()
    old = DuplicateVoteEvidence.of(led.vote(0, 2, X), led.vote(0, 2, Y))  # 0 was a validator at 2
    [r] = led.run(led.report(old, keys[1]))
    assert r.code == "ok"
    late = DuplicateVoteEvidence.of(led.vote(0, changed_at + 3, X), led.vote(0, changed_at + 3, Y))
    [r] = led.run(led.report(late, keys[1]))
    assert r.code == "governance.bad_evidence"  # no longer a validator at that height
