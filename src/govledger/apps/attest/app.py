"""Attest: proof-of-existence records for documents (a notary's or registry's digital seal).

An authorised issuer records the SHA-256 digest of a document (a deed, a court order, a survey plan)
with its kind and an external reference; anyone can later prove, against a signed header, that the
digest was recorded at a height and time by that key, and whether it was revoked since.

Rules
-----
- `record`: the digest is new (`attest.already_recorded`); kind and reference are short text.
  Signed by the attesting key; governance decides who may attest (genesis: role `issuer`).
- `revoke`: only the key that recorded it (`attest.not_attester`), once (`attest.already_revoked`).

Key space: `doc/<digest>` -> Attestation.
"""

from __future__ import annotations

from govledger.codec import Record
from govledger.errors import AppError
from govledger.ledger.app import (
    App,
    AppState,
    AppView,
    Operation,
    Query,
    Requirement,
    SignedBy,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "attest"
MAX_TEXT = 200


class Attestation(Record, frozen=True):
    digest: bytes
    kind: str
    reference: str
    attester: bytes
    height: int
    time_ms: int
    revoked_height: int = 0
    revoked_reason: str = ""


class RecordBody(Record, frozen=True):
    digest: bytes
    kind: str
    reference: str


class RevokeBody(Record, frozen=True):
    digest: bytes
    reason: str


class DigestParams(Record, frozen=True):
    digest: bytes


def _key(digest: bytes) -> bytes:
    return b"doc/" + digest


def _first_signer(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return SignedBy(ctx.first_signer_id)


def _check_record(view: AppView, b: RecordBody, ctx: TxContext) -> None:
    if len(b.digest) != 32:
        raise AppError("attest.bad_digest", "digest must be 32 bytes (SHA-256)")
    if not 0 < len(b.kind) <= 64 or len(b.reference) > MAX_TEXT:
        raise AppError("attest.bad_text", f"kind is 1-64 characters, reference at most {MAX_TEXT}")
    if view.get(_key(b.digest)) is not None:
        raise AppError("attest.already_recorded", f"digest {b.digest.hex()} is already recorded")


def _apply_record(state: AppState, b: RecordBody, ctx: TxContext) -> list[Event]:
    attester = ctx.first_signer_id
    state.put(_key(b.digest), Attestation(b.digest, b.kind, b.reference, attester, ctx.height, ctx.time_ms))
    return [event(NAME, "recorded", b.digest.hex(), kind=b.kind, attester=attester)]


def _load(view: AppView, digest: bytes) -> Attestation:
    a = view.get_as(_key(digest), Attestation)
    if a is None:
        raise AppError("attest.unknown_digest", f"digest {digest.hex()} is not recorded")
    return a


def _check_revoke(view: AppView, b: RevokeBody, ctx: TxContext) -> None:
    a = _load(view, b.digest)
    if a.attester != ctx.first_signer_id:
        raise AppError("attest.not_attester", "only the key that recorded a digest may revoke it")
    if a.revoked_height:
        raise AppError("attest.already_revoked", f"revoked at height {a.revoked_height}")
    if len(b.reason) > MAX_TEXT:
        raise AppError("attest.bad_text", f"reason is at most {MAX_TEXT} characters")


def _apply_revoke(state: AppState, b: RevokeBody, ctx: TxContext) -> list[Event]:
    a = _load(state, b.digest)
    state.put(
        _key(b.digest),
        Attestation(a.digest, a.kind, a.reference, a.attester, a.height, a.time_ms, ctx.height, b.reason),
    )
    return [event(NAME, "revoked", b.digest.hex(), reason=b.reason)]


def _q_get(view: AppView, p: DigestParams) -> Attestation | None:
    return view.get_as(_key(p.digest), Attestation)


APP = App(
    name=NAME,
    doc="Proof-of-existence records of document digests, with revocation.",
    operations={
        "record": Operation(RecordBody, _first_signer, _check_record, _apply_record, "Record a digest."),
        "revoke": Operation(
            RevokeBody, _first_signer, _check_revoke, _apply_revoke, "Revoke a recorded digest."
        ),
    },
    queries={"get": Query(DigestParams, _q_get, "The attestation of a digest, if any.")},
)
