"""Governance: organisations, members and their keys, roles, signing policies and the validator set.

Rules
-----
- Every governance operation is authorised by the policy stored for it ("governance.<op>", else
  "governance.*"); genesis sets "governance.*" to a quorum of `admin` members. Policies can only be
  changed by transactions that satisfy that policy, so governance governs itself.
- `governance.*` can never be deleted nor set to a requirement nobody has to meet.
- A member's key counts for roles only while active; revocation and rotation take effect for every
  transaction after the one that records them, in the same block included.
- Key rotation is the member's own act: signed by the old key and the new key (proof of possession).
- The validator set is written to `validators`; the chain applies it two blocks later.

Key space: `org/<id>`, `member/<id>`, `key/<key id>` -> member id, `policy/<target>`, `validators`.
Evidence (`report_evidence`, see evidence.py): `evidence/<validator>/<height>`, `valset/<be64 h>`,
`valset_latest`.
"""

from __future__ import annotations

from govledger.apps.governance import evidence
from govledger.apps.governance.model import (
    ORG_KINDS,
    AddMember,
    ById,
    ByKeyId,
    GovernanceGenesis,
    Member,
    MemberKey,
    NoParams,
    Org,
    Page,
    RegisterOrg,
    RemoveMember,
    RevokeKey,
    RotateKey,
    SetPolicy,
    SetRoles,
    SetValidators,
)
from govledger.codec import decode
from govledger.crypto.signatures import PublicKey
from govledger.errors import AppError
from govledger.ledger.app import (
    NOBODY_ELSE,
    AllOf,
    App,
    AppState,
    AppView,
    Operation,
    Query,
    Requirement,
    SignedBy,
    TxContext,
    check_requirement,
    event,
    no_check,
)
from govledger.ledger.block import Event, ValidatorSet
from govledger.ledger.genesis import VALIDATORS_KEY

NAME = "governance"
MAX_ROLES = 32
MAX_KEYS_PER_MEMBER = 8
MAX_VALIDATORS = 100
MAX_TEXT = 200
ROOT_POLICY = "governance.*"


def _k(prefix: str, ident: str) -> bytes:
    return f"{prefix}/{ident}".encode()


def _identifier(value: str, what: str) -> None:
    ok = 0 < len(value) <= 64 and value.isascii() and all(c.isalnum() or c in "-_." for c in value)
    if not ok:
        raise AppError("governance.bad_identifier", f"{what} {value!r} must be 1-64 of [A-Za-z0-9-_.]")


def _text(value: str, what: str) -> None:
    if len(value) > MAX_TEXT:
        raise AppError("governance.text_too_long", f"{what} exceeds {MAX_TEXT} characters")


def get_member(view: AppView, member_id: str) -> Member | None:
    """A shared, read-only Member: build a new one to change it (this module never mutates)."""
    return view.other(NAME).get_shared(_k("member", member_id), Member)


def _require_member(view: AppView, member_id: str) -> Member:
    m = get_member(view, member_id)
    if m is None:
        raise AppError("governance.unknown_member", f"no member {member_id!r}")
    return m


def member_of_key(view: AppView, key_id: bytes) -> str | None:
    raw = view.other(NAME).get(b"key/" + key_id)
    return None if raw is None else raw.decode()


# --- the Authority the executor consults ---------------------------------------------------------


class GovernanceAuthority:
    """Resolves policies and roles from governance state (implements ledger.app.Authority)."""

    state_app = NAME

    def policy(self, view: AppView, app: str, op: str) -> Requirement | None:
        gov = view.other(NAME)
        for target in (f"{app}.{op}", f"{app}.*"):
            p = gov.get_shared(_k("policy", target), Requirement)  # type: ignore[arg-type]
            if p is not None:
                return p  # type: ignore[no-any-return]
        return None

    def members_with_role(self, view: AppView, role: str, org: str, signer_ids: frozenset[bytes]) -> int:
        holders: set[str] = set()
        for kid in signer_ids:
            mid = member_of_key(view, kid)
            if mid is None or mid in holders:
                continue
            m = get_member(view, mid)
            if m is not None and role in m.roles and (not org or m.org == org):
                holders.add(mid)
        return len(holders)


AUTHORITY = GovernanceAuthority()


# --- operations ----------------------------------------------------------------------------------


