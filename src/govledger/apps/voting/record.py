"""The election record, assembled from the ledger, and its independent verification.

Theory of operation
-------------------
`export_election` reads an election through the app's queries, the same way whether they run over a
local view (tests, a validator's own store) or through the SDK, which verifies every answer's state
proof against a header signed by the validators. It assembles:

- the ElectionGuard `ElectionRecord` of spec §3.7: parameters, manifest, H_P, H_M, H_B, the guardians'
  keys (the round that completed), K, H_E, the cast ballots that count and the challenged ballots
  with their reveals, in admission order; one `DeviceChain` per device label (without chaining,
  B_aux of each ballot is B_aux,0 and the closing hash is computed over the device's last ballot in
  the record); the encrypted tally recorded at close and the published result;
- around it, the ledger's own account (`ElectionExport`): ballots admitted but not counted
  (superseded by a revote, withdrawn with a revoked credential), the counts, the height read, and
  the devices' proof commitments of the ballots cast with them (`records.ProofCommitments`).

`verify_export` runs `voting.verify.verify_election` on the record (the independent verifier, which
imports nothing that produced the record; it takes the commitments as a hint, checks those ballots'
equations at once and falls back to the standard check, so they change its cost, never its verdict)
and then the ledger steps "L": every uncounted ballot's proofs verify (L.1), ballot ids and
confirmation codes are unique across counted and uncounted ballots (L.2), and the counts match the
ballots present (L.3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol, TypeVar

import msgspec

from govledger.apps.voting.model import (
    CAST,
    CHALLENGED,
    EXPORT_FORMAT,
    MAX_BALLOT_PAGE,
    MAX_HINT_PAGE,
    TALLIED,
    BallotEntry,
    Counts,
    Election,
    ElectionExport,
    GuardiansView,
    UncountedBallot,
)
from govledger.apps.voting.queries import QUERIES
from govledger.codec import decode, encode, from_jsonable
from govledger.errors import CodecError, GovledgerError
from govledger.ledger.app import AppView, to_builtins
from govledger.voting import hash as eh
from govledger.voting.ballot import device_aux0
from govledger.voting.group import SPEC_VERSION, G, P, Q, R, elem_bytes, exp_bytes, from_bytes
from govledger.voting.records import (
    DecryptedTally,
    DeviceChain,
    ElectionConstants,
    ElectionParameters,
    ElectionRecord,
    EncryptedTally,
    ProofCommitments,
    SubmittedBallot,
)
from govledger.voting.verify import BallotChecker, Report, verify_election

T = TypeVar("T")

MAX_RECORD_BYTES: Final = 1 << 31
APP_NAME = "voting"

Fetch = Callable[[str, dict[str, Any]], tuple[int, Any]]
"""Run a voting query: (name, JSON params) -> (height of the answer, JSON-like result)."""


class QueryClient(Protocol):
    """What `export_election` needs from `govledger.sdk.Client` (answers verified by the SDK)."""

    def query_answer(self, app: str, name: str, params: dict[str, Any] | None = None) -> Any: ...


def view_fetch(view: AppView, height: int) -> Fetch:
    """Queries over a local view of the voting app's state at `height`."""

    def fetch(name: str, params: dict[str, Any]) -> tuple[int, Any]:
        query = QUERIES[name]
        return height, to_builtins(query.run(view, msgspec.convert(params, type=query.params, strict=False)))

    return fetch


def client_fetch(client: QueryClient) -> Fetch:
    """Queries through the SDK: every answer's state proof is verified before it is used."""

    def fetch(name: str, params: dict[str, Any]) -> tuple[int, Any]:
        answer = client.query_answer(APP_NAME, name, params)
        return int(answer.height), answer.result

    return fetch


def _typed(fetch: Fetch, name: str, params: dict[str, Any], type_: type[T], what: str) -> tuple[int, T]:
    height, raw = fetch(name, params)
    if raw is None:
        raise GovledgerError("election.not_found", f"{what} is not on the ledger")
    try:
        return height, from_jsonable(raw, type_)
    except CodecError as exc:
        raise GovledgerError("election.bad_answer", f"{what}: {exc.message}") from None


