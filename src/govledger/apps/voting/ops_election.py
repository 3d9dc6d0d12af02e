"""Election operations of the election official: create, reschedule, credentials, ceremony restart.

Rules
-----
- `create_election`: an official of `authority_org` (and the `election_official` policy). The manifest
  is an ElectionGuard `Manifest` that passes `manifest_problems`, asks for no device chaining
  (`voting.chaining_unsupported`: revoting drops superseded ballots from the count, which a device
  chain cannot skip; the ledger's own append-only order and inclusion proofs take its place), and
  whose largest encrypted ballot with its reveal fits MAX_BALLOT_BODY_BYTES, 32 KiB
  (`voting.ballot_too_large`; the bound on a validator's cost per ballot, see model.py). Guardians are
  1..32 distinct governance members holding the `guardian` role; 1 <= quorum <= n. The window
  [opens_ms, closes_ms) lies in the future (block time) and lasts at most 90 days. H_P, H_M and H_B
  are computed here and recorded with the election; the phase starts at `key_ceremony`.
- `reschedule`: the official moves the window while no ballot can have been cast (before the window
  opens with a key, or while the key ceremony is still running); the new window is in the future.
- `register_credentials`: the official registers a batch of 1..500 one-time voting credentials
  (Ed25519 public keys, fresh per voter per election, issued off the ledger against the voter roll)
  for one ballot style, until the poll closes; a credential registered after the window opened is
  counted as `late` so observers can see it.
- `revoke_credential`: the official revokes a credential until the poll closes (lost, compromised,
  the voter voted on paper, ...); its counted ballot, if any, becomes `withdrawn` and leaves the tally.
- `restart_ceremony`: during the key ceremony the official starts a new round, optionally replacing
  guardians (a guardian found at fault by a complaint, or one that never shows up); everything of the
  old round stays in state, keyed by its round, and is ignored.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.voting import crypto, rules, store
from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    KEY_CEREMONY,
    MAX_BALLOT_BODY_BYTES,
    MAX_CREDENTIALS,
    MAX_CREDENTIALS_PER_TX,
    MAX_ELECTION_GUARDIANS,
    MAX_TALLY_OPTIONS,
    REVOKE_REASONS,
    TIMER_CLOSE,
    TIMER_OPEN,
    WITHDRAWN,
    BallotEntry,
    Ceremony,
    Counts,
    CreateElection,
    Credential,
    Election,
    RegisterCredentials,
    Reschedule,
    RestartCeremony,
    RevokeCredential,
)
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "voting"


def _official(view: AppView, election_id: str) -> Requirement:
    rules.identifier(election_id, "election_id")
    return rules.official(store.load_election(view, election_id).authority_org)


# --- create_election -------------------------------------------------------------------------------------


def _guardians_ok(view: AppView, members: tuple[str, ...]) -> None:
    if not 1 <= len(members) <= MAX_ELECTION_GUARDIANS or len(set(members)) != len(members):
        fail("voting.bad_guardians", f"an election has 1..{MAX_ELECTION_GUARDIANS} distinct guardians")
    for m in members:
        rules.identifier(m, "guardian member id")
        if not rules.is_guardian_member(view, m):
            fail("voting.bad_guardians", f"member {m!r} does not exist or lacks the guardian role")


def _manifest_ok(b: CreateElection) -> None:
    problems = crypto.manifest_errors(b.manifest)
    if problems:
        fail("voting.bad_manifest", "; ".join(problems[:3]))
    if b.manifest.chain_confirmation_codes:
        fail("voting.chaining_unsupported", "set chain_confirmation_codes to false (see docs/apps/voting.md)")
    options = sum(len(c.options) for c in b.manifest.contests)
    if options > MAX_TALLY_OPTIONS:
        fail("voting.too_many", f"the manifest has {options} options; at most {MAX_TALLY_OPTIONS}")
    size, style = crypto.largest_ballot_body(b.manifest)
    if size > MAX_BALLOT_BODY_BYTES:
        fail(
            "voting.ballot_too_large",
            f"a ballot of style {style} takes up to {size} bytes; an election's ballots are at most "
            f"{MAX_BALLOT_BODY_BYTES}",
        )


def _authority(view: AppView, org: str) -> None:
    rules.identifier(org, "authority_org")
    if view.other("governance").get(b"org/" + org.encode()) is None:
        fail("voting.unknown_org", f"no governance organisation {org!r}")


def _signers_create(view: AppView, b: CreateElection, ctx: TxContext) -> Requirement:
    _authority(view, b.authority_org)
    return rules.official(b.authority_org)


def _check_create(view: AppView, b: CreateElection, ctx: TxContext) -> None:
    rules.identifier(b.election_id, "election_id")
    _authority(view, b.authority_org)
    if store.get_election(view, b.election_id) is not None:
        fail("voting.election_exists", f"election {b.election_id!r} already exists")
    _guardians_ok(view, b.guardians)
    if not 1 <= b.quorum <= len(b.guardians):
        fail("voting.bad_quorum", f"quorum {b.quorum} must be 1..{len(b.guardians)}")
    rules.window(b.opens_ms, b.closes_ms, ctx.time_ms)
    _manifest_ok(b)


def _apply_create(state: AppState, b: CreateElection, ctx: TxContext) -> list[Event]:
    h_p, h_m, h_b = crypto.election_hashes(b.manifest, len(b.guardians), b.quorum)
    e = b.election_id
    store.put_election(
        state,
        Election(
            election_id=e,
            authority_org=b.authority_org,
            manifest=b.manifest,
            guardians=b.guardians,
            quorum=b.quorum,
            opens_ms=b.opens_ms,
            closes_ms=b.closes_ms,
            parameter_base_hash=h_p,
            manifest_hash=h_m,
            base_hash=h_b,
            phase=KEY_CEREMONY,
            created_height=ctx.height,
        ),
    )
    store.put_ceremony(state, e, Ceremony(round=1))
    store.put_counts(state, e, Counts())
    store.init_aggregate(state, e, b.manifest)
    store.set_timer(state, b.opens_ms, TIMER_OPEN, e)
    store.set_timer(state, b.closes_ms, TIMER_CLOSE, e)
    return [
        event(
            NAME,
            "election_created",
            e,
            guardians=len(b.guardians),
            quorum=b.quorum,
            opens_ms=b.opens_ms,
            closes_ms=b.closes_ms,
            manifest_hash=h_m,
        )
    ]


# --- reschedule ----------------------------------------------------------------------------------------


def _check_reschedule(view: AppView, b: Reschedule, ctx: TxContext) -> None:
    election = store.load_election(view, b.election_id)
    rules.phase(election, "reschedule")
    if rules.voting_started(election, ctx.time_ms):
        fail("voting.window_started", f"voting opened at {election.opens_ms}; the window is fixed")
    rules.window(b.opens_ms, b.closes_ms, ctx.time_ms)


def _apply_reschedule(state: AppState, b: Reschedule, ctx: TxContext) -> list[Event]:
    old = store.load_election(state, b.election_id)
    store.clear_timer(state, old.opens_ms, TIMER_OPEN, old.election_id)
    store.clear_timer(state, old.closes_ms, TIMER_CLOSE, old.election_id)
    store.set_timer(state, b.opens_ms, TIMER_OPEN, old.election_id)
    store.set_timer(state, b.closes_ms, TIMER_CLOSE, old.election_id)
    store.put_election(state, msgspec.structs.replace(old, opens_ms=b.opens_ms, closes_ms=b.closes_ms))
    return [event(NAME, "rescheduled", old.election_id, opens_ms=b.opens_ms, closes_ms=b.closes_ms)]


# --- register_credentials --------------------------------------------------------------------------------


def _style_index(election: Election, label: str) -> int:
    for n, style in enumerate(election.manifest.ballot_styles, start=1):
        if style.label == label:
            return n
    fail("voting.unknown_style", f"the manifest has no ballot style {label!r}")


def _check_register(view: AppView, b: RegisterCredentials, ctx: TxContext) -> None:
    election = store.load_election(view, b.election_id)
    rules.phase(election, "register_credentials")
    rules.before_close(election, ctx.time_ms)
    _style_index(election, b.style)
    if not 1 <= len(b.keys) <= MAX_CREDENTIALS_PER_TX:
        fail("voting.too_many", f"register 1..{MAX_CREDENTIALS_PER_TX} credentials per transaction")
    for key in b.keys:
        rules.credential_key(key)
    if len(set(b.keys)) != len(b.keys):
        fail("voting.bad_credential", "a credential is listed twice")
    for key in b.keys:
        if store.get_credential(view, b.election_id, key) is not None:
            fail("voting.credential_exists", f"credential {key.hex()} is already registered")
    if store.load_counts(view, b.election_id).credentials + len(b.keys) > MAX_CREDENTIALS:
        fail("voting.too_many", f"an election has at most {MAX_CREDENTIALS} credentials")


def _apply_register(state: AppState, b: RegisterCredentials, ctx: TxContext) -> list[Event]:
    election = store.load_election(state, b.election_id)
    style = _style_index(election, b.style)
    late = ctx.time_ms >= election.opens_ms
    for key in b.keys:
        store.put_credential(
            state, b.election_id, Credential(key=key, style=style, registered_height=ctx.height, late=late)
        )
    counts = store.load_counts(state, b.election_id)
    store.put_counts(
        state,
        b.election_id,
        msgspec.structs.replace(
            counts,
            credentials=counts.credentials + len(b.keys),
            late_credentials=counts.late_credentials + (len(b.keys) if late else 0),
        ),
    )
    return [event(NAME, "credentials_registered", b.election_id, style=b.style, count=len(b.keys), late=late)]


# --- revoke_credential -----------------------------------------------------------------------------------


def _check_revoke(view: AppView, b: RevokeCredential, ctx: TxContext) -> None:
    election = store.load_election(view, b.election_id)
    rules.phase(election, "revoke_credential")
    rules.before_close(election, ctx.time_ms)
    rules.credential_key(b.key)
    if b.reason not in REVOKE_REASONS:
        fail("voting.bad_vocabulary", f"reason {b.reason!r} must be one of: {', '.join(REVOKE_REASONS)}")
    cred = store.get_credential(view, b.election_id, b.key)
    if cred is None or cred.revoked_height:
        fail("voting.ineligible", f"credential {b.key.hex()} is not a valid credential of the election")


def _withdraw(state: AppState, e: str, ballot_id: str, height: int) -> BallotEntry | None:
    entry = store.get_ballot(state, e, ballot_id) if ballot_id else None
    if entry is None:
        return None
    store.uncount_ballot(state, e, entry.ballot)
    withdrawn = msgspec.structs.replace(entry, status=WITHDRAWN, ended_height=height)
    store.put_ballot(state, withdrawn)
    return withdrawn


def _apply_revoke(state: AppState, b: RevokeCredential, ctx: TxContext) -> list[Event]:
    e = b.election_id
    cred = store.get_credential(state, e, b.key)
    assert cred is not None
    store.put_credential(
        state, e, msgspec.structs.replace(cred, revoked_height=ctx.height, revoked_reason=b.reason)
    )
    withdrawn = _withdraw(state, e, cred.current, ctx.height)
    counts = store.load_counts(state, e)
    store.put_counts(
        state,
        e,
        msgspec.structs.replace(
            counts,
            revoked_credentials=counts.revoked_credentials + 1,
            cast=counts.cast - (1 if withdrawn else 0),
            withdrawn=counts.withdrawn + (1 if withdrawn else 0),
        ),
    )
    return [
        event(
            NAME,
            "credential_revoked",
            e,
            credential=b.key,
            reason=b.reason,
            withdrawn=withdrawn.ballot.ballot_id if withdrawn else "",
        )
    ]


# --- restart_ceremony ------------------------------------------------------------------------------------


def _replaced(election: Election, b: RestartCeremony) -> tuple[str, ...]:
    members = list(election.guardians)
    for slot in b.replace:
        rules.guardian_member(election, slot.index)
        members[slot.index - 1] = slot.member_id
    return tuple(members)


def _check_restart(view: AppView, b: RestartCeremony, ctx: TxContext) -> None:
    election = store.load_election(view, b.election_id)
    rules.phase(election, "restart_ceremony")
    if len({s.index for s in b.replace}) != len(b.replace):
        fail("voting.bad_guardians", "a guardian index is replaced twice")
    _guardians_ok(view, _replaced(election, b))


def _apply_restart(state: AppState, b: RestartCeremony, ctx: TxContext) -> list[Event]:
    election = store.load_election(state, b.election_id)
    old = store.load_ceremony(state, b.election_id)
    store.put_election(state, msgspec.structs.replace(election, guardians=_replaced(election, b)))
    store.put_ceremony(state, b.election_id, Ceremony(round=old.round + 1))
    replaced = ",".join(str(s.index) for s in sorted(b.replace, key=lambda s: s.index))
    return [event(NAME, "ceremony_restarted", b.election_id, round=old.round + 1, replaced=replaced)]


def _signers_official(view: AppView, b: Any, ctx: TxContext) -> Requirement:
    return _official(view, b.election_id)


OPERATIONS: dict[str, Operation[Any]] = {
    "create_election": Operation(
        CreateElection,
        _signers_create,
        _check_create,
        _apply_create,
        "Create an election: manifest, guardians, quorum, voting window (official of the authority).",
    ),
    "reschedule": Operation(
        Reschedule,
        _signers_official,
        _check_reschedule,
        _apply_reschedule,
        "Move the voting window before any ballot can have been cast (official).",
    ),
    "register_credentials": Operation(
        RegisterCredentials,
        _signers_official,
        _check_register,
        _apply_register,
        "Register up to 500 one-time voting credentials for a ballot style (official).",
    ),
    "revoke_credential": Operation(
        RevokeCredential,
        _signers_official,
        _check_revoke,
        _apply_revoke,
        "Revoke a credential; its counted ballot is withdrawn from the tally (official).",
    ),
    "restart_ceremony": Operation(
        RestartCeremony,
        _signers_official,
        _check_restart,
        _apply_restart,
        "Start a new key-ceremony round, optionally replacing guardians (official).",
    ),
}
