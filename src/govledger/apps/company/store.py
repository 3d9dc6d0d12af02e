"""The company app's key space, and the only module that reads or writes it.

Key space (app-relative; ids never contain '/', so prefixes cannot collide):

    party/<party>                                   -> Party
    key/<key id>                                    -> party id        a key is bound to one party
    company/<company>                               -> CompanyVersion  the current version
    company/<company>/v/<version, 10 digits>        -> CompanyVersion  every version, never rewritten
    name/<sha256 of the folded name, hex>           -> company id      one company per name
    appointment/<company>/<seq, 8 digits>           -> Appointment     every appointment ever made
    class/<company>/<class>                         -> ShareClass
    holding/<company>/<class>/<party>               -> Shares          only non-zero holdings
    licence/<company>/<licence>                     -> Licence
    fee/<company>/<licence>/<term, 6 digits>        -> FeePayment
    filing/<company>/<period, 6 digits>             -> Filing
    resolution/<company>/<resolution>               -> Resolution
    vote/<company>/<resolution>/<party>             -> Vote
    snap/<company>/<resolution>/h/<class>/<party>   -> Shares          holding at the record height
    snap/<company>/<resolution>/i/<class>           -> Shares          issued at the record height
    due/<time ms, 16 digits>/<kind>/<company>/<id>  -> b""             what end_block must do, in time order

Rules kept here, so that no operation can forget them:
- every registrable act writes a new `CompanyVersion` at `company/<c>/v/<n+1>` and the same record at
  `company/<c>`; a version, once written, is never rewritten;
- a class's `issued` is the sum of its holdings and `holders` their number: only `move_shares` changes
  holdings, and it asserts both;
- record-height snapshots are copy-on-write: before the first change of a holding (or of `issued`)
  after an open resolution's record height, the old amount is saved under `snap/`. A vote then reads
  the snapshot if there is one, else the current amount (unchanged since the record height). Snapshots
  stay after closing: they are the evidence a verifier reads to re-add a tally.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from govledger.apps.common.keys import bind_keys as bind_keys
from govledger.apps.common.keys import bound_elsewhere as bound_elsewhere
from govledger.apps.common.keys import party_key as party_key
from govledger.apps.common.keys import party_of_key as party_of_key
from govledger.apps.common.versions import write_version
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    FILING_GRACE_MS,
    FILING_PERIOD_MS,
    OPEN,
    CompanyVersion,
    Entry,
    Licence,
    Party,
    Resolution,
    ShareClass,
    Shares,
)
from govledger.codec import sha256
from govledger.ledger.app import AppState, AppView, TxContext

# --- keys -----------------------------------------------------------------------------------------------


def company_key(company_id: str) -> bytes:
    return b"company/" + company_id.encode()


def version_key(company_id: str, version: int) -> bytes:
    return company_key(company_id) + f"/v/{version:010d}".encode()


def fold_name(name: str) -> str:
    """The form in which two names collide: ASCII letters lower-cased, runs of spaces collapsed.

    Only ASCII is folded, on purpose: Unicode case tables change between Python releases and every
    validator must compute the same key. Non-ASCII letters are compared exactly.
    """
    lowered = "".join(c.lower() if c.isascii() else c for c in name)
    return " ".join(part for part in lowered.split(" ") if part)


def name_key(name: str) -> bytes:
    return b"name/" + sha256(fold_name(name).encode()).hex().encode()


def appointment_key(company_id: str, seq: int) -> bytes:
    return f"appointment/{company_id}/{seq:08d}".encode()


def class_key(company_id: str, class_id: str) -> bytes:
    return f"class/{company_id}/{class_id}".encode()


def holdings_prefix(company_id: str, class_id: str) -> bytes:
    return f"holding/{company_id}/{class_id}/".encode()


def holding_key(company_id: str, class_id: str, party_id: str) -> bytes:
    return holdings_prefix(company_id, class_id) + party_id.encode()


def licence_key(company_id: str, licence_id: str) -> bytes:
    return f"licence/{company_id}/{licence_id}".encode()


def fee_key(company_id: str, licence_id: str, term: int) -> bytes:
    return f"fee/{company_id}/{licence_id}/{term:06d}".encode()


def filing_key(company_id: str, period: int) -> bytes:
    return f"filing/{company_id}/{period:06d}".encode()


def resolutions_prefix(company_id: str) -> bytes:
    return f"resolution/{company_id}/".encode()


def resolution_key(company_id: str, resolution_id: str) -> bytes:
    return resolutions_prefix(company_id) + resolution_id.encode()


def vote_key(company_id: str, resolution_id: str, party_id: str) -> bytes:
    return f"vote/{company_id}/{resolution_id}/{party_id}".encode()


def snap_holding_key(company_id: str, resolution_id: str, class_id: str, party_id: str) -> bytes:
    return f"snap/{company_id}/{resolution_id}/h/{class_id}/{party_id}".encode()


def snap_issued_key(company_id: str, resolution_id: str, class_id: str) -> bytes:
    return f"snap/{company_id}/{resolution_id}/i/{class_id}".encode()


DUE_PREFIX = b"due/"
DUE_KINDS = ("filing", "licence", "resolution")


def due_key(time_ms: int, kind: str, company_id: str, item_id: str) -> bytes:
    assert kind in DUE_KINDS
    return DUE_PREFIX + f"{time_ms:016d}/{kind}/{company_id}/{item_id}".encode()


def parse_due_key(key: bytes) -> tuple[int, str, str, str]:
    time_ms, kind, company_id, item_id = key[len(DUE_PREFIX) :].decode().split("/")
    return int(time_ms), kind, company_id, item_id


# --- the filing calendar (pure) -------------------------------------------------------------------------


def period_end_ms(company: CompanyVersion, period: int) -> int:
    return company.incorporated_ms + period * FILING_PERIOD_MS


def filing_due_ms(company: CompanyVersion, period: int) -> int:
    return period_end_ms(company, period) + FILING_GRACE_MS


def overdue(company: CompanyVersion, at_ms: int) -> bool:
    """A return is overdue at `at_ms`: the next unfiled period's due time has come."""
    return company.next_filing_due_ms <= at_ms


