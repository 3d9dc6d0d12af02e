"""Properties over generated histories: shares conserved, tallies = shares at the record height,
licence renewal a function of block time (checked against an independent model), invariants kept."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.apps.company.model import (
    CastVote,
    FileAnnualReturn,
    IssueLicence,
    PayLicenceFee,
    ProposeResolution,
    ReinstateLicence,
)
from govledger.ledger.tx import Transaction

from .gen import CLASSES, check_invariants, holdings, operation, transfer
from .gen import capital as capital_op
from .harness import BOARD, DAY_MS, PARTY_KEYS, YEAR_MS, A, Ledger, fresh_world, sha

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VOTES_PER_SHARE = {"ORD": 1, "PREF": 0}


@SETTINGS
@given(data=st.data(), blocks=st.integers(1, 8))
def test_any_history_keeps_every_invariant(data: st.DataObject, blocks: int) -> None:
    led = fresh_world()
    check_invariants(led.store.data)
    for _ in range(blocks):
        txs = []
        for _ in range(data.draw(st.integers(0, 5))):
            op, body, signers = data.draw(operation(led.view, led.height + 1, led.time_ms + 1000))
            txs.append(led.tx(op, body, *signers))
        led.block(txs, advance_ms=data.draw(st.sampled_from([1000, 1000, 3000, DAY_MS, 200 * DAY_MS])))
        check_invariants(led.store.data)


@SETTINGS
@given(data=st.data(), blocks=st.integers(1, 6))
def test_transfers_conserve_the_shares_of_every_class(data: st.DataObject, blocks: int) -> None:
    led = fresh_world()
    issued = {c: led.share_class(c).issued for c in CLASSES}
    for _ in range(blocks):
        txs = [
            led.tx(op, body, *keys) for op, body, keys in (data.draw(transfer(led.view)) for _ in range(4))
        ]
        led.block(txs)
        for c in CLASSES:
            assert led.share_class(c).issued == issued[c], "transfers never change what is issued"
            assert sum(holdings(led.view, c).values()) == issued[c], "holdings sum to the issued total"


@dataclass
class Recorded:
    holdings: dict[str, dict[str, int]]
    issued: dict[str, int]


def _record(led: Ledger) -> Recorded:
    return Recorded(
        {c: holdings(led.view, c) for c in CLASSES}, {c: led.share_class(c).issued for c in CLASSES}
    )


def _weight(rec: Recorded, party: str) -> int:
    return sum(VOTES_PER_SHARE[c] * rec.holdings[c].get(party, 0) for c in CLASSES)


@SETTINGS
@given(data=st.data(), record_ahead=st.integers(0, 3), after=st.integers(1, 4))
def test_a_tally_is_the_voters_shares_at_the_record_height(
    data: st.DataObject, record_ahead: int, after: int
) -> None:
    led = fresh_world()
    body = ProposeResolution(
        "ACME", "R1", "ordinary", sha("m"), led.height + 1 + record_ahead, led.time_ms + DAY_MS
    )

    def churn() -> list[Transaction]:
        ops = [data.draw(transfer(led.view)) for _ in range(data.draw(st.integers(0, 3)))]
        ops += [data.draw(capital_op(led.view)) for _ in range(data.draw(st.integers(0, 1)))]
        return [led.tx(op, b, *keys) for op, b, keys in ops]

    led.block([*churn(), led.tx("propose_resolution", body, *BOARD), *churn()])
    for _ in range(record_ahead):
        led.block(churn())
    assert led.height == body.record_height
    rec = _record(led)
    weights: dict[str, int] = {}
    choices: dict[str, str] = {}
    for _ in range(after):
        voters = data.draw(st.lists(st.sampled_from(sorted(PARTY_KEYS)), max_size=3, unique=True))
        txs = churn()
        for p in voters:
            choice = data.draw(st.sampled_from(["yes", "no", "abstain"]))
            txs.insert(
                data.draw(st.integers(0, len(txs))),
                led.tx("cast_vote", CastVote("ACME", "R1", p, choice), PARTY_KEYS[p]),
            )
            choices.setdefault(p, choice)
        receipts = led.block(txs)
        for r in receipts:
            for e in r.events:
                if e.kind == "vote_cast":
                    p = str(e.attributes["party_id"])
                    assert e.attributes["weight"] == _weight(rec, p), "weight = shares at the record height"
                    assert e.attributes["choice"] == choices[p]
                    weights[p] = int(e.attributes["weight"])
    assert all(_weight(rec, p) == 0 for p in choices if p not in weights), "only zero weights are refused"
    res = led.resolution("R1")
    assert res.yes == sum(w for p, w in weights.items() if choices[p] == "yes")
    assert res.no == sum(w for p, w in weights.items() if choices[p] == "no")
    assert res.abstain == sum(w for p, w in weights.items() if choices[p] == "abstain")
    led.tick(DAY_MS)
    closed = led.resolution("R1")
    assert closed.status in ("passed", "failed")
    assert closed.outstanding == sum(VOTES_PER_SHARE[c] * rec.issued[c] for c in CLASSES)


# --- licence renewal against an independent model ------------------------------------------------------

TERM_MS = 40 * DAY_MS
FEE = 100


@dataclass
class LicenceModel:
    """The renewal rule written independently of timers.py: evaluated at each block's end."""

    term: int
    paid: int
    expires: int
    status: str
    reason: str
    next_due: int  # when the next unfiled return becomes late

    def end_block(self, now: int) -> None:
        if self.status != "active" or self.expires > now:
            return
        reasons = [
            r
            for r, bad in (
                ("fee_unpaid", self.paid <= self.term),
                ("filings_missing", self.next_due <= self.expires),
            )
            if bad
        ]
        if reasons:
            self.status, self.reason = "suspended", ",".join(reasons)
        else:
            self.term, self.expires = self.term + 1, self.expires + TERM_MS


