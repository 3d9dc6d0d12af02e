"""Evidence of equivocation on chain: the `governance.report_evidence` operation and its state.

Rules (spec/consensus/evidence.md, DuplicateVoteEvidence)
-------------------------------------------------------
- The body carries one canonical `consensus.types.DuplicateVoteEvidence`: two votes by one validator
  for the same (height, round, type) and different values, in canonical order.
- Both vote signatures must verify, for this chain id, under the validator's key in the validator
  set that governed the evidence's height; the validator must be in that set.
- The evidence's height is at most the current height and at most `EVIDENCE_MAX_AGE_BLOCKS` old
  (`governance.evidence_too_old`), and it is committed once per (validator, height)
  (`governance.evidence_duplicate`).
- It must be signed by a validator of the evidence's height (the reporting node's key). Governance
  installs the policy `governance.report_evidence` as "nobody else" at genesis, so no admin quorum
  is needed to report; genesis may set a stricter one.
- Committing evidence punishes nobody by itself: it records `evidence/<validator hex>/<height>` and
  emits `evidence_committed`; governance (the admins' `set_validators`) decides to remove or
  down-weight the validator.

Validator-set history
---------------------
The chain keeps validator sets by hash in storage, but an app sees only state, so governance keeps
the history it needs here: `valset/<be64 effective height>` -> `ValsetRecord(effective_height,
previous, validators)` and `valset_latest` -> be64 of the newest record. Genesis records the genesis
set (effective at height 1); `set_validators` in block H records its set effective at H+2 (CometBFT's
offset, as the chain applies it). `validator_set_at(view, h)` walks back from the newest record, at
most `VALSET_WALK_MAX` records: evidence older than that many set changes is refused as too old.

This module is part of the governance state machine: pure, deterministic, no I/O.
"""

from __future__ import annotations

import struct
from typing import Final

from govledger.codec import Record, decode, encode, sha256
from govledger.consensus.types import ConsensusError, DuplicateVoteEvidence
from govledger.consensus.types import Validator as ConsensusValidator
from govledger.consensus.types import ValidatorSet as ConsensusValidatorSet
from govledger.crypto.signatures import verify
from govledger.errors import AppError, CodecError
from govledger.ledger.app import (
    NOBODY_ELSE,
    AppState,
    AppView,
    Requirement,
    SignedBy,
    Threshold,
    TxContext,
    event,
)
from govledger.ledger.block import Event, ValidatorSet
from govledger.ledger.genesis import VALIDATORS_KEY

NAME: Final = "governance"
POLICY_TARGET: Final = "governance.report_evidence"
EVIDENCE_BYTES_MAX: Final = 16 * 1024
"""Two votes with hybrid (Ed25519 + ML-DSA-65) signatures are about 7 KiB."""
EVIDENCE_MAX_AGE_BLOCKS: Final = 100_000
VALSET_WALK_MAX: Final = 64
_BE64: Final = struct.Struct(">Q")
LATEST_KEY: Final = b"valset_latest"


class ReportEvidence(Record, frozen=True):
    """Body of `governance.report_evidence`: `evidence` is an encoded DuplicateVoteEvidence."""

    evidence: bytes


class ValsetRecord(Record, frozen=True):
    effective_height: int
    previous: int  # effective height of the record before, 0 for the first
    validators: ValidatorSet


class EvidenceRecord(Record, frozen=True):
    validator: bytes
    height: int
    round: int
    vote_type: int  # 1 prevote, 2 precommit
    value_a: bytes  # b"" for nil
    value_b: bytes
    evidence_hash: bytes
    reported_height: int
    reporters: list[bytes]  # key ids that signed the report


class EvidenceParams(Record, frozen=True):
    validator: bytes
    height: int


def _valset_key(effective_height: int) -> bytes:
    return b"valset/" + _BE64.pack(effective_height)


def evidence_key(validator: bytes, height: int) -> bytes:
    return f"evidence/{validator.hex()}/{height}".encode()


# --- validator-set history ------------------------------------------------------------------------


def _latest(view: AppView) -> int:
    raw = view.get(LATEST_KEY)
    return 0 if raw is None else int(_BE64.unpack(raw)[0])


def record_validator_set(state: AppState, validators: ValidatorSet, effective_height: int) -> None:
    """Note that `validators` governs heights from `effective_height` on (set_validators, genesis)."""
    latest = _latest(state)
    if latest == 0 and effective_height > 1:
        # A chain from before this history existed: its current set has governed until now.
        old = state.get_as(VALIDATORS_KEY, ValidatorSet)
        if old is not None:
            state.put(_valset_key(1), ValsetRecord(1, 0, old))
            latest = 1
    previous = latest
    if latest == effective_height:  # a second change in the same block: the last one wins
        existing = state.get_as(_valset_key(latest), ValsetRecord)
        previous = existing.previous if existing is not None else 0
    state.put(_valset_key(effective_height), ValsetRecord(effective_height, previous, validators))
    state.put(LATEST_KEY, _BE64.pack(effective_height))


