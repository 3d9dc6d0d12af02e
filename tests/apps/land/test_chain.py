"""On the real chain: signed transactions, LMDB, two nodes reaching the same roots, proved queries."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.governance.app import AUTHORITY
from govledger.apps.land.app import APP as LAND
from govledger.apps.land.app import DEFAULT_POLICIES
from govledger.apps.land.model import TitleCertificate, Transfer
from govledger.apps.land.queries import certificate_data
from govledger.ledger.app import AppView
from govledger.ledger.proofs import verify_state
from govledger.ledger.state import state_key
from govledger.node.queries import run_query
from tests.harness_base import ProvenState

from .gen import check_invariants, operation
from .harness import (
    DAY_MS,
    A,
    LandChain,
    codes,
    hold,
    src,
    world_parcels,
    world_parties,
)


def _populate(c: LandChain) -> None:
    p = c.commit(world_parties(c.tx))
    assert codes(p.receipts) == ["ok"] * 6
    p = c.commit(world_parcels(c.tx))
    assert codes(p.receipts) == ["ok", "ok"]


def test_genesis_installs_the_default_policies(chain: LandChain) -> None:
    gov = AppView(chain.storage, "governance")
    for target, req in DEFAULT_POLICIES.items():
        assert AUTHORITY.policy(gov, *target.split(".")) == req


def test_a_sale_on_the_real_chain_with_subject_history(chain: LandChain) -> None:
    _populate(chain)
    sale = chain.tx(
        "transfer",
        Transfer("P1", [hold("alice")], [hold("carol")], [src("deed")]),
        A.alice,
        A.carol,
        A.notary,
    )
    forged_buyer = chain.tx(
        "transfer", Transfer("P1", [hold("alice")], [hold("dave")], [src("deed")]), A.alice, A.notary
    )
    p = chain.commit([forged_buyer, sale])
    assert codes(p.receipts) == ["auth.missing_signers", "ok"]
    heights = [h for h, _ in chain.storage.subject_history("land", "P1")]
    assert heights == [2, 3], "legacy systems follow the parcel id as an event subject"


def test_a_certificate_query_is_proved_and_re_derivable_offline(chain: LandChain) -> None:
    _populate(chain)
    answer = run_query(chain.chain, LAND, "certificate", {"parcel_id": "P1"})
    assert isinstance(answer.result, TitleCertificate)
    proven = verify_state(answer.proof, chain.chain.validator_set(answer.height))

    again = certificate_data(AppView(ProvenState(proven), "land"), "P1")
    assert again == answer.result
    assert sorted(k for _, k in proven) == sorted(
        [b"building/B1", b"parcel/P1", b"party/alice", b"title/P1"]
    ), "the certificate reads only what it shows"
    assert state_key("land", b"title/P1") in {state_key(a, k) for a, k in proven}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), blocks=st.integers(1, 5))
def test_two_nodes_reach_the_same_state_root(data: st.DataObject, blocks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, LandChain.pair(Path(tmp)) as (a, b):
        assert a.chain.tip == b.chain.tip
        _populate(a)
        b.execute_committed(a, (1, 2))
        for _ in range(blocks):
            ops = [
                data.draw(operation(AppView(a.storage, "land"), a.time_ms + 1000))
                for _ in range(data.draw(st.integers(0, 4)))
            ]
            raws = [a.tx(op, body, *signers) for op, body, signers in ops]
            a.replay(b, raws, data.draw(st.sampled_from([1000, DAY_MS])))
        assert a.chain.tip.state_root == b.chain.tip.state_root
        assert a.chain.tree.root_hash(a.chain.height) == a.chain.tip.state_root
        everything = dict(a.storage.scan_prefix(b"land\x00", 100_000))
        check_invariants(everything, 20_000)