@SETTINGS
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([DAY_MS, 10 * DAY_MS, 39 * DAY_MS, 41 * DAY_MS, 90 * DAY_MS]), st.integers(0, 7)
        ),
        min_size=1,
        max_size=14,
    )
)
def test_licence_renewal_follows_block_time(steps: list[tuple[int, int]]) -> None:
    led = fresh_world()
    led.ok(
        "issue_licence",
        IssueLicence("ACME", "L1", ["trading"], TERM_MS, FEE, "AED", "P1"),
        *BOARD,
        A.licensing,
    )
    lic = led.licence()
    company = led.company()
    model = LicenceModel(1, 1, lic.expires_ms, "active", "", company.next_filing_due_ms)
    for advance, action in steps:
        txs = []
        if action in (1, 2, 3) and model.paid == model.term:  # pay the coming term
            txs.append(
                led.tx(
                    "pay_licence_fee",
                    PayLicenceFee("ACME", "L1", model.term + 1, "P", FEE, "AED"),
                    A.licensing,
                )
            )
            model.paid += 1
        c = led.company()
        period_end = c.incorporated_ms + (c.filed_through + 1) * YEAR_MS
        if action in (3, 4) and led.time_ms + advance >= period_end:
            txs.append(
                led.tx("file_annual_return", FileAnnualReturn("ACME", c.filed_through + 1, sha("r")), A.carol)
            )
            model.next_due += YEAR_MS
        if (
            action == 5
            and model.status == "suspended"
            and model.paid > model.term
            and model.next_due > led.time_ms + advance
        ):
            txs.append(led.tx("reinstate_licence", ReinstateLicence("ACME", "L1"), A.licensing))
            model.term, model.expires, model.status, model.reason = (
                model.term + 1,
                led.time_ms + advance + TERM_MS,
                "active",
                "",
            )
        receipts = led.block(txs, advance_ms=advance)
        assert [r.code for r in receipts] == ["ok"] * len(txs), receipts
        model.end_block(led.time_ms)
        lic = led.licence()
        assert (lic.status, lic.reason, lic.term, lic.paid_term, lic.expires_ms) == (
            model.status,
            model.reason,
            model.term,
            model.paid,
            model.expires,
        )
