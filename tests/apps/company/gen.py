"""Random company operations for property tests, and the invariants every reachable state must satisfy.

The generator looks at the current state so most operations are plausible (sellers hold shares,
the coming licence term is the one paid) and then, with some probability, breaks one thing: too many
shares, a missing signer, an unknown party, a wrong term. Invalid operations must be refused without
a trace; valid ones must keep every invariant.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import strategies as st

from govledger.apps.company import store
from govledger.apps.company.model import (
    LICENCE_ACTIVE,
    OPEN,
    AppointOfficer,
    CancelShares,
    CastVote,
    ChangeRegisteredOffice,
    CompanyVersion,
    EndAppointment,
    FileAnnualReturn,
    GiveStrikeOffNotice,
    IssueLicence,
    IssueShares,
    Licence,
    PayLicenceFee,
    ProposeResolution,
    ReinstateLicence,
    Resolution,
    ShareClass,
    Shares,
    StrikeOff,
    SuspendLicence,
    TransferShares,
    Vote,
    WithdrawStrikeOffNotice,
)
from govledger.codec import Record, decode
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import AppView

from .harness import DAY_MS, PARTY_KEYS, A, sha

PEOPLE = tuple(PARTY_KEYS)
EVERYONE: list[SigningKey] = [*PARTY_KEYS.values(), A.clerk, A.licensing]
CLASSES = ("ORD", "PREF")

Op = tuple[str, Record, list[SigningKey]]


def holdings(view: AppView, class_id: str, company_id: str = "ACME") -> dict[str, int]:
    prefix = store.holdings_prefix(company_id, class_id)
    return {k[len(prefix) :].decode(): decode(v, Shares).amount for k, v in view.scan(prefix, limit=1000)}


@st.composite
def _signers(draw: st.DrawFn) -> list[SigningKey]:
    if draw(st.integers(0, 9)) > 0:
        return list(EVERYONE)
    return draw(
        st.lists(st.sampled_from(EVERYONE), min_size=1, max_size=4, unique_by=lambda k: k.public_key.key)
    )


@st.composite
def transfer(draw: st.DrawFn, view: AppView) -> Op:
    class_id = draw(st.sampled_from(CLASSES))
    held = holdings(view, class_id)
    seller = draw(st.sampled_from(sorted(held) or list(PEOPLE)))
    if draw(st.integers(0, 9)) == 0:
        seller = draw(st.sampled_from(PEOPLE))
    buyer = draw(
        st.sampled_from([p for p in PEOPLE if p != seller] + ["nobody"] * (draw(st.integers(0, 9)) == 0))
    )
    have = held.get(seller, 0)
    amount = draw(st.integers(1, max(1, have))) if draw(st.integers(0, 7)) else have + draw(st.integers(1, 5))
    keys = [PARTY_KEYS[seller], PARTY_KEYS.get(buyer, A.outsider)]
    if draw(st.integers(0, 9)) == 0:
        keys = keys[:1]
    return "transfer_shares", TransferShares("ACME", class_id, seller, buyer, amount, sha("form")), keys


@st.composite
def capital(draw: st.DrawFn, view: AppView) -> Op:
    class_id = draw(st.sampled_from(CLASSES))
    party = draw(st.sampled_from(PEOPLE))
    board = [A.alice, A.bob]
    if draw(st.booleans()):
        amount = draw(st.sampled_from([1, 10, 100, 5000]))
        return "issue_shares", IssueShares("ACME", class_id, party, amount, sha("minutes")), board
    have = holdings(view, class_id).get(party, 0)
    amount = draw(st.integers(1, max(1, have + 2)))
    return (
        "cancel_shares",
        CancelShares("ACME", class_id, party, amount, sha("minutes")),
        [*board, PARTY_KEYS[party]],
    )


@st.composite
def operation(draw: st.DrawFn, view: AppView, height: int, now_ms: int) -> Op:
    """One operation against the state seen through `view`, for a block at `height`, `now_ms`;
    each key signs once (a transaction names a signer once), at most 16."""
    op, body, keys = draw(_operation(view, height, now_ms))
    unique = list({k.public_key.key_id(): k for k in keys}.values())
    return op, body, unique[:16]


@st.composite
def _operation(draw: st.DrawFn, view: AppView, height: int, now_ms: int) -> Op:
    kind = draw(
        st.sampled_from(
            ["transfer"] * 5 + ["capital"] * 2 + ["vote"] * 3 + ["propose", "licence", "officer", "other"]
        )
    )
    company = store.get_company(view, "ACME")
    if kind == "transfer":
        return draw(transfer(view))
    if kind == "capital":
        return draw(capital(view))
    if kind == "propose":
        rid = f"R{draw(st.integers(1, 6))}"
        body: Record = ProposeResolution(
            "ACME",
            rid,
            draw(st.sampled_from(["ordinary", "special", "dissolution"])),
            sha(rid),
            height + draw(st.integers(0, 3)),
            now_ms + draw(st.sampled_from([2500, 5000, DAY_MS])),
        )
        return "propose_resolution", body, [A.alice, A.bob]
    if kind == "vote":
        rids = company.open_resolutions if company else []
        rid = draw(st.sampled_from(rids or ["R1"]))
        party = draw(st.sampled_from(PEOPLE))
        choice = draw(st.sampled_from(["yes", "no", "abstain"]))
        return "cast_vote", CastVote("ACME", rid, party, choice), [PARTY_KEYS[party]]
    if kind == "licence":
        return draw(licence_op(view))
    if kind == "closure":
        return draw(closure_op(now_ms))
    if kind == "officer":
        party = draw(st.sampled_from(PEOPLE))
        role = draw(st.sampled_from(["director", "secretary"]))
        if draw(st.booleans()):
            appoint = AppointOfficer("ACME", party, role, now_ms + draw(st.sampled_from([0, 1500, DAY_MS])))
            return "appoint_officer", appoint, [*draw(_signers()), PARTY_KEYS[party]][:16]
        body2 = EndAppointment("ACME", party, role, now_ms + draw(st.sampled_from([0, 1500])), "resignation")
        return "end_appointment", body2, [PARTY_KEYS[party]]
    if draw(st.booleans()):
        period = (company.filed_through + 1) if company else 1
        return "file_annual_return", FileAnnualReturn("ACME", period, sha("r")), [A.carol, A.alice]
    return "change_registered_office", ChangeRegisteredOffice("ACME", sha(f"o{now_ms}")), draw(_signers())


@st.composite
def licence_op(draw: st.DrawFn, view: AppView) -> Op:
    lic = store.get_licence(view, "ACME", "L1")
    if lic is None:
        body = IssueLicence("ACME", "L1", ["trading"], 30 * DAY_MS, 100, "AED", "P1")
        return "issue_licence", body, [A.alice, A.bob, A.licensing]
    choice = draw(st.sampled_from(["pay", "pay", "suspend", "reinstate"]))
    if choice == "pay":
        term = lic.term + 1 + (draw(st.integers(0, 5)) == 0)
        return "pay_licence_fee", PayLicenceFee("ACME", "L1", term, f"P{term}", 100, "AED"), [A.licensing]
    if choice == "suspend":
        return "suspend_licence", SuspendLicence("ACME", "L1", "licensing_decision"), [A.licensing]
    return "reinstate_licence", ReinstateLicence("ACME", "L1"), [A.licensing]


@st.composite
def closure_op(draw: st.DrawFn, now_ms: int) -> Op:
    choice = draw(st.sampled_from(["notice", "notice", "strike", "withdraw"]))
    if choice == "notice":
        ground = draw(st.sampled_from(["registrar_decision", "missing_filings"]))
        body: Record = GiveStrikeOffNotice("ACME", ground, sha("notice"), now_ms + 30 * DAY_MS + 1000)
        return "give_strike_off_notice", body, [A.clerk]
    if choice == "strike":
        return "strike_off", StrikeOff("ACME"), [A.clerk]
    return "withdraw_strike_off_notice", WithdrawStrikeOffNotice("ACME", "registrar_decision"), [A.clerk]


# --- invariants ---------------------------------------------------------------------------------------


def company_state(data: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {k[len(b"company\x00") :]: v for k, v in data.items() if k.startswith(b"company\x00")}


def check_invariants(data: dict[bytes, bytes]) -> None:
    """Every invariant of the company register over a full copy of committed state (strict decoding)."""
    view_data = company_state(data)
    companies: dict[str, CompanyVersion] = {}
    versions: dict[str, dict[int, CompanyVersion]] = {}
    classes: dict[tuple[str, str], ShareClass] = {}
    held: dict[tuple[str, str], Counter[str]] = {}
    resolutions: dict[tuple[str, str], Resolution] = {}
    votes: dict[tuple[str, str], list[Vote]] = {}
    licences: dict[tuple[str, str], Licence] = {}
    dues: set[tuple[int, str, str, str]] = set()
    for k, v in view_data.items():
        parts = k.decode(errors="replace").split("/")
        if parts[0] == "company" and len(parts) == 2:
            companies[parts[1]] = decode(v, CompanyVersion)
        elif parts[0] == "company":
            versions.setdefault(parts[1], {})[int(parts[3])] = decode(v, CompanyVersion)
        elif parts[0] == "class":
            classes[(parts[1], parts[2])] = decode(v, ShareClass)
        elif parts[0] == "holding":
            amount = decode(v, Shares).amount
            assert amount > 0, "only non-zero holdings are stored"
            held.setdefault((parts[1], parts[2]), Counter())[parts[3]] = amount
        elif parts[0] == "resolution":
            resolutions[(parts[1], parts[2])] = decode(v, Resolution)
        elif parts[0] == "vote":
            votes.setdefault((parts[1], parts[2]), []).append(decode(v, Vote))
        elif parts[0] == "licence":
            licences[(parts[1], parts[2])] = decode(v, Licence)
        elif parts[0] == "due":
            dues.add(store.parse_due_key(k))
    for cid, c in companies.items():
        assert sorted(versions[cid]) == list(range(1, c.version + 1)), "versions are 1..current"
        assert versions[cid][c.version] == c, "the current record is the newest version"
        assert sorted(c.classes) == sorted(k for (co, k) in classes if co == cid)
        if c.status == "active":
            timer = (c.next_filing_due_ms, "filing", cid, str(c.filed_through + 1)) in dues
            assert timer or c.in_default, "a filing timer until the return is found overdue"
        for rid in c.open_resolutions:
            assert resolutions[(cid, rid)].status == OPEN
    for (cid, class_id), cls in classes.items():
        h = held.get((cid, class_id), Counter())
        assert cls.issued == sum(h.values()), f"{class_id}: issued equals the sum of holdings"
        assert cls.holders == len(h), f"{class_id}: holders counted"
        assert 0 <= cls.issued <= cls.authorised
    for (cid, rid), r in resolutions.items():
        vs = votes.get((cid, rid), [])
        for choice in ("yes", "no", "abstain"):
            assert getattr(r, choice) == sum(v.weight for v in vs if v.choice == choice), "tally = votes"
        assert r.voters == len(vs)
        assert (r.status == OPEN) == (rid in companies[cid].open_resolutions)
        assert (r.status == OPEN) == ((r.deadline_ms, "resolution", cid, rid) in dues)
    for (cid, lid), lic in licences.items():
        assert lid in companies[cid].licences
        assert (lic.status == LICENCE_ACTIVE) == ((lic.expires_ms, "licence", cid, lid) in dues), (
            "licence timer"
        )
        assert lic.term <= lic.paid_term <= lic.term + 1
