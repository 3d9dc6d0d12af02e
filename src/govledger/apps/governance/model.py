"""Governance records and transaction bodies (the app's wire types)."""

from __future__ import annotations

import msgspec

from govledger.codec import Record
from govledger.crypto.signatures import PublicKey
from govledger.ledger.app import Requirement
from govledger.ledger.block import Validator

ORG_KINDS = ("agency", "ministry", "registry", "court", "bank", "central_bank", "notary", "hospital", "other")


class Org(Record, frozen=True):
    org_id: str
    name: str
    kind: str


class MemberKey(Record, frozen=True):
    public_key: PublicKey
    added_height: int
    revoked_height: int = 0  # 0: active
    revoked_reason: str = ""


class Member(Record, frozen=True):
    member_id: str
    org: str
    name: str
    roles: list[str]
    keys: list[MemberKey]

    def active_key_ids(self) -> set[bytes]:
        return {k.public_key.key_id() for k in self.keys if k.revoked_height == 0}


# --- bodies ---


class RegisterOrg(Record, frozen=True):
    org_id: str
    name: str
    kind: str


class AddMember(Record, frozen=True):
    member_id: str
    org: str
    name: str
    roles: list[str]
    public_keys: list[PublicKey]


class SetRoles(Record, frozen=True):
    member_id: str
    roles: list[str]


class RotateKey(Record, frozen=True):
    """Replace one of a member's keys; signed by the old key and the new one (proof of possession)."""

    member_id: str
    old_key_id: bytes
    new_key: PublicKey


class RevokeKey(Record, frozen=True):
    member_id: str
    key_id: bytes
    reason: str


class RemoveMember(Record, frozen=True):
    member_id: str
    reason: str


class SetPolicy(Record, frozen=True):
    """Set (or with `requirement` None, delete) the policy for `target`: "app.op" or "app.*"."""

    target: str
    requirement: Requirement | None


class SetValidators(Record, frozen=True):
    validators: list[Validator]


# --- genesis and queries ---


class GenesisMember(msgspec.Struct, forbid_unknown_fields=True):
    member_id: str
    org: str
    name: str
    roles: list[str]
    public_keys: list[PublicKey]


class GovernanceGenesis(msgspec.Struct, forbid_unknown_fields=True):
    """The `app_state.governance` section of genesis.json (JSON objects, so humans can edit it)."""

    orgs: list[Org] = []
    members: list[GenesisMember] = []
    policies: dict[str, Requirement] = {}


class ById(Record, frozen=True):
    id: str


class ByKeyId(Record, frozen=True):
    key_id: bytes


class Page(Record, frozen=True):
    start_after: str = ""
    limit: int = 100


class NoParams(Record, frozen=True):
    pass
