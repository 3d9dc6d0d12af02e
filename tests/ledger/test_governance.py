"""Governance: every operation refused without its required signers; policies govern themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from govledger.apps.attest.app import RecordBody
from govledger.apps.governance.model import (
    AddMember,
    RegisterOrg,
    RemoveMember,
    RevokeKey,
    RotateKey,
    SetPolicy,
    SetRoles,
    SetValidators,
)
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import HasRole, SignedBy
from govledger.ledger.block import Validator

from .conftest import DevChain, Keys, fixed_key, genesis_bytes

NEW_KEY = fixed_key(99)


def _ops(keys: Keys) -> list[tuple[str, Record]]:
    return [
        ("register_org", RegisterOrg("courts", "Supreme Court", "court")),
        ("add_member", AddMember("judge-1", "ministry", "Judge", ["judge"], [NEW_KEY.public_key])),
        ("set_roles", SetRoles("registrar-1", ["registrar"])),
        ("revoke_key", RevokeKey("notary-1", keys.notary.public_key.key_id(), "lost laptop")),
        ("remove_member", RemoveMember("notary-1", "retired")),
        ("set_policy", SetPolicy("attest.record", HasRole(role="notary"))),
        ("set_validators", SetValidators([Validator(keys.validator.public_key, 5)])),
    ]


@pytest.mark.parametrize("index", range(7))
def test_admin_operations_need_the_admin_policy(dev: DevChain, keys: Keys, index: int) -> None:
    op, body = _ops(keys)[index]
    refused = dev.commit([dev.tx("governance", op, body, keys.registrar)])
    assert refused.receipts[0].code == "auth.missing_signers"
    assert "admin" in refused.receipts[0].message
    before = dev.chain.tip.state_root
    accepted = dev.commit([dev.tx("governance", op, body, keys.admin)])
    assert accepted.receipts[0].code == "ok", accepted.receipts[0].message
    assert dev.chain.tip.state_root != before


def test_failed_transaction_writes_nothing(dev: DevChain, keys: Keys) -> None:
    root = dev.chain.tip.state_root
    pending = dev.commit(
        [dev.tx("governance", "register_org", RegisterOrg("ministry", "dup", "ministry"), keys.admin)]
    )
    assert pending.receipts[0].code == "governance.org_exists"
    assert pending.outcome.buffer.writes == {}
    assert dev.chain.tip.state_root == root


def test_quorum_policy_counts_distinct_members(tmp_path: Path, keys: Keys) -> None:
    dev = DevChain(tmp_path / "c", keys, genesis_bytes(keys, admin_quorum=2))
    try:
        body = RegisterOrg("courts", "Court", "court")
        one = dev.commit([dev.tx("governance", "register_org", body, keys.admin)])
        assert one.receipts[0].code == "auth.missing_signers"
        two = dev.commit([dev.tx("governance", "register_org", body, keys.admin, keys.admin2)])
        assert two.receipts[0].code == "ok"
    finally:
        dev.close()


def test_rotation_takes_effect_within_the_block(dev: DevChain, keys: Keys) -> None:
    new = SigningKey.from_private_bytes(1, b"\x42" * 32)  # type: ignore[arg-type]
    rotate = dev.tx(
        "governance",
        "rotate_key",
        RotateKey("notary-1", keys.notary.public_key.key_id(), new.public_key),
        keys.notary,
        new,
    )
    old_sig = dev.tx("attest", "record", RecordBody(b"\x01" * 32, "deed", "r1"), keys.notary)
    new_sig = dev.tx("attest", "record", RecordBody(b"\x02" * 32, "deed", "r2"), new)
    pending = dev.commit([rotate, old_sig, new_sig])
    assert [r.code for r in pending.receipts] == ["ok", "auth.missing_signers", "ok"]


def test_rotation_needs_old_and_new_key(dev: DevChain, keys: Keys) -> None:
    new = fixed_key(77)
    body = RotateKey("notary-1", keys.notary.public_key.key_id(), new.public_key)
    only_old = dev.commit([dev.tx("governance", "rotate_key", body, keys.notary)])
    assert only_old.receipts[0].code == "auth.missing_signers"
    only_new = dev.commit([dev.tx("governance", "rotate_key", body, new)])
    assert only_new.receipts[0].code == "auth.missing_signers"


def test_revoked_key_no_longer_counts(dev: DevChain, keys: Keys) -> None:
    revoke = dev.tx(
        "governance",
        "revoke_key",
        RevokeKey("notary-1", keys.notary.public_key.key_id(), "stolen"),
        keys.admin,
    )
    after = dev.tx("attest", "record", RecordBody(b"\x03" * 32, "deed", "x"), keys.notary)
    pending = dev.commit([revoke, after])
    assert [r.code for r in pending.receipts] == ["ok", "auth.missing_signers"]


def test_root_policy_cannot_be_removed_or_emptied(dev: DevChain, keys: Keys) -> None:
    delete = dev.tx("governance", "set_policy", SetPolicy("governance.*", None), keys.admin)
    from govledger.ledger.app import AllOf

    empty = dev.tx("governance", "set_policy", SetPolicy("governance.*", AllOf(of=[])), keys.admin)
    pending = dev.commit([delete, empty])
    assert [r.code for r in pending.receipts] == ["governance.root_policy", "governance.root_policy"]


def test_policy_change_applies_to_later_transactions(dev: DevChain, keys: Keys) -> None:
    tighten = dev.tx(
        "governance",
        "set_policy",
        SetPolicy("attest.record", SignedBy(keys.registrar.public_key.key_id())),
        keys.admin,
    )
    by_notary = dev.tx("attest", "record", RecordBody(b"\x04" * 32, "deed", "x"), keys.notary)
    by_registrar = dev.tx("attest", "record", RecordBody(b"\x05" * 32, "deed", "y"), keys.registrar)
    pending = dev.commit([tighten, by_notary, by_registrar])
    assert [r.code for r in pending.receipts] == ["ok", "auth.missing_signers", "ok"]


def test_validator_change_takes_effect_two_blocks_later(dev: DevChain, keys: Keys) -> None:
    new_set = [Validator(keys.validator.public_key, 10), Validator(fixed_key(50).public_key, 10)]
    first = dev.commit([dev.tx("governance", "set_validators", SetValidators(new_set), keys.admin)])
    h = first.header.height
    assert first.receipts[0].code == "ok"
    assert dev.chain.validator_set(h + 1) == dev.chain.validator_set(h)
    assert len(dev.chain.validator_set(h + 2).validators) == 2


def test_revocation_mid_block_overrides_earlier_answers(dev: DevChain, keys: Keys) -> None:
    """The executor memoises governance answers per block: a revocation must still bite at once."""
    before = dev.tx("attest", "record", RecordBody(b"\x06" * 32, "deed", "a"), keys.notary)
    revoke = dev.tx(
        "governance",
        "revoke_key",
        RevokeKey("notary-1", keys.notary.public_key.key_id(), "stolen"),
        keys.admin,
    )
    after = dev.tx("attest", "record", RecordBody(b"\x07" * 32, "deed", "b"), keys.notary)
    pending = dev.commit([before, revoke, after])
    assert [r.code for r in pending.receipts] == ["ok", "ok", "auth.missing_signers"]


def test_policy_change_mid_block_overrides_earlier_answers(dev: DevChain, keys: Keys) -> None:
    first = dev.tx("attest", "record", RecordBody(b"\x08" * 32, "deed", "a"), keys.notary)
    tighten = dev.tx(
        "governance",
        "set_policy",
        SetPolicy("attest.record", SignedBy(keys.registrar.public_key.key_id())),
        keys.admin,
    )
    failed_gov = dev.tx("governance", "register_org", RegisterOrg("ministry", "dup", "ministry"), keys.admin)
    second = dev.tx("attest", "record", RecordBody(b"\x09" * 32, "deed", "b"), keys.notary)
    pending = dev.commit([first, tighten, failed_gov, second])
    codes = [r.code for r in pending.receipts]
    assert codes == ["ok", "ok", "governance.org_exists", "auth.missing_signers"]