def _check_register_org(view: AppView, b: RegisterOrg, ctx: TxContext) -> None:
    _identifier(b.org_id, "org_id")
    _text(b.name, "name")
    if b.kind not in ORG_KINDS:
        raise AppError("governance.bad_org_kind", f"kind must be one of {', '.join(ORG_KINDS)}")
    if view.get(_k("org", b.org_id)) is not None:
        raise AppError("governance.org_exists", f"organisation {b.org_id!r} already exists")


def _apply_register_org(state: AppState, b: RegisterOrg, ctx: TxContext) -> list[Event]:
    state.put(_k("org", b.org_id), Org(b.org_id, b.name, b.kind))
    return [event(NAME, "org_registered", b.org_id, name=b.name, kind=b.kind)]


def _check_roles(roles: list[str]) -> None:
    if len(roles) > MAX_ROLES or len(set(roles)) != len(roles):
        raise AppError("governance.bad_roles", f"at most {MAX_ROLES} distinct roles")
    for r in roles:
        _identifier(r, "role")


def _check_new_keys(view: AppView, keys: list[PublicKey]) -> None:
    if not 1 <= len(keys) <= MAX_KEYS_PER_MEMBER:
        raise AppError("governance.bad_keys", f"a member has 1..{MAX_KEYS_PER_MEMBER} keys")
    ids = [k.key_id() for k in keys]
    if len(set(ids)) != len(ids):
        raise AppError("governance.bad_keys", "the same key is listed twice")
    for kid in ids:
        if view.get(b"key/" + kid) is not None:
            raise AppError("governance.key_in_use", f"key {kid.hex()} already belongs to a member")


def _check_add_member(view: AppView, b: AddMember, ctx: TxContext) -> None:
    _identifier(b.member_id, "member_id")
    _text(b.name, "name")
    if view.get(_k("org", b.org)) is None:
        raise AppError("governance.unknown_org", f"no organisation {b.org!r}")
    if view.get(_k("member", b.member_id)) is not None:
        raise AppError("governance.member_exists", f"member {b.member_id!r} already exists")
    _check_roles(b.roles)
    _check_new_keys(view, b.public_keys)


def _write_member(state: AppState, m: Member) -> None:
    state.put(_k("member", m.member_id), m)


def _apply_add_member(state: AppState, b: AddMember, ctx: TxContext) -> list[Event]:
    keys = [MemberKey(public_key=pk, added_height=ctx.height) for pk in b.public_keys]
    _write_member(state, Member(b.member_id, b.org, b.name, sorted(b.roles), keys))
    for pk in b.public_keys:
        state.put(b"key/" + pk.key_id(), b.member_id.encode())
    return [event(NAME, "member_added", b.member_id, org=b.org, roles=",".join(sorted(b.roles)))]


def _check_set_roles(view: AppView, b: SetRoles, ctx: TxContext) -> None:
    _require_member(view, b.member_id)
    _check_roles(b.roles)


def _apply_set_roles(state: AppState, b: SetRoles, ctx: TxContext) -> list[Event]:
    m = _require_member(state, b.member_id)
    _write_member(state, Member(m.member_id, m.org, m.name, sorted(b.roles), m.keys))
    return [event(NAME, "roles_set", b.member_id, roles=",".join(sorted(b.roles)))]


def _signers_rotate(view: AppView, b: RotateKey, ctx: TxContext) -> Requirement:
    return AllOf(of=[SignedBy(b.old_key_id), SignedBy(b.new_key.key_id())])


def _check_rotate(view: AppView, b: RotateKey, ctx: TxContext) -> None:
    m = _require_member(view, b.member_id)
    if b.old_key_id not in m.active_key_ids():
        raise AppError(
            "governance.key_not_active", f"key {b.old_key_id.hex()} is not an active key of the member"
        )
    _check_new_keys(view, [b.new_key])


def _revoked(m: Member, key_id: bytes, height: int, reason: str) -> list[MemberKey]:
    return [
        MemberKey(k.public_key, k.added_height, height, reason)
        if k.public_key.key_id() == key_id and k.revoked_height == 0
        else k
        for k in m.keys
    ]


def _apply_rotate(state: AppState, b: RotateKey, ctx: TxContext) -> list[Event]:
    m = _require_member(state, b.member_id)
    keys = _revoked(m, b.old_key_id, ctx.height, "rotated")
    keys.append(MemberKey(public_key=b.new_key, added_height=ctx.height))
    _write_member(state, Member(m.member_id, m.org, m.name, m.roles, keys[-MAX_KEYS_PER_MEMBER * 4 :]))
    state.delete(b"key/" + b.old_key_id)
    state.put(b"key/" + b.new_key.key_id(), m.member_id.encode())
    return [event(NAME, "key_rotated", m.member_id, old=b.old_key_id, new=b.new_key.key_id())]