def standard_parameters(n: int, k: int) -> ElectionParameters:
    constants = ElectionConstants(p=elem_bytes(P), q=exp_bytes(Q), r=elem_bytes(R), g=elem_bytes(G))
    return ElectionParameters(version=SPEC_VERSION, constants=constants, guardians=n, quorum=k)


def _all_ballots(fetch: Fetch, election_id: str, total: int) -> list[BallotEntry]:
    out: list[BallotEntry] = []
    while len(out) < total:
        params = {"election_id": election_id, "start": len(out) + 1, "limit": MAX_BALLOT_PAGE}
        _, page = _typed(fetch, "ballots", params, list[BallotEntry], "ballots page")
        if not page:
            raise GovledgerError("election.bad_answer", f"ballot seq {len(out) + 1} of {total} is missing")
        out += page
    if [b.seq for b in out] != list(range(1, total + 1)):
        raise GovledgerError("election.bad_answer", "ballots are not numbered 1..n in admission order")
    return out


def _all_hints(fetch: Fetch, election_id: str, total: int) -> tuple[ProofCommitments, ...]:
    out: list[ProofCommitments] = []
    for start in range(1, total + 1, MAX_HINT_PAGE):
        params = {"election_id": election_id, "start": start, "limit": MAX_HINT_PAGE}
        out += _typed(fetch, "commitments", params, list[ProofCommitments], "commitments page")[1]
    return tuple(out)


def device_chains(h_e: bytes, ballots: Iterable[SubmittedBallot]) -> tuple[DeviceChain, ...]:
    """One chain per device label, its ballots in record order, closed after its last one (eq. 61)."""
    by_device: dict[str, list[SubmittedBallot]] = {}
    for sb in ballots:
        by_device.setdefault(sb.ballot.device, []).append(sb)
    chains = []
    for device in sorted(by_device):
        listed = by_device[device]
        aux0 = device_aux0(device)
        closing = eh.chain_closing_code(h_e, listed[-1].ballot.confirmation_code, aux0)
        ids = tuple(sb.ballot.ballot_id for sb in listed)
        chains.append(DeviceChain(device=device, aux0=aux0, ballot_ids=ids, closing_code=closing))
    return tuple(chains)


def export_election(fetch: Fetch, chain_id: str, election_id: str) -> ElectionExport:
    """Assemble the record of a tallied election from the ledger (see the module docstring)."""
    params = {"election_id": election_id}
    height, election = _typed(fetch, "election", params, Election, f"election {election_id!r}")
    if election.phase != TALLIED:
        raise GovledgerError(
            "election.not_tallied", f"election {election_id!r} is in phase {election.phase!r}, not tallied"
        )
    _, guardians = _typed(fetch, "guardians", params, GuardiansView, "the guardians")
    _, counts = _typed(fetch, "counts", params, Counts, "the counts")
    _, tally = _typed(fetch, "encrypted_tally", params, EncryptedTally, "the encrypted tally")
    _, result = _typed(fetch, "result", params, DecryptedTally, "the result")
    entries = _all_ballots(fetch, election_id, counts.ballots)
    keys = tuple(g.key for g in guardians.guardians if g.key is not None)
    if len(keys) != len(election.guardians):
        raise GovledgerError("election.bad_answer", "the completed ceremony round lacks a guardian key")
    submitted = tuple(
        SubmittedBallot(e.ballot, "cast" if e.status == CAST else "challenged")
        for e in entries
        if e.status in (CAST, CHALLENGED)
    )
    record = ElectionRecord(
        parameters=standard_parameters(len(election.guardians), election.quorum),
        manifest=election.manifest,
        parameter_base_hash=election.parameter_base_hash,
        manifest_hash=election.manifest_hash,
        base_hash=election.base_hash,
        guardians=keys,
        joint_key=election.joint_key,
        extended_base_hash=election.extended_base_hash,
        ballots=submitted,
        devices=device_chains(election.extended_base_hash, submitted),
        encrypted_tally=tally,
        tally=result,
        challenged_reveals=tuple(
            e.reveal for e in entries if e.status == CHALLENGED and e.reveal is not None
        ),
    )
    uncounted = tuple(
        UncountedBallot(ballot=e.ballot, status=e.status, replaced_by=e.replaced_by)
        for e in entries
        if e.status not in (CAST, CHALLENGED)
    )
    return ElectionExport(
        format=EXPORT_FORMAT,
        chain_id=chain_id,
        election_id=election_id,
        height=height,
        record=record,
        uncounted=uncounted,
        counts=counts,
        authority_org=election.authority_org,
        guardian_members=election.guardians,
        opens_ms=election.opens_ms,
        closes_ms=election.closes_ms,
        commitments=_all_hints(fetch, election_id, counts.ballots),
    )


