"""Ledger DIDs (`did:govledger:<chain>:<id>`): create, update (key rotation), deactivate.

Rules
-----
- `did_create`: the id is new (`identity.did_exists`); 1-8 Ed25519 keys with unique fragments, unique
  keys and known purposes (`identity.bad_keys`); at least one `capabilityInvocation` key, the DID's
  controllers (`identity.no_controller`); 1 <= threshold <= controllers (`identity.bad_threshold`);
  at most 8 services (`identity.bad_services`). Signed by EVERY listed key: proof of possession, so
  nobody can publish someone else's key in their DID document.
- `did_update`: replaces keys, services and threshold. Signed by `threshold` of the CURRENT
  controllers, plus every key that is new in this version (proof of possession). The body names the
  version it replaces (`identity.stale_version`), so two concurrent rotations cannot undo each other.
  A rotation takes effect for the next transaction and for every resolution after the block.
- `did_deactivate`: final; signed by `threshold` of the current controllers. Resolution then fails
  with `did.deactivated`; the history stays readable.
- A deactivated DID cannot change (`identity.did_deactivated`); at most 10,000 versions.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.identity import store
from govledger.apps.identity.errors import fail
from govledger.apps.identity.model import DidCreate, DidDeactivate, DidKey, DidRecord, DidService, DidUpdate
from govledger.crypto.signatures import Scheme
from govledger.identity.did import PURPOSES
from govledger.ledger.app import (
    NOBODY_ELSE,
    AllOf,
    AppState,
    AppView,
    Operation,
    Requirement,
    SignedBy,
    Threshold,
    TxContext,
    event,
)
from govledger.ledger.block import Event

NAME = "identity"
MAX_KEYS = 8
MAX_SERVICES = 8
MAX_VERSIONS = 10_000
CONTROLLER = "capabilityInvocation"


def valid_id(value: str, max_len: int = 64) -> bool:
    return 0 < len(value) <= max_len and value.isascii() and all(c.isalnum() or c in "._-" for c in value)


def check_id(value: str, what: str) -> None:
    if not valid_id(value):
        fail("identity.bad_identifier", f"{what} {value[:80]!r} must be 1-64 of [A-Za-z0-9._-]")


def did_of(chain_id: str, did_id: str) -> str:
    return f"did:govledger:{chain_id}:{did_id}"


def controllers(keys: list[DidKey]) -> list[bytes]:
    return [k.public_key.key_id() for k in keys if CONTROLLER in k.purposes]


def _check_document(keys: list[DidKey], services: list[DidService], threshold: int) -> None:
    """Shape rules shared by create and update (also run by `signers`, so the code is specific)."""
    if not 1 <= len(keys) <= MAX_KEYS:
        fail("identity.bad_keys", f"a DID has 1-{MAX_KEYS} keys")
    fragments: set[str] = set()
    publics: set[bytes] = set()
    for k in keys:
        if k.public_key.scheme != Scheme.ED25519 or len(k.public_key.key) != 32:
            fail("identity.bad_keys", f"key {k.fragment!r} is not an Ed25519 public key")
        if not valid_id(k.fragment, 32) or k.fragment in fragments:
            fail("identity.bad_keys", f"fragment {k.fragment[:40]!r} is invalid or repeated")
        if bytes(k.public_key.key) in publics:
            fail("identity.bad_keys", "a key appears twice")
        if not k.purposes or len(set(k.purposes)) != len(k.purposes) or not set(k.purposes) <= set(PURPOSES):
            fail("identity.bad_keys", f"purposes of {k.fragment!r} must be distinct values of {PURPOSES}")
        fragments.add(k.fragment)
        publics.add(bytes(k.public_key.key))
    n_controllers = len(controllers(keys))
    if n_controllers == 0:
        fail("identity.no_controller", "at least one key needs the capabilityInvocation purpose")
    if not 1 <= threshold <= n_controllers:
        fail("identity.bad_threshold", f"threshold {threshold} is not 1..{n_controllers}")
    if len(services) > MAX_SERVICES:
        fail("identity.bad_services", f"at most {MAX_SERVICES} services")
    for s in services:
        if not valid_id(s.fragment, 32) or s.fragment in fragments:
            fail("identity.bad_services", f"service fragment {s.fragment[:40]!r} is invalid or repeated")
        if not 0 < len(s.type) <= 64 or not 0 < len(s.endpoint) <= 200:
            fail("identity.bad_text", "a service type is 1-64 and its endpoint 1-200 characters")
        fragments.add(s.fragment)


def _all_keys_sign(keys: list[DidKey]) -> list[Requirement]:
    return [SignedBy(k.public_key.key_id()) for k in keys]


def _controllers_sign(rec: DidRecord) -> Requirement:
    return Threshold(k=rec.threshold, of=[SignedBy(kid) for kid in controllers(rec.keys)])


# --- create -------------------------------------------------------------------------------------------


def _signers_create(view: AppView, b: DidCreate, ctx: TxContext) -> Requirement:
    _check_document(b.keys, b.services, b.threshold)
    return AllOf(of=_all_keys_sign(b.keys))


def _check_create(view: AppView, b: DidCreate, ctx: TxContext) -> None:
    check_id(b.did_id, "DID id")
    _check_document(b.keys, b.services, b.threshold)
    if store.get_did(view, b.did_id) is not None:
        fail("identity.did_exists", f"{did_of(ctx.chain_id, b.did_id)} already exists")


def _apply_create(state: AppState, b: DidCreate, ctx: TxContext) -> list[Event]:
    did = did_of(ctx.chain_id, b.did_id)
    rec = DidRecord(
        b.did_id,
        did,
        1,
        b.keys,
        b.services,
        b.threshold,
        False,
        ctx.height,
        ctx.time_ms,
        ctx.height,
        ctx.time_ms,
        ctx.tx_id,
    )
    store.put_did(state, rec)
    return [event(NAME, "did_created", did, version=1, keys=len(b.keys))]


# --- update -------------------------------------------------------------------------------------------


def _current(view: AppView, did_id: str) -> DidRecord:
    rec = store.get_did(view, did_id) if valid_id(did_id) else None
    if rec is None:
        fail("identity.unknown_did", f"no DID with id {did_id[:80]!r}")
    if rec.deactivated:
        fail("identity.did_deactivated", f"{rec.did} was deactivated")
    return rec


def _signers_update(view: AppView, b: DidUpdate, ctx: TxContext) -> Requirement:
    rec = _current(view, b.did_id)
    _check_document(b.keys, b.services, b.threshold)
    old = {bytes(k.public_key.key) for k in rec.keys}
    new_keys = [k for k in b.keys if bytes(k.public_key.key) not in old]
    return AllOf(of=[_controllers_sign(rec), *_all_keys_sign(new_keys)])


def _check_update(view: AppView, b: DidUpdate, ctx: TxContext) -> None:
    rec = _current(view, b.did_id)
    _check_document(b.keys, b.services, b.threshold)
    if b.version != rec.version:
        fail("identity.stale_version", f"{rec.did} is at version {rec.version}, not {b.version}")
    if rec.version >= MAX_VERSIONS:
        fail("identity.too_many_versions", f"{rec.did} has {MAX_VERSIONS} versions")


def _next(rec: DidRecord, ctx: TxContext, **changes: Any) -> DidRecord:
    fields = {
        "keys": rec.keys,
        "services": rec.services,
        "threshold": rec.threshold,
        "deactivated": rec.deactivated,
        **changes,
    }
    return DidRecord(
        rec.did_id,
        rec.did,
        rec.version + 1,
        fields["keys"],
        fields["services"],
        fields["threshold"],
        fields["deactivated"],
        rec.created_height,
        rec.created_ms,
        ctx.height,
        ctx.time_ms,
        ctx.tx_id,
    )


def _apply_update(state: AppState, b: DidUpdate, ctx: TxContext) -> list[Event]:
    rec = _current(state, b.did_id)
    new = _next(rec, ctx, keys=b.keys, services=b.services, threshold=b.threshold)
    store.put_did(state, new)
    return [event(NAME, "did_updated", rec.did, version=new.version, keys=len(b.keys))]


# --- deactivate ---------------------------------------------------------------------------------------


def _signers_deactivate(view: AppView, b: DidDeactivate, ctx: TxContext) -> Requirement:
    rec = store.get_did(view, b.did_id) if valid_id(b.did_id) else None
    return NOBODY_ELSE if rec is None or rec.deactivated else _controllers_sign(rec)


def _check_deactivate(view: AppView, b: DidDeactivate, ctx: TxContext) -> None:
    rec = _current(view, b.did_id)
    if b.version != rec.version:
        fail("identity.stale_version", f"{rec.did} is at version {rec.version}, not {b.version}")


def _apply_deactivate(state: AppState, b: DidDeactivate, ctx: TxContext) -> list[Event]:
    rec = _current(state, b.did_id)
    new = _next(rec, ctx, deactivated=True)
    store.put_did(state, new)
    return [event(NAME, "did_deactivated", rec.did, version=new.version)]


OPERATIONS: dict[str, Operation[Any]] = {
    "did_create": Operation(
        DidCreate, _signers_create, _check_create, _apply_create, "Register a did:govledger DID document."
    ),
    "did_update": Operation(
        DidUpdate, _signers_update, _check_update, _apply_update, "Rotate keys / change services of a DID."
    ),
    "did_deactivate": Operation(
        DidDeactivate, _signers_deactivate, _check_deactivate, _apply_deactivate, "Deactivate a DID (final)."
    ),
}
