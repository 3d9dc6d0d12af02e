"""Party operations: register, update and recover the key binding of a party (LA_Party).

Rules
-----
- A party is a `person`, an `organisation` or a `group`. Persons and organisations bind 1..8 key ids and
  sign with `threshold` of them. Groups have no keys: they list 2..16 member parties (persons or
  organisations, never groups) with shares summing to 1, and sign when every member signs.
- Personal data never comes here: `commitment` is the vault's salted SHA-256 of it (32 bytes).
- Binding a key needs that key's own signature (proof of possession); a key belongs to one party.
- `register_party`: the registrar (policy) and every key being bound (or, for a group, every member).
- `update_party`: the registrar (policy), the party as it stands (its current keys or members), and
  every key being newly bound. Replaces commitment and keys (or members).
- `recover_party_keys`: for a person or organisation that lost its keys: the registrar and a notary
  (policy, after an in-person identity check, `identity_check` source) and the new keys themselves.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.common import keys
from govledger.apps.land import rules, shares, store
from govledger.apps.land.errors import fail
from govledger.apps.land.model import (
    GROUP,
    MAX_GROUP_MEMBERS,
    MAX_KEYS_PER_PARTY,
    PARTY_KINDS,
    Holding,
    Party,
    RecoverPartyKeys,
    RegisterParty,
    UpdateParty,
)
from govledger.ledger.app import AllOf, AppState, AppView, Operation, Requirement, TxContext, event
from govledger.ledger.block import Event

NAME = "land"


def subject(party_id: str) -> str:
    """Event subject of a party (parcels use their bare id)."""
    return f"party:{party_id}"


def _commitment(c: bytes) -> None:
    if len(c) != 32 or c == bytes(32):
        fail("land.bad_commitment", "commitment must be the 32-byte salted hash of the vault record")


def _binding_shape(kind: str, key_ids: list[bytes], threshold: int, members: list[Holding]) -> None:
    rules.one_of(kind, PARTY_KINDS, "party kind")
    if kind == GROUP:
        if key_ids or threshold != 0:
            fail("land.bad_party", "a group has no keys of its own (threshold 0): its members sign")
        if len(members) < 2:
            fail("land.bad_party", "a group has at least 2 members")
        rules.holdings_shape(members, MAX_GROUP_MEMBERS, "group members")
        shares.require_whole(members, "group members'")
        return
    if members:
        fail("land.bad_party", f"a {kind} has no members")
    problem = keys.binding_problem(key_ids, threshold, MAX_KEYS_PER_PARTY, kind)
    if problem is not None:
        fail("land.bad_party", problem)


def _keys_free(view: AppView, party_id: str, key_ids: list[bytes]) -> None:
    taken = store.bound_elsewhere(view, party_id, key_ids)
    if taken is not None:
        fail("land.key_in_use", f"key {taken[0].hex()} is bound to party {taken[1]!r}")


def _members_ok(view: AppView, members: list[Holding]) -> None:
    for m in members:
        if store.load_party(view, m.party_id).kind == GROUP:
            fail("land.bad_party", f"member {m.party_id!r} is a group; groups do not nest")


# --- register_party ----------------------------------------------------------------------------------


def _shape_register(b: RegisterParty) -> None:
    rules.identifier(b.party_id, "party_id")
    _commitment(b.commitment)
    _binding_shape(b.kind, b.key_ids, b.threshold, b.members)


def _signers_register(view: AppView, b: RegisterParty, ctx: TxContext) -> Requirement:
    _shape_register(b)
    if b.kind == GROUP:
        return rules.parties_requirement(view, [m.party_id for m in b.members])
    return AllOf(of=keys.possession(b.key_ids))


def _check_register(view: AppView, b: RegisterParty, ctx: TxContext) -> None:
    _shape_register(b)
    if store.get_party(view, b.party_id) is not None:
        fail("land.party_exists", f"party {b.party_id!r} is already registered")
    _keys_free(view, b.party_id, b.key_ids)
    _members_ok(view, b.members)


def _apply_register(state: AppState, b: RegisterParty, ctx: TxContext) -> list[Event]:
    p = Party(
        party_id=b.party_id,
        kind=b.kind,
        commitment=b.commitment,
        key_ids=sorted(b.key_ids),
        threshold=b.threshold,
        members=sorted(b.members, key=lambda m: m.party_id),
        registered_height=ctx.height,
        updated_height=ctx.height,
        parcels_held=0,
    )
    store.put_party(state, p)
    store.bind_keys(state, p.party_id, [], p.key_ids)
    return [event(NAME, "party_registered", subject(p.party_id), kind=p.kind, keys=len(p.key_ids))]


# --- update_party ------------------------------------------------------------------------------------


def _shape_update(view: AppView, b: UpdateParty) -> Party:
    rules.identifier(b.party_id, "party_id")
    _commitment(b.commitment)
    current = store.load_party(view, b.party_id)
    _binding_shape(current.kind, b.key_ids, b.threshold, b.members)
    return current


def _signers_update(view: AppView, b: UpdateParty, ctx: TxContext) -> Requirement:
    current = _shape_update(view, b)
    new_members = rules.parties_requirement(view, [m.party_id for m in b.members])
    return AllOf(
        of=[rules.party_requirement(view, current), new_members, *keys.possession(b.key_ids, current.key_ids)]
    )


def _check_update(view: AppView, b: UpdateParty, ctx: TxContext) -> None:
    _shape_update(view, b)
    _keys_free(view, b.party_id, b.key_ids)
    _members_ok(view, b.members)


def _apply_update(state: AppState, b: UpdateParty, ctx: TxContext) -> list[Event]:
    current = store.load_party(state, b.party_id)
    p = msgspec.structs.replace(
        current,
        commitment=b.commitment,
        key_ids=sorted(b.key_ids),
        threshold=b.threshold,
        members=sorted(b.members, key=lambda m: m.party_id),
        updated_height=ctx.height,
    )
    store.put_party(state, p)
    store.bind_keys(state, p.party_id, current.key_ids, p.key_ids)
    return [event(NAME, "party_updated", subject(p.party_id), keys=len(p.key_ids))]


# --- recover_party_keys -----------------------------------------------------------------------------


def _shape_recover(view: AppView, b: RecoverPartyKeys) -> Party:
    rules.identifier(b.party_id, "party_id")
    rules.sources_shape("recover_party_keys", b.sources)
    current = store.load_party(view, b.party_id)
    if current.kind == GROUP:
        fail("land.bad_party", "a group has no keys to recover: update its members instead")
    _binding_shape(current.kind, b.key_ids, b.threshold, [])
    return current


def _signers_recover(view: AppView, b: RecoverPartyKeys, ctx: TxContext) -> Requirement:
    current = _shape_recover(view, b)
    return AllOf(of=keys.possession(b.key_ids, current.key_ids))


def _check_recover(view: AppView, b: RecoverPartyKeys, ctx: TxContext) -> None:
    _shape_recover(view, b)
    rules.sources_attested(view, b.sources)
    _keys_free(view, b.party_id, b.key_ids)


def _apply_recover(state: AppState, b: RecoverPartyKeys, ctx: TxContext) -> list[Event]:
    current = store.load_party(state, b.party_id)
    p = msgspec.structs.replace(
        current, key_ids=sorted(b.key_ids), threshold=b.threshold, updated_height=ctx.height
    )
    store.put_party(state, p)
    store.bind_keys(state, p.party_id, current.key_ids, p.key_ids)
    return [event(NAME, "party_keys_recovered", subject(p.party_id), keys=len(p.key_ids))]


OPERATIONS: dict[str, Operation[Any]] = {
    "register_party": Operation(
        RegisterParty,
        _signers_register,
        _check_register,
        _apply_register,
        "Register a person, organisation or group: registrar + every bound key (or every member).",
    ),
    "update_party": Operation(
        UpdateParty,
        _signers_update,
        _check_update,
        _apply_update,
        "Replace a party's commitment and keys (or members): registrar + the party + every new key.",
    ),
    "recover_party_keys": Operation(
        RecoverPartyKeys,
        _signers_recover,
        _check_recover,
        _apply_recover,
        "Rebind a party's lost keys after an identity check: registrar + notary + the new keys.",
    ),
}
