"""The trusted-issuer registry (after EBSI's Trusted Issuers Registry): who may issue what, and when.

Rules
-----
- `trust_accredit`: records that `issuer_did` may issue `credential_type` (an SD-JWT VC `vct` or a
  W3C VC type) from `valid_from_ms` until `valid_until_ms` (0: open-ended). The DID must be
  syntactically valid (`identity.bad_did`); the type 1-200 characters, the note at most 200
  (`identity.bad_text`); the window non-empty and not already over at block time
  (`identity.bad_window`). Accrediting a pair again writes a new version (extends or narrows the
  window, or re-accredits after a withdrawal).
- `trust_withdraw`: ends an accreditation at block time with a reason; unknown pairs
  (`identity.unknown_accreditation`) and withdrawn ones (`identity.already_withdrawn`) are refused.
- Who signs: the app adds nobody; the governance policy decides, by default one member with role
  `trust_registry` or one `admin` (`DEFAULT_POLICIES` in app.py). Signer key ids are recorded.
- Every version is kept (`trustv/...`); `trusted(issuer, type, at_ms)` answers from the current
  version: trusted when not withdrawn before `at_ms` and `valid_from_ms <= at_ms < valid_until_ms`.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.identity import store
from govledger.apps.identity.errors import fail
from govledger.apps.identity.model import Accredit, Accreditation, WithdrawAccreditation
from govledger.identity.did import is_did
from govledger.ledger.app import NOBODY_ELSE, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "identity"
MAX_TYPE = 200
MAX_TEXT = 200


def _nobody_else(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return NOBODY_ELSE


def _check_pair(issuer_did: str, credential_type: str) -> None:
    if not is_did(issuer_did):
        fail("identity.bad_did", f"{issuer_did[:80]!r} is not a DID")
    if not 0 < len(credential_type) <= MAX_TYPE:
        fail("identity.bad_text", f"a credential type is 1-{MAX_TYPE} characters")


def _check_accredit(view: AppView, b: Accredit, ctx: TxContext) -> None:
    _check_pair(b.issuer_did, b.credential_type)
    if len(b.note) > MAX_TEXT:
        fail("identity.bad_text", f"a note is at most {MAX_TEXT} characters")
    if b.valid_from_ms < 0 or (b.valid_until_ms and b.valid_until_ms <= max(b.valid_from_ms, ctx.time_ms)):
        fail("identity.bad_window", "the window must be non-empty and not over at block time")


def _apply_accredit(state: AppState, b: Accredit, ctx: TxContext) -> list[Event]:
    old = store.get_accreditation(state, b.issuer_did, b.credential_type)
    a = Accreditation(
        issuer_did=b.issuer_did,
        credential_type=b.credential_type,
        valid_from_ms=b.valid_from_ms,
        valid_until_ms=b.valid_until_ms,
        withdrawn=False,
        reason="",
        note=b.note,
        version=1 if old is None else old.version + 1,
        accredited_by=sorted(ctx.signer_ids),
        height=ctx.height,
        time_ms=ctx.time_ms,
    )
    store.put_accreditation(state, a)
    return [event(NAME, "accredited", b.issuer_did, credential_type=b.credential_type, version=a.version)]


def _check_withdraw(view: AppView, b: WithdrawAccreditation, ctx: TxContext) -> None:
    _check_pair(b.issuer_did, b.credential_type)
    if not 0 < len(b.reason) <= MAX_TEXT:
        fail("identity.bad_text", f"a reason is 1-{MAX_TEXT} characters")
    a = store.get_accreditation(view, b.issuer_did, b.credential_type)
    if a is None:
        fail("identity.unknown_accreditation", f"{b.issuer_did[:80]} is not accredited for that type")
    if a.withdrawn:
        fail("identity.already_withdrawn", "the accreditation was already withdrawn")


def _apply_withdraw(state: AppState, b: WithdrawAccreditation, ctx: TxContext) -> list[Event]:
    a = store.get_accreditation(state, b.issuer_did, b.credential_type)
    assert a is not None, "check ran"
    until = ctx.time_ms if not a.valid_until_ms else min(a.valid_until_ms, ctx.time_ms)
    new = Accreditation(
        a.issuer_did,
        a.credential_type,
        a.valid_from_ms,
        max(until, a.valid_from_ms),
        True,
        b.reason,
        a.note,
        a.version + 1,
        sorted(ctx.signer_ids),
        ctx.height,
        ctx.time_ms,
    )
    store.put_accreditation(state, new)
    return [event(NAME, "withdrawn", b.issuer_did, credential_type=b.credential_type, reason=b.reason)]


def trusted(a: Accreditation | None, at_ms: int) -> bool:
    """Whether an accreditation covers `at_ms` (withdrawal has set `valid_until_ms` to its time)."""
    if a is None or at_ms < a.valid_from_ms:
        return False
    return not a.valid_until_ms or at_ms < a.valid_until_ms


OPERATIONS: dict[str, Operation[Any]] = {
    "trust_accredit": Operation(
        Accredit,
        _nobody_else,
        _check_accredit,
        _apply_accredit,
        "Accredit an issuer DID for a credential type.",
    ),
    "trust_withdraw": Operation(
        WithdrawAccreditation,
        _nobody_else,
        _check_withdraw,
        _apply_withdraw,
        "Withdraw an accreditation (ends at block time).",
    ),
}
