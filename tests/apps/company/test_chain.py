"""On the real chain: signed transactions, LMDB, two nodes reaching the same roots, proved queries."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.company.app import APP as COMPANY
from govledger.apps.company.app import DEFAULT_POLICIES
from govledger.apps.company.model import CompanyCertificate
from govledger.apps.company.queries import certificate_data
from govledger.apps.governance.app import AUTHORITY
from govledger.codec import decode
from govledger.ledger.app import AppView
from govledger.ledger.block import BLOCK_EVENTS_INDEX, Block
from govledger.ledger.proofs import verify_state
from govledger.node.queries import run_query
from tests.harness_base import ProvenState

from .gen import check_invariants, operation
from .harness import (
    DAY_MS,
    PARTY_KEYS,
    A,
    CompanyChain,
    codes,
    incorporation,
    person,
    signers_for,
)

_NONCES = itertools.count(1)


def _populate(c: CompanyChain) -> None:
    regs = [
        c.tx("register_party", person(p, k), A.clerk, k, nonce=next(_NONCES)) for p, k in PARTY_KEYS.items()
    ]
    assert codes(c.commit(regs).receipts) == ["ok"] * len(regs)
    body = incorporation()
    p = c.commit([c.tx("incorporate", body, A.clerk, *signers_for(body), nonce=next(_NONCES))])
    assert codes(p.receipts) == ["ok"]


def test_genesis_installs_the_default_policies(chain: CompanyChain) -> None:
    gov = AppView(chain.storage, "governance")
    for target, req in DEFAULT_POLICIES.items():
        assert AUTHORITY.policy(gov, *target.split(".")) == req


def test_the_certificate_is_proved_and_re_derivable_offline(chain: CompanyChain) -> None:
    _populate(chain)
    assert chain.storage.subject_history("company", "ACME") == [(2, 0)]
    answer = run_query(chain.chain, COMPANY, "certificate", {"company_id": "ACME"})
    assert isinstance(answer.result, CompanyCertificate) and answer.result.good_standing
    proven = verify_state(answer.proof, chain.chain.validator_set(answer.height))

    assert certificate_data(AppView(ProvenState(proven), "company"), "ACME") == answer.result


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), blocks=st.integers(1, 5))
def test_two_nodes_reach_the_same_state_root(data: st.DataObject, blocks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, CompanyChain.pair(Path(tmp)) as (a, b):
        assert a.chain.tip == b.chain.tip
        _populate(a)
        b.execute_committed(a, (1, 2))
        for _ in range(blocks):
            view = AppView(a.storage, "company")
            ops = [
                data.draw(operation(view, a.chain.height + 1, a.time_ms + 1000))
                for _ in range(data.draw(st.integers(0, 5)))
            ]
            raws = [a.tx(op, body, *signers, nonce=next(_NONCES)) for op, body, signers in ops]
            a.replay(b, raws, data.draw(st.sampled_from([1000, DAY_MS, 40 * DAY_MS])))
        assert a.chain.tip.state_root == b.chain.tip.state_root
        assert a.chain.tree.root_hash(a.chain.height) == a.chain.tip.state_root
        check_invariants(dict(a.storage.scan_prefix(b"company\x00", 100_000)))


def test_a_full_lifecycle_replays_to_the_same_roots(tmp_path: Path) -> None:
    """Overdue return swept, licence renewed then suspended, notice, strike-off (removing timers that
    are gone already): a second node replaying the blocks reaches every root."""
    from govledger.apps.company.model import GiveStrikeOffNotice, IssueLicence, PayLicenceFee, StrikeOff

    from .harness import BOARD, YEAR_MS, sha

    with CompanyChain.pair(tmp_path) as (a, b):
        _populate(a)
        b.execute_committed(a, (1, 2))
        licence = IssueLicence("ACME", "L1", ["trading"], 200 * DAY_MS, 100, "AED", "P1")
        fee = PayLicenceFee("ACME", "L1", 2, "P2", 100, "AED")
        steps: list[tuple[list[bytes], int]] = [
            ([a.tx("issue_licence", licence, *BOARD, A.licensing, nonce=next(_NONCES))], 1000),
            ([a.tx("pay_licence_fee", fee, A.licensing, nonce=next(_NONCES))], 1000),
            ([], 201 * DAY_MS),  # renewed
            ([], 2 * YEAR_MS),  # return overdue (swept), licence suspended
        ]
        for raws, advance in steps:
            a.replay(b, raws, advance)
        notice = GiveStrikeOffNotice("ACME", "missing_filings", sha("n"), a.time_ms + 31 * DAY_MS)
        a.replay(b, [a.tx("give_strike_off_notice", notice, A.clerk, nonce=next(_NONCES))], 1000)
        pending = a.build([a.tx("strike_off", StrikeOff("ACME"), A.clerk, nonce=next(_NONCES))], 31 * DAY_MS)
        assert codes(pending.receipts) == ["ok"]
        a.chain.commit(pending, a.sign_commit(pending))
        replayed = b.chain.execute_block(decode(pending.block_bytes, Block))
        b.chain.commit(replayed, a.storage.commit(pending.header.height))
        assert a.chain.tip.state_root == b.chain.tip.state_root
        company = run_query(a.chain, COMPANY, "company", {"company_id": "ACME"}).result
        assert company.status == "struck_off" and company.in_default
        lic = run_query(a.chain, COMPANY, "licence", {"company_id": "ACME", "licence_id": "L1"}).result
        assert (lic.status, lic.reason, lic.term) == ("lapsed", "company_struck_off", 2)
        check_invariants(dict(a.storage.scan_prefix(b"company\x00", 100_000)))
        # the timers' events are stored and indexed by subject, on both nodes, as transactions' are
        for node in (a, b):
            timed = [h for h, i in node.storage.subject_history("company", "ACME") if i == BLOCK_EVENTS_INDEX]
            kinds = [e.kind for h in timed for e in node.storage.block_events(h) if e.subject == "ACME"]
            assert {"licence_renewed", "licence_suspended", "filing_overdue"} <= set(kinds), kinds
        assert a.storage.block_events(1) == []