# --- reads ----------------------------------------------------------------------------------------------


def get_party(view: AppView, party_id: str) -> Party | None:
    return view.get_as(party_key(party_id), Party)


def load_party(view: AppView, party_id: str) -> Party:
    p = get_party(view, party_id)
    if p is None:
        fail("company.unknown_party", f"no party {party_id!r} is registered")
    return p


def get_company(view: AppView, company_id: str) -> CompanyVersion | None:
    return view.get_as(company_key(company_id), CompanyVersion)


def load_company(view: AppView, company_id: str) -> CompanyVersion:
    c = get_company(view, company_id)
    if c is None:
        fail("company.unknown_company", f"no company {company_id!r} is registered")
    return c


def company_of_name(view: AppView, name: str) -> str | None:
    raw = view.get(name_key(name))
    return None if raw is None else raw.decode()


def get_class(view: AppView, company_id: str, class_id: str) -> ShareClass | None:
    return view.get_as(class_key(company_id, class_id), ShareClass)


def load_class(view: AppView, company_id: str, class_id: str) -> ShareClass:
    c = get_class(view, company_id, class_id)
    if c is None:
        fail("company.unknown_class", f"company {company_id!r} has no share class {class_id!r}")
    return c


def holding(view: AppView, company_id: str, class_id: str, party_id: str) -> int:
    s = view.get_as(holding_key(company_id, class_id, party_id), Shares)
    return 0 if s is None else s.amount


def get_licence(view: AppView, company_id: str, licence_id: str) -> Licence | None:
    return view.get_as(licence_key(company_id, licence_id), Licence)


def load_licence(view: AppView, company_id: str, licence_id: str) -> Licence:
    lic = get_licence(view, company_id, licence_id)
    if lic is None:
        fail("company.unknown_licence", f"company {company_id!r} has no licence {licence_id!r}")
    return lic


def get_resolution(view: AppView, company_id: str, resolution_id: str) -> Resolution | None:
    return view.get_as(resolution_key(company_id, resolution_id), Resolution)


def load_resolution(view: AppView, company_id: str, resolution_id: str) -> Resolution:
    r = get_resolution(view, company_id, resolution_id)
    if r is None:
        fail("company.unknown_resolution", f"company {company_id!r} has no resolution {resolution_id!r}")
    return r


def amount_at_record(view: AppView, company_id: str, res: Resolution, class_id: str, party_id: str) -> int:
    """Shares of `party_id` in `class_id` at the end of block `res.record_height` (see the module doc)."""
    snap = view.get_as(snap_holding_key(company_id, res.resolution_id, class_id, party_id), Shares)
    return holding(view, company_id, class_id, party_id) if snap is None else snap.amount


def issued_at_record(view: AppView, company_id: str, res: Resolution, cls: ShareClass) -> int:
    snap = view.get_as(snap_issued_key(company_id, res.resolution_id, cls.class_id), Shares)
    return cls.issued if snap is None else snap.amount


def voting_weight(view: AppView, company: CompanyVersion, res: Resolution, party_id: str) -> int:
    total = 0
    for class_id in company.classes:
        cls = get_class(view, company.company_id, class_id)
        assert cls is not None, "a company lists only existing classes"
        total += cls.votes_per_share * amount_at_record(view, company.company_id, res, class_id, party_id)
    return total