def _check_revoke(view: AppView, b: RevokeKey, ctx: TxContext) -> None:
    m = _require_member(view, b.member_id)
    _text(b.reason, "reason")
    if b.key_id not in m.active_key_ids():
        raise AppError(
            "governance.key_not_active", f"key {b.key_id.hex()} is not an active key of the member"
        )


def _apply_revoke(state: AppState, b: RevokeKey, ctx: TxContext) -> list[Event]:
    m = _require_member(state, b.member_id)
    _write_member(
        state, Member(m.member_id, m.org, m.name, m.roles, _revoked(m, b.key_id, ctx.height, b.reason))
    )
    state.delete(b"key/" + b.key_id)
    return [event(NAME, "key_revoked", m.member_id, key_id=b.key_id, reason=b.reason)]


def _check_remove_member(view: AppView, b: RemoveMember, ctx: TxContext) -> None:
    _require_member(view, b.member_id)
    _text(b.reason, "reason")


def _apply_remove_member(state: AppState, b: RemoveMember, ctx: TxContext) -> list[Event]:
    m = _require_member(state, b.member_id)
    for kid in m.active_key_ids():
        state.delete(b"key/" + kid)
    state.delete(_k("member", b.member_id))
    return [event(NAME, "member_removed", b.member_id, reason=b.reason)]


def _check_set_policy(view: AppView, b: SetPolicy, ctx: TxContext) -> None:
    app, dot, op = b.target.partition(".")
    if not dot or not app or not op:
        raise AppError("governance.bad_target", f"policy target {b.target!r} must be 'app.op' or 'app.*'")
    _identifier(app, "app")
    if op != "*":
        _identifier(op, "operation")
    if b.requirement is None:
        if b.target == ROOT_POLICY:
            raise AppError("governance.root_policy", "the governance.* policy cannot be deleted")
        return
    check_requirement(b.requirement)
    if b.target == ROOT_POLICY and b.requirement == NOBODY_ELSE:
        raise AppError("governance.root_policy", "the governance.* policy must require someone")


def _apply_set_policy(state: AppState, b: SetPolicy, ctx: TxContext) -> list[Event]:
    if b.requirement is None:
        state.delete(_k("policy", b.target))
    else:
        state.put(_k("policy", b.target), b.requirement)
    return [event(NAME, "policy_set", b.target, deleted=b.requirement is None)]


def _check_set_validators(view: AppView, b: SetValidators, ctx: TxContext) -> None:
    if not 1 <= len(b.validators) <= MAX_VALIDATORS:
        raise AppError("governance.bad_validators", f"1..{MAX_VALIDATORS} validators")
    ids = [v.public_key.key_id() for v in b.validators]
    if len(set(ids)) != len(ids):
        raise AppError("governance.bad_validators", "a validator is listed twice")
    if any(not 0 < v.power <= 1 << 40 for v in b.validators):
        raise AppError("governance.bad_validators", "every validator needs a power in 1..2^40")


def _apply_set_validators(state: AppState, b: SetValidators, ctx: TxContext) -> list[Event]:
    state.put(VALIDATORS_KEY, ValidatorSet(validators=list(b.validators)))
    evidence.record_validator_set(state, ValidatorSet(validators=list(b.validators)), ctx.height + 2)
    return [event(NAME, "validators_set", "validators", count=len(b.validators), effective=ctx.height + 2)]


def _nobody_else(view: AppView, body: object, ctx: TxContext) -> Requirement:
    return NOBODY_ELSE


# --- genesis and queries -------------------------------------------------------------------------


def _genesis(state: AppState, g: GovernanceGenesis) -> list[Event]:
    for org in g.orgs:
        _identifier(org.org_id, "org_id")
        state.put(_k("org", org.org_id), org)
    for gm in g.members:
        _check_add_member(
            state, AddMember(gm.member_id, gm.org, gm.name, gm.roles, gm.public_keys), _GENESIS_CTX
        )
        _apply_add_member(
            state, AddMember(gm.member_id, gm.org, gm.name, gm.roles, gm.public_keys), _GENESIS_CTX
        )
    for target, req in sorted(g.policies.items()):
        _check_set_policy(state, SetPolicy(target, req), _GENESIS_CTX)
        state.put(_k("policy", target), req)
    if ROOT_POLICY not in g.policies:
        raise AppError("governance.root_policy", "genesis must set the governance.* policy")
    if "governance.rotate_key" not in g.policies:
        # Rotation is the member's own act (old + new key sign); no admin quorum unless genesis says so.
        state.put(_k("policy", "governance.rotate_key"), NOBODY_ELSE)
    evidence.genesis(state, g.policies)  # validator-set history, default report_evidence policy
    return []


