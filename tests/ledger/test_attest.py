"""The attest app's rules, and a failing transaction leaving state untouched."""

from __future__ import annotations

from govledger.apps.attest.app import Attestation, RecordBody, RevokeBody
from govledger.ledger.app import AppView

from .conftest import DevChain, Keys

DIGEST = bytes(range(32))


def test_record_then_revoke_by_the_attester_only(dev: DevChain, keys: Keys) -> None:
    rec = dev.tx("attest", "record", RecordBody(DIGEST, "deed", "book 4, page 12"), keys.notary)
    again = dev.tx("attest", "record", RecordBody(DIGEST, "deed", "other"), keys.registrar)
    outsider = dev.tx("attest", "record", RecordBody(b"\x09" * 32, "deed", "x"), keys.outsider)
    wrong_revoker = dev.tx("attest", "revoke", RevokeBody(DIGEST, "error"), keys.registrar)
    revoke = dev.tx("attest", "revoke", RevokeBody(DIGEST, "superseded"), keys.notary)
    twice = dev.tx("attest", "revoke", RevokeBody(DIGEST, "again"), keys.notary)
    pending = dev.commit([rec, again, outsider, wrong_revoker, revoke, twice])
    assert [r.code for r in pending.receipts] == [
        "ok",
        "attest.already_recorded",
        "auth.missing_signers",
        "attest.not_attester",
        "ok",
        "attest.already_revoked",
    ]
    stored = AppView(dev.storage, "attest").get_as(b"doc/" + DIGEST, Attestation)
    assert stored is not None
    assert stored.attester == keys.notary.public_key.key_id()
    assert stored.revoked_height == pending.header.height
    assert stored.revoked_reason == "superseded"


def test_bad_body_and_unknown_operation(dev: DevChain, keys: Keys) -> None:
    from govledger.apps.governance.model import RegisterOrg

    bad_body = dev.tx("attest", "record", RegisterOrg("a", "b", "court"), keys.notary)
    unknown_op = dev.tx("attest", "forge", RecordBody(DIGEST, "deed", "x"), keys.notary)
    unknown_app = dev.tx("nope", "record", RecordBody(DIGEST, "deed", "x"), keys.notary)
    short = dev.tx("attest", "record", RecordBody(b"\x01", "deed", "x"), keys.notary)
    pending = dev.commit([bad_body, unknown_op, unknown_app, short])
    assert [r.code for r in pending.receipts] == [
        "tx.bad_body",
        "tx.unknown_op",
        "tx.unknown_app",
        "attest.bad_digest",
    ]
    assert pending.outcome.buffer.writes == {}