def outstanding_votes(view: AppView, company: CompanyVersion, res: Resolution) -> int:
    total = 0
    for class_id in company.classes:
        cls = get_class(view, company.company_id, class_id)
        assert cls is not None, "a company lists only existing classes"
        total += cls.votes_per_share * issued_at_record(view, company.company_id, res, cls)
    return total


# --- writes ---------------------------------------------------------------------------------------------


def tx_entry(ctx: TxContext, op: str, refs: Iterable[str]) -> Entry:
    return Entry(
        op=op,
        refs=list(refs),
        signer_ids=sorted(ctx.signer_ids),
        tx_id=ctx.tx_id,
        height=ctx.height,
        time_ms=ctx.time_ms,
    )


def block_entry(op: str, refs: Iterable[str], height: int, time_ms: int) -> Entry:
    """An entry written by end_block: nobody signed, block time decided."""
    return Entry(op=op, refs=list(refs), signer_ids=[], tx_id=b"", height=height, time_ms=time_ms)


def put_party(state: AppState, p: Party) -> None:
    state.put(party_key(p.party_id), p)


def first_version(state: AppState, c: CompanyVersion) -> None:
    assert c.version == 1
    _write_version(state, c)
    state.put(name_key(c.name), c.company_id.encode())


def next_version(state: AppState, prev: CompanyVersion, entry: Entry, **changes: object) -> CompanyVersion:
    """Write version `prev.version + 1` with `changes`; appointments that have ended drop out."""
    c = msgspec.structs.replace(prev, version=prev.version + 1, entry=entry, **changes)
    live = [a for a in c.officers if a.ended_ms == 0 or a.ended_ms > entry.time_ms]
    if live != c.officers:
        c = msgspec.structs.replace(c, officers=live)
    _write_version(state, c)
    return c


def _write_version(state: AppState, c: CompanyVersion) -> None:
    write_version(state, version_key(c.company_id, c.version), company_key(c.company_id), c, "company")


def put_class(state: AppState, company_id: str, cls: ShareClass) -> None:
    state.put(class_key(company_id, cls.class_id), cls)


def put_licence(state: AppState, lic: Licence) -> None:
    state.put(licence_key(lic.company_id, lic.licence_id), lic)


def put_resolution(state: AppState, company_id: str, r: Resolution) -> None:
    state.put(resolution_key(company_id, r.resolution_id), r)


def _snapshot_targets(view: AppView, company: CompanyVersion, height: int) -> list[str]:
    """Open resolutions whose record height has passed: their snapshots must be kept on change."""
    out = []
    for rid in company.open_resolutions:
        r = get_resolution(view, company.company_id, rid)
        assert r is not None and r.status == OPEN, "a company lists only its open resolutions"
        if r.record_height < height:
            out.append(rid)
    return out


def _snap_once(state: AppState, key: bytes, amount: int) -> None:
    if state.get(key) is None:
        state.put(key, Shares(amount=amount))


def move_shares(
    state: AppState,
    company: CompanyVersion,
    class_id: str,
    deltas: dict[str, int],
    height: int,
) -> ShareClass:
    """Apply per-party share deltas to one class (issue: +, cancel: -, transfer: -/+), keeping
    `issued`, `holders` and the record-height snapshots exact. Returns the new class record."""
    cls = load_class(state, company.company_id, class_id)
    targets = _snapshot_targets(state, company, height)
    issued = cls.issued + sum(deltas.values())
    holders = cls.holders
    if issued != cls.issued:
        for rid in targets:
            _snap_once(state, snap_issued_key(company.company_id, rid, class_id), cls.issued)
    for party_id, delta in sorted(deltas.items()):
        before = holding(state, company.company_id, class_id, party_id)
        after = before + delta
        assert 0 <= after <= issued, "a holding went negative or above the class total"
        for rid in targets:
            _snap_once(state, snap_holding_key(company.company_id, rid, class_id, party_id), before)
        key = holding_key(company.company_id, class_id, party_id)
        if after == 0:
            state.delete(key)
        else:
            state.put(key, Shares(amount=after))
        holders += (after > 0) - (before > 0)
    new = msgspec.structs.replace(cls, issued=issued, holders=holders)
    assert 0 <= issued <= cls.authorised and holders >= 0, "issued within authorised, holders counted"
    put_class(state, company.company_id, new)
    return new


def schedule(state: AppState, time_ms: int, kind: str, company_id: str, item_id: str) -> None:
    state.put(due_key(time_ms, kind, company_id, item_id), b"")


def unschedule(state: AppState, time_ms: int, kind: str, company_id: str, item_id: str) -> None:
    state.delete(due_key(time_ms, kind, company_id, item_id))