_GENESIS_CTX = TxContext(
    chain_id="", height=0, time_ms=0, tx_id=b"", signers=(), signer_ids=frozenset(), first_signer_id=b""
)


def _q_org(view: AppView, p: ById) -> Org | None:
    return view.get_as(_k("org", p.id), Org)


def _q_member(view: AppView, p: ById) -> Member | None:
    return get_member(view, p.id)


def _q_key(view: AppView, p: ByKeyId) -> Member | None:
    mid = member_of_key(view, p.key_id)
    return None if mid is None else get_member(view, mid)


def _q_policy(view: AppView, p: ById) -> Requirement | None:
    return view.get_as(_k("policy", p.id), Requirement)  # type: ignore[arg-type,no-any-return]


def _q_validators(view: AppView, p: NoParams) -> ValidatorSet | None:
    return view.get_as(VALIDATORS_KEY, ValidatorSet)


def _q_members(view: AppView, p: Page) -> list[Member]:
    rows = view.scan(b"member/", limit=min(max(p.limit, 1), 500) + 1)
    out = [decode(v, Member) for k, v in rows if k[len(b"member/") :].decode() > p.start_after]
    return out[: p.limit]


def _q_orgs(view: AppView, p: Page) -> list[Org]:
    rows = view.scan(b"org/", limit=min(max(p.limit, 1), 500) + 1)
    out = [decode(v, Org) for k, v in rows if k[len(b"org/") :].decode() > p.start_after]
    return out[: p.limit]


def _op(body: type, check: object, apply: object, doc: str, signers: object = _nobody_else) -> Operation:  # type: ignore[type-arg]
    return Operation(body=body, signers=signers, check=check, apply=apply, doc=doc)  # type: ignore[arg-type]


APP = App(
    name=NAME,
    doc="Organisations, members, keys, roles, signing policies and the validator set.",
    operations={
        "register_org": _op(
            RegisterOrg, _check_register_org, _apply_register_org, "Register an organisation."
        ),
        "add_member": _op(
            AddMember, _check_add_member, _apply_add_member, "Add a member with keys and roles."
        ),
        "set_roles": _op(SetRoles, _check_set_roles, _apply_set_roles, "Replace a member's roles."),
        "rotate_key": _op(
            RotateKey,
            _check_rotate,
            _apply_rotate,
            "Member replaces a key (old + new sign).",
            _signers_rotate,
        ),
        "revoke_key": _op(RevokeKey, _check_revoke, _apply_revoke, "Revoke a member's key now."),
        "remove_member": _op(RemoveMember, _check_remove_member, _apply_remove_member, "Remove a member."),
        "set_policy": _op(SetPolicy, _check_set_policy, _apply_set_policy, "Set or delete a signing policy."),
        "set_validators": _op(
            SetValidators, _check_set_validators, _apply_set_validators, "Replace the validator set (H+2)."
        ),
        "report_evidence": _op(
            evidence.ReportEvidence,
            evidence.check,
            evidence.apply,
            "Commit evidence that a validator signed two conflicting votes.",
            evidence.signers,
        ),
    },
    queries={
        "org": Query(ById, _q_org, "An organisation by id."),
        "orgs": Query(Page, _q_orgs, "Organisations in id order."),
        "member": Query(ById, _q_member, "A member by id."),
        "members": Query(Page, _q_members, "Members in id order."),
        "member_by_key": Query(ByKeyId, _q_key, "The member holding an active key."),
        "policy": Query(ById, _q_policy, "The policy stored for a target ('land.transfer', 'land.*')."),
        "validators": Query(NoParams, _q_validators, "The validator set most recently decided."),
        "evidence": Query(evidence.EvidenceParams, evidence.query, "Committed evidence (validator, height)."),
    },
    genesis=_genesis,  # type: ignore[arg-type]
    genesis_type=GovernanceGenesis,
)

__all__ = ["APP", "AUTHORITY", "NAME", "no_check"]
