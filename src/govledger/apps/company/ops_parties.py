"""Party operations: the people and organisations that found, direct and own companies.

Rules
-----
- A party is a `person` or an `organisation` with 1..8 bound key ids and a signing `threshold`
  (`company.bad_party`). Personal data never comes here: `commitment` is the vault's salted SHA-256
  (`company.bad_commitment`). A key is bound to one party (`company.key_in_use`).
- `register_party` (the company registrar by policy, and every key being bound: proof of possession):
  a new party id (`company.party_exists`).
- `rebind_party_keys` (a company registrar, always, and every new key; the old keys need not sign,
  they may be lost): replaces the party's keys after an in-person identity check whose document
  digest is recorded (`company.bad_digest`). This is also how a party imported from a legacy register
  with custodial keys takes control of its own keys (docs/import.md).
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.common import keys
from govledger.apps.company import rules, store
from govledger.apps.company.errors import fail
from govledger.apps.company.model import (
    MAX_KEYS_PER_PARTY,
    PARTY_KINDS,
    Party,
    RebindPartyKeys,
    RegisterParty,
)
from govledger.apps.company.roles import COMPANY_REGISTRAR
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "company"


def subject(party_id: str) -> str:
    """Event subject of a party (companies use their bare id)."""
    return f"party:{party_id}"


def _keys_free(view: AppView, party_id: str, key_ids: list[bytes]) -> None:
    taken = store.bound_elsewhere(view, party_id, key_ids)
    if taken is not None:
        fail("company.key_in_use", f"key {taken[0].hex()} is bound to party {taken[1]!r}")


# --- register_party --------------------------------------------------------------------------------


def _shape_register(b: RegisterParty) -> None:
    rules.identifier(b.party_id, "party_id")
    rules.one_of(b.kind, PARTY_KINDS, "party kind")
    rules.commitment(b.commitment, "commitment")
    rules.key_binding(b.key_ids, b.threshold, MAX_KEYS_PER_PARTY)


def _signers_register(view: AppView, b: RegisterParty, ctx: TxContext) -> Requirement:
    _shape_register(b)
    return AllOf(of=keys.possession(b.key_ids))


def _check_register(view: AppView, b: RegisterParty, ctx: TxContext) -> None:
    _shape_register(b)
    if store.get_party(view, b.party_id) is not None:
        fail("company.party_exists", f"party {b.party_id!r} is already registered")
    _keys_free(view, b.party_id, b.key_ids)


def _apply_register(state: AppState, b: RegisterParty, ctx: TxContext) -> list[Event]:
    p = Party(
        party_id=b.party_id,
        kind=b.kind,
        commitment=b.commitment,
        key_ids=sorted(b.key_ids),
        threshold=b.threshold,
        registered_height=ctx.height,
        updated_height=ctx.height,
    )
    store.put_party(state, p)
    store.bind_keys(state, p.party_id, [], p.key_ids)
    return [event(NAME, "party_registered", subject(p.party_id), kind=p.kind, keys=len(p.key_ids))]


# --- rebind_party_keys -----------------------------------------------------------------------------


def _shape_rebind(b: RebindPartyKeys) -> None:
    rules.identifier(b.party_id, "party_id")
    rules.key_binding(b.key_ids, b.threshold, MAX_KEYS_PER_PARTY)
    rules.digest(b.identity_check_sha256, "identity_check_sha256")


def _signers_rebind(view: AppView, b: RebindPartyKeys, ctx: TxContext) -> Requirement:
    _shape_rebind(b)
    return AllOf(of=[COMPANY_REGISTRAR, *keys.possession(b.key_ids)])


def _check_rebind(view: AppView, b: RebindPartyKeys, ctx: TxContext) -> None:
    _shape_rebind(b)
    store.load_party(view, b.party_id)
    _keys_free(view, b.party_id, b.key_ids)


def _apply_rebind(state: AppState, b: RebindPartyKeys, ctx: TxContext) -> list[Event]:
    current = store.load_party(state, b.party_id)
    p = msgspec.structs.replace(
        current, key_ids=sorted(b.key_ids), threshold=b.threshold, updated_height=ctx.height
    )
    store.put_party(state, p)
    store.bind_keys(state, p.party_id, current.key_ids, p.key_ids)
    return [
        event(
            NAME,
            "party_keys_rebound",
            subject(p.party_id),
            keys=len(p.key_ids),
            identity_check=b.identity_check_sha256,
        )
    ]


OPERATIONS: dict[str, Operation[Any]] = {
    "register_party": Operation(
        RegisterParty,
        _signers_register,
        _check_register,
        _apply_register,
        "Register a person or organisation: company registrar + every bound key.",
    ),
    "rebind_party_keys": Operation(
        RebindPartyKeys,
        _signers_rebind,
        _check_rebind,
        _apply_rebind,
        "Replace a party's keys after an identity check: company registrar + every new key.",
    ),
}