def validator_set_at(view: AppView, height: int) -> ValidatorSet:
    """The set that governed `height`; AppError if it is older than the history kept."""
    effective = _latest(view)
    if effective == 0:  # no change was ever recorded: the current set is the only one
        current = view.get_as(VALIDATORS_KEY, ValidatorSet)
        if current is None:
            raise AppError("governance.no_validators", "no validator set in state")
        return current
    for _ in range(VALSET_WALK_MAX):
        record = view.get_as(_valset_key(effective), ValsetRecord)
        if record is None:
            break
        if record.effective_height <= height:
            return record.validators
        if record.previous == 0:
            break
        effective = record.previous
    raise AppError(
        "governance.evidence_too_old", f"no validator set recorded for height {height} (history too short)"
    )


def genesis(state: AppState, policies: dict[str, Requirement]) -> None:
    """Record the genesis set and, unless genesis sets one, the reporting policy ("nobody else")."""
    current = state.get_as(VALIDATORS_KEY, ValidatorSet)
    if current is not None:
        record_validator_set(state, current, 1)
    if POLICY_TARGET not in policies:
        # Reporting is a validator's own act, authorised by the evidence itself, not by an admin quorum.
        state.put(b"policy/" + POLICY_TARGET.encode(), NOBODY_ELSE)


# --- the operation ----------------------------------------------------------------------------


def decode_evidence(raw: bytes) -> DuplicateVoteEvidence:
    try:
        return decode(raw, DuplicateVoteEvidence, max_bytes=EVIDENCE_BYTES_MAX)
    except CodecError as exc:
        raise AppError("governance.bad_evidence", f"evidence does not decode: {exc.message}") from None


def signers(view: AppView, body: ReportEvidence, ctx: TxContext) -> Requirement:
    """One validator of the evidence's height signs the report."""
    ev = decode_evidence(body.evidence)
    members = validator_set_at(view, ev.height).validators
    return Threshold(k=1, of=[SignedBy(v.public_key.key_id()) for v in members])


def check(view: AppView, body: ReportEvidence, ctx: TxContext) -> None:
    ev = decode_evidence(body.evidence)
    if ev.height > ctx.height:
        raise AppError("governance.evidence_future", f"evidence height {ev.height} is after {ctx.height}")
    if ctx.height - ev.height > EVIDENCE_MAX_AGE_BLOCKS:
        raise AppError(
            "governance.evidence_too_old",
            f"evidence of height {ev.height} is more than {EVIDENCE_MAX_AGE_BLOCKS} blocks old",
        )
    if view.get(evidence_key(ev.validator, ev.height)) is not None:
        raise AppError(
            "governance.evidence_duplicate",
            f"evidence against {ev.validator.hex()} at height {ev.height} is already committed",
        )
    ledger_set = validator_set_at(view, ev.height)
    keys = ledger_set.by_id()
    try:
        consensus_set = ConsensusValidatorSet.of(ConsensusValidator(kid, v.power) for kid, v in keys.items())
    except ValueError as exc:
        raise AppError("governance.bad_evidence", f"validator set unusable: {exc}") from None

    def check_signature(validator: bytes, message: bytes, signature: bytes) -> bool:
        member = keys.get(validator)
        return member is not None and verify(member.public_key, message, signature)

    try:
        ev.verify(consensus_set, ctx.chain_id, check_signature)
    except ConsensusError as exc:
        raise AppError("governance.bad_evidence", exc.message) from None


def apply(state: AppState, body: ReportEvidence, ctx: TxContext) -> list[Event]:
    ev = decode_evidence(body.evidence)
    a, b = ev.vote_a, ev.vote_b
    record = EvidenceRecord(
        validator=ev.validator,
        height=ev.height,
        round=a.round,
        vote_type=int(a.kind),
        value_a=a.value_hash or b"",
        value_b=b.value_hash or b"",
        evidence_hash=sha256(encode(ev)),
        reported_height=ctx.height,
        reporters=sorted(ctx.signer_ids),
    )
    state.put(evidence_key(ev.validator, ev.height), record)
    return [
        event(
            NAME,
            "evidence_committed",
            ev.validator.hex(),
            height=ev.height,
            round=a.round,
            vote_type=int(a.kind),
        )
    ]


def query(view: AppView, p: EvidenceParams) -> EvidenceRecord | None:
    return view.get_as(evidence_key(p.validator, p.height), EvidenceRecord)
