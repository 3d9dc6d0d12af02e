"""The key ceremony on the ledger (ElectionGuard 2.0 §3.2): every message is a transaction.

Theory of operation
-------------------
Guardians are governance members (returning officers, role `guardian`); guardian i signs with any
active key of the member named at index i. In one ceremony round:

1. `post_guardian_key`: guardian i posts its `GuardianPublicKey` (k commitments K_i,j, each with a
   Schnorr proof). Validators check every proof in `check` (`keyceremony.public_key_problems`).
2. `post_shares`: once all n keys are in, guardian i posts its n - 1 `EncryptedShare`s, one to each
   other guardian l (P_i(l) under K_l, eq. 14-19), all in one transaction.
3. Each receiver decrypts and checks its shares off the ledger (`keyceremony.receive_share`). If one
   fails, it posts `complain_share` (a `ShareComplaint`); the accused sender answers with
   `answer_complaint` (a `ShareReveal`: P_i(l) and the nonce), and every validator adjudicates it in
   `apply` with `keyceremony.adjudicate_complaint`: dismissed (the receiver takes the revealed
   value) or upheld (the sender is at fault, the round is `faulted`, and only `restart_ceremony` by
   the official, replacing that guardian, moves the election on).
4. `confirm_shares`: guardian l states that every share addressed to it decrypted and verified (or
   was revealed). It needs all n - 1 of them posted and no complaint of its own still open.
5. When the n-th guardian confirms, the ledger records the joint key K = prod K_i (eq. 8) and
   H_E = H(H_B; 0x12, K) (eq. 23); the phase becomes `key_ready` (or `voting` if the window has
   already opened). Each guardian computes its key share P(i) off the ledger and keeps it.

Nothing here ever holds a secret: commitments, proofs, ciphertexts, complaints and (for a disputed
share only) the revealed share and nonce, exactly as the specification publishes them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.voting import crypto, rules, store
from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    DISMISSED,
    KEY_READY,
    MAX_COMPLAINT_REASON_CHARS,
    OPEN,
    UPHELD,
    VOTING,
    AnswerComplaint,
    Ceremony,
    ComplainShare,
    ComplaintEntry,
    ConfirmShares,
    Election,
    PostGuardianKey,
    PostShares,
)
from govledger.ledger.app import AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "voting"


def _open_round(view: AppView, election_id: str, op: str) -> tuple[Election, Ceremony]:
    election = store.load_election(view, election_id)
    rules.phase(election, op)
    ceremony = store.load_ceremony(view, election_id)
    if ceremony.faulted:
        fail(
            "voting.ceremony_faulted",
            f"guardian(s) {list(ceremony.faulted)} were found at fault in round {ceremony.round}; "
            "the official must restart the ceremony",
        )
    return election, ceremony


def _add(indices: tuple[int, ...], i: int) -> tuple[int, ...]:
    return tuple(sorted({*indices, i}))


def _guardian_signer(view: AppView, election_id: str, index: int) -> Requirement:
    return rules.guardian(view, store.load_election(view, election_id), index)


# --- post_guardian_key -----------------------------------------------------------------------------------


def _signers_key(view: AppView, b: PostGuardianKey, ctx: TxContext) -> Requirement:
    return _guardian_signer(view, b.election_id, b.key.index)


def _check_key(view: AppView, b: PostGuardianKey, ctx: TxContext) -> None:
    election, ceremony = _open_round(view, b.election_id, "post_guardian_key")
    rules.guardian_member(election, b.key.index)
    if b.key.index in ceremony.keys:
        fail("voting.already_posted", f"guardian {b.key.index} posted its key in round {ceremony.round}")
    problems = crypto.guardian_key_problems(election.parameter_base_hash, b.key, election.quorum)
    if problems:
        fail("voting.bad_guardian_key", "; ".join(problems[:3]))


def _apply_key(state: AppState, b: PostGuardianKey, ctx: TxContext) -> list[Event]:
    ceremony = store.load_ceremony(state, b.election_id)
    store.put_guardian_key(state, b.election_id, ceremony.round, b.key)
    store.put_ceremony(
        state, b.election_id, msgspec.structs.replace(ceremony, keys=_add(ceremony.keys, b.key.index))
    )
    return [event(NAME, "guardian_key_posted", b.election_id, guardian=b.key.index, round=ceremony.round)]


# --- post_shares ---------------------------------------------------------------------------------------


def _signers_shares(view: AppView, b: PostShares, ctx: TxContext) -> Requirement:
    return _guardian_signer(view, b.election_id, b.guardian)


def _check_shares(view: AppView, b: PostShares, ctx: TxContext) -> None:
    election, ceremony = _open_round(view, b.election_id, "post_shares")
    n, i = len(election.guardians), b.guardian
    rules.guardian_member(election, i)
    if len(ceremony.keys) != n:
        fail("voting.keys_incomplete", f"{len(ceremony.keys)} of {n} guardian keys are posted")
    if i in ceremony.shares:
        fail("voting.already_posted", f"guardian {i} posted its shares in round {ceremony.round}")
    receivers = sorted(s.receiver for s in b.shares)
    if any(s.sender != i for s in b.shares) or receivers != [r for r in range(1, n + 1) if r != i]:
        fail("voting.bad_shares", f"guardian {i} must send exactly one share to each other guardian")
    problems = crypto.shares_problems(b.shares)
    if problems:
        fail("voting.bad_shares", "; ".join(problems[:3]))


def _apply_shares(state: AppState, b: PostShares, ctx: TxContext) -> list[Event]:
    ceremony = store.load_ceremony(state, b.election_id)
    for share in sorted(b.shares, key=lambda s: s.receiver):
        store.put_share(state, b.election_id, ceremony.round, share)
    store.put_ceremony(
        state, b.election_id, msgspec.structs.replace(ceremony, shares=_add(ceremony.shares, b.guardian))
    )
    return [event(NAME, "shares_posted", b.election_id, guardian=b.guardian, round=ceremony.round)]


# --- complain_share ------------------------------------------------------------------------------------


def _signers_complain(view: AppView, b: ComplainShare, ctx: TxContext) -> Requirement:
    return _guardian_signer(view, b.election_id, b.complaint.receiver)


def _check_complain(view: AppView, b: ComplainShare, ctx: TxContext) -> None:
    election, ceremony = _open_round(view, b.election_id, "complain_share")
    c = b.complaint
    rules.guardian_member(election, c.sender)
    rules.guardian_member(election, c.receiver)
    if c.sender == c.receiver:
        fail("voting.not_guardian", "a guardian cannot complain about itself")
    if len(c.reason) > MAX_COMPLAINT_REASON_CHARS:
        fail("voting.too_many", f"a complaint's reason is at most {MAX_COMPLAINT_REASON_CHARS} characters")
    if c.receiver in ceremony.confirmed:
        fail("voting.already_confirmed", f"guardian {c.receiver} already confirmed its shares")
    if store.get_share(view, b.election_id, ceremony.round, c.sender, c.receiver) is None:
        fail("voting.shares_missing", f"guardian {c.sender} has not posted a share to {c.receiver}")
    if store.get_complaint(view, b.election_id, ceremony.round, c.sender, c.receiver) is not None:
        fail("voting.complaint_exists", f"a complaint about share {c.sender} -> {c.receiver} exists")


def _apply_complain(state: AppState, b: ComplainShare, ctx: TxContext) -> list[Event]:
    ceremony = store.load_ceremony(state, b.election_id)
    store.put_complaint(
        state,
        b.election_id,
        ceremony.round,
        ComplaintEntry(complaint=b.complaint, height=ctx.height, status=OPEN),
    )
    store.put_ceremony(
        state,
        b.election_id,
        msgspec.structs.replace(
            ceremony, complaints=ceremony.complaints + 1, open_complaints=ceremony.open_complaints + 1
        ),
    )
    c = b.complaint
    return [event(NAME, "share_complaint", b.election_id, sender=c.sender, receiver=c.receiver)]


# --- answer_complaint ----------------------------------------------------------------------------------


def _signers_answer(view: AppView, b: AnswerComplaint, ctx: TxContext) -> Requirement:
    return _guardian_signer(view, b.election_id, b.reveal.sender)


def _check_answer(view: AppView, b: AnswerComplaint, ctx: TxContext) -> None:
    election = store.load_election(view, b.election_id)
    rules.phase(election, "answer_complaint")
    ceremony = store.load_ceremony(view, b.election_id)
    r = b.reveal
    rules.guardian_member(election, r.receiver)
    entry = store.get_complaint(view, b.election_id, ceremony.round, r.sender, r.receiver)
    if entry is None or entry.status != OPEN:
        fail("voting.no_complaint", f"no open complaint about share {r.sender} -> {r.receiver}")


def _apply_answer(state: AppState, b: AnswerComplaint, ctx: TxContext) -> list[Event]:
    e, r = b.election_id, b.reveal
    election = store.load_election(state, e)
    ceremony = store.load_ceremony(state, e)
    sender = store.get_guardian_key(state, e, ceremony.round, r.sender)
    receiver = store.get_guardian_key(state, e, ceremony.round, r.receiver)
    share = store.get_share(state, e, ceremony.round, r.sender, r.receiver)
    entry = store.get_complaint(state, e, ceremony.round, r.sender, r.receiver)
    assert sender is not None and receiver is not None and share is not None and entry is not None
    at_fault, reason = crypto.adjudicate(election.parameter_base_hash, sender, receiver, share, r)
    status = UPHELD if at_fault else DISMISSED
    store.put_complaint(
        state,
        e,
        ceremony.round,
        msgspec.structs.replace(entry, status=status, reveal=r, verdict=reason, answered_height=ctx.height),
    )
    faulted = _add(ceremony.faulted, r.sender) if at_fault else ceremony.faulted
    store.put_ceremony(
        state,
        e,
        msgspec.structs.replace(ceremony, open_complaints=ceremony.open_complaints - 1, faulted=faulted),
    )
    kind = "complaint_upheld" if at_fault else "complaint_dismissed"
    return [event(NAME, kind, e, sender=r.sender, receiver=r.receiver, verdict=reason)]


# --- confirm_shares ------------------------------------------------------------------------------------


def _signers_confirm(view: AppView, b: ConfirmShares, ctx: TxContext) -> Requirement:
    return _guardian_signer(view, b.election_id, b.guardian)


def _check_confirm(view: AppView, b: ConfirmShares, ctx: TxContext) -> None:
    election, ceremony = _open_round(view, b.election_id, "confirm_shares")
    n, i = len(election.guardians), b.guardian
    rules.guardian_member(election, i)
    if i in ceremony.confirmed:
        fail("voting.already_confirmed", f"guardian {i} already confirmed its shares")
    missing = [s for s in range(1, n + 1) if s != i and s not in ceremony.shares]
    if missing:
        fail("voting.shares_missing", f"guardian {i} still waits for shares from guardians {missing}")
    for s in range(1, n + 1):
        entry = store.get_complaint(view, b.election_id, ceremony.round, s, i) if s != i else None
        if entry is not None and entry.status == OPEN:
            fail("voting.open_complaint", f"guardian {i}'s complaint about guardian {s} is not answered")


def _complete(state: AppState, election: Election, ceremony: Ceremony, ctx: TxContext) -> Event:
    keys = store.guardian_keys(state, election.election_id, ceremony.round, len(election.guardians))
    joint, h_e = crypto.joint_key(keys, election.base_hash)
    phase = VOTING if ctx.time_ms >= election.opens_ms else KEY_READY
    store.put_election(
        state,
        msgspec.structs.replace(
            election,
            joint_key=joint,
            extended_base_hash=h_e,
            key_ready_height=ctx.height,
            phase=phase,
            opened_height=ctx.height if phase == VOTING else 0,
        ),
    )
    return event(NAME, "key_ready", election.election_id, round=ceremony.round, extended_base_hash=h_e)


def _apply_confirm(state: AppState, b: ConfirmShares, ctx: TxContext) -> list[Event]:
    election = store.load_election(state, b.election_id)
    ceremony = store.load_ceremony(state, b.election_id)
    ceremony = msgspec.structs.replace(ceremony, confirmed=_add(ceremony.confirmed, b.guardian))
    store.put_ceremony(state, b.election_id, ceremony)
    events = [event(NAME, "shares_confirmed", b.election_id, guardian=b.guardian, round=ceremony.round)]
    if len(ceremony.confirmed) == len(election.guardians):
        assert ceremony.open_complaints == 0 and not ceremony.faulted, "confirmations exclude both"
        events.append(_complete(state, election, ceremony, ctx))
    return events


OPERATIONS: dict[str, Operation[Any]] = {
    "post_guardian_key": Operation(
        PostGuardianKey,
        _signers_key,
        _check_key,
        _apply_key,
        "Guardian i posts its coefficient commitments with Schnorr proofs (checked by validators).",
    ),
    "post_shares": Operation(
        PostShares,
        _signers_shares,
        _check_shares,
        _apply_shares,
        "Guardian i posts its encrypted shares, one to each other guardian.",
    ),
    "complain_share": Operation(
        ComplainShare,
        _signers_complain,
        _check_complain,
        _apply_complain,
        "A receiving guardian publicly complains about a share that does not decrypt or verify.",
    ),
    "answer_complaint": Operation(
        AnswerComplaint,
        _signers_answer,
        _check_answer,
        _apply_answer,
        "The accused sender reveals the share and nonce; the ledger adjudicates.",
    ),
    "confirm_shares": Operation(
        ConfirmShares,
        _signers_confirm,
        _check_confirm,
        _apply_confirm,
        "Guardian l confirms its shares; the last confirmation records K and H_E.",
    ),
}