# --- files -------------------------------------------------------------------------------------------------


def dump(export: ElectionExport, as_json: bool) -> bytes:
    """JSON (bytes as base64, for people and other tools) or canonical MessagePack."""
    return msgspec.json.encode(export) if as_json else encode(export)


def load(data: bytes) -> ElectionExport | ElectionRecord:
    """A record file as `dump` writes it, or a bare ElectionGuard record; strict: unknown or missing
    fields, wrong lengths and non-canonical MessagePack are refused (`election.bad_record`)."""
    if len(data) > MAX_RECORD_BYTES:
        raise GovledgerError("election.bad_record", f"the file exceeds {MAX_RECORD_BYTES} bytes")
    as_json = data.lstrip()[:1] == b"{"
    try:
        return _decode_as(data, ElectionExport, as_json)
    except GovledgerError as first:
        try:
            return _decode_as(data, ElectionRecord, as_json)
        except GovledgerError:
            problem = first.message
    kind = "JSON" if as_json else "MessagePack"
    raise GovledgerError("election.bad_record", f"not an election record ({kind}): {problem}")


def _decode_as(data: bytes, type_: type[T], as_json: bool) -> T:
    try:
        if as_json:
            return msgspec.json.decode(data, type=type_)
        return decode(data, type_, max_bytes=MAX_RECORD_BYTES)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise GovledgerError("election.bad_record", str(exc)) from None


# --- verification ------------------------------------------------------------------------------------------


def verify_export(export: ElectionExport | ElectionRecord) -> Report:
    """The independent verifier on the record, then (for an export) the ledger's steps L.1-L.3."""
    if isinstance(export, ElectionRecord):
        return verify_election(export)
    hints = {c.ballot_id: c for c in export.commitments}
    report = verify_election(export.record, commitments=hints)
    if not report.ok and "0" in report.steps_failed():
        return report
    record = export.record
    checker = BallotChecker(record.manifest, from_bytes(record.joint_key), record.extended_base_hash)
    for u in export.uncounted:
        where = f"uncounted ballot {u.ballot.ballot_id!r} ({u.status})"
        sub = checker.verify_ballot(u.ballot, commitments=hints.get(u.ballot.ballot_id))
        report.check("L.1", sub.ok, f"{where}: {sub.failures[0] if sub.failures else 'fails'}")
    ballots = [sb.ballot for sb in record.ballots] + [u.ballot for u in export.uncounted]
    ids = [b.ballot_id for b in ballots]
    codes = [b.confirmation_code for b in ballots]
    report.check("L.2", len(set(ids)) == len(ids), "a ballot id appears twice among all admitted ballots")
    report.check("L.2", len(set(codes)) == len(codes), "a confirmation code appears twice")
    c = export.counts
    cast = sum(1 for sb in record.ballots if sb.state == "cast")
    challenged = len(record.ballots) - cast
    report.check("L.3", c.cast == cast, f"counts say {c.cast} cast ballots, the record has {cast}")
    report.check(
        "L.3",
        c.challenged == challenged,
        f"counts say {c.challenged} challenged, the record has {challenged}",
    )
    report.check(
        "L.3",
        c.superseded + c.withdrawn == len(export.uncounted),
        f"counts say {c.superseded + c.withdrawn} uncounted ballots, the export has {len(export.uncounted)}",
    )
    report.check(
        "L.3", c.ballots == len(ballots), f"counts say {c.ballots} ballots, the export has {len(ballots)}"
    )
    return report
