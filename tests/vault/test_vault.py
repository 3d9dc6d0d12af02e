"""The vault: round trip, master keys, tampering, rectification, retention, authorised reads."""

from __future__ import annotations

import os
from pathlib import Path

import lmdb
import pytest

from govledger.apps.privacy.model import LEGAL_BASES, RecordErasure, SetPurposes
from govledger.errors import GovledgerError
from govledger.vault import GRANT_TTL_BLOCKS, KeyFile, Passphrase, Vault, sign_read, verify_commitment
from govledger.vault.keyslots import SLOT_BYTES

from ..apps.privacy.harness import A, Ledger, sha
from .conftest import FIELDS, Committed, grant, logged, open_vault, put_and_register


def _code(exc: pytest.ExceptionInfo[GovledgerError]) -> str:
    return exc.value.code


def test_round_trip_through_a_logged_read(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-123456789")
    record = vault.read(grant(vault, led, sealed.pseudonym), Committed(led))
    assert record.fields == FIELDS and record.version == 1 and record.commitment == sealed.commitment
    assert verify_commitment(record.fields, record.salt, sealed.commitment)  # the selective proof
    assert not verify_commitment({**FIELDS, "given_name": "Ami"}, record.salt, sealed.commitment)


def test_pseudonyms_are_stable_per_registry_and_unlinkable_across(vault: Vault) -> None:
    a = vault.pseudonym("vital", "GHA-1")
    assert a == vault.pseudonym("vital", "GHA-1") and len(a) == 32
    assert a != vault.pseudonym("land", "GHA-1") and a != vault.pseudonym("vital", "GHA-2")


def test_reopening_needs_the_same_master_key(tmp_path: Path, led: Ledger) -> None:
    v = open_vault(tmp_path / "v")
    sealed = put_and_register(v, led, "GHA-1")
    v.close()
    again = open_vault(tmp_path / "v")
    assert again.read(grant(again, led, sealed.pseudonym), Committed(led)).fields == FIELDS
    again.close()
    other = tmp_path / "other.key"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    with pytest.raises(GovledgerError) as exc:
        Vault(tmp_path / "v", KeyFile(other), sync=False)
    assert _code(exc) == "vault.wrong_master_key"
    with pytest.raises(GovledgerError) as exc:
        Vault(tmp_path / "v", Passphrase("x", scrypt_n=2), sync=False)
    assert _code(exc) == "vault.wrong_master_key"


def test_key_files_must_be_private_and_32_bytes(tmp_path: Path) -> None:
    loose = tmp_path / "loose.key"
    loose.write_bytes(os.urandom(32))
    loose.chmod(0o644)
    short = tmp_path / "short.key"
    short.write_bytes(os.urandom(16))
    short.chmod(0o600)
    for key in (loose, short, tmp_path / "missing.key"):
        with pytest.raises(GovledgerError) as exc:
            Vault(tmp_path / "v", KeyFile(key), sync=False)
        assert _code(exc) == "vault.key_file"


def test_a_passphrase_vault(tmp_path: Path, led: Ledger) -> None:
    v = Vault(tmp_path / "v", Passphrase("correct horse", scrypt_n=2**4), sync=False)
    sealed = put_and_register(v, led, "GHA-1")
    v.close()
    with pytest.raises(GovledgerError) as exc:
        Vault(tmp_path / "v", Passphrase("wrong horse"), sync=False)
    assert _code(exc) == "vault.wrong_master_key"
    v = Vault(tmp_path / "v", Passphrase("correct horse"), sync=False)  # n comes from the vault
    assert v.read(grant(v, led, sealed.pseudonym), Committed(led)).fields == FIELDS
    v.close()


@pytest.mark.parametrize(
    "fields",
    [{}, {"Name": "x"}, {"name": "x" * 1025}, {"name": "e\u0301"}, {f"f{i}": "x" for i in range(65)}],
)
def test_bad_fields_are_refused(vault: Vault, fields: dict[str, str]) -> None:
    with pytest.raises(GovledgerError) as exc:
        vault.put("vital", vault.pseudonym("vital", "x"), "birth", fields)
    assert _code(exc) == "vault.bad_fields"


def test_records_are_written_once_then_rectified(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    with pytest.raises(GovledgerError) as exc:
        vault.put("vital", sealed.pseudonym, "birth", FIELDS)
    assert _code(exc) == "vault.record_exists"
    with pytest.raises(GovledgerError) as exc:
        vault.rectify(sealed.pseudonym, "death", FIELDS)
    assert _code(exc) == "vault.unknown_record"


# --- tampering ------------------------------------------------------------------------------------------


def _raw_db(vault: Vault, name: str) -> tuple[lmdb.Environment, object]:
    return vault._env, vault._db[name]


def _rewrite(vault: Vault, name: str, change: dict[bytes, bytes]) -> None:
    env, db = _raw_db(vault, name)
    with env.begin(write=True, db=db) as txn:
        for k, v in change.items():
            txn.put(k, v)


def _rows(vault: Vault, name: str) -> dict[bytes, bytes]:
    env, db = _raw_db(vault, name)
    with env.begin(db=db) as txn:
        return {bytes(k): bytes(v) for k, v in txn.cursor()}


def _read_code(vault: Vault, led: Ledger, p: bytes, version: int = 0) -> str:
    with pytest.raises(GovledgerError) as exc:
        vault.read(grant(vault, led, p, version=version), Committed(led))
    return _code(exc)


def test_a_flipped_ciphertext_bit_is_detected(vault: Vault, led: Ledger) -> None:
    from govledger.codec import decode, encode
    from govledger.vault.model import VersionEntry

    sealed = put_and_register(vault, led, "GHA-1")
    ((k, v),) = _rows(vault, "records").items()
    e = decode(v, VersionEntry)
    ct = bytearray(e.ciphertext)
    ct[3] ^= 1
    _rewrite(
        vault, "records", {k: encode(VersionEntry(e.version, e.commitment, e.nonce, bytes(ct), e.created_ms))}
    )
    assert _read_code(vault, led, sealed.pseudonym) == "vault.integrity"


def test_a_ciphertext_moved_to_another_subject_is_detected(vault: Vault, led: Ledger) -> None:
    a = put_and_register(vault, led, "GHA-1")
    b = put_and_register(vault, led, "GHA-2", {**FIELDS, "given_name": "Kofi"})
    rows = _rows(vault, "records")
    ka, kb = (next(k for k in rows if k.startswith(s.pseudonym)) for s in (a, b))
    _rewrite(vault, "records", {kb: rows[ka]})  # b's place now holds a's sealed record (associated data)
    assert _read_code(vault, led, b.pseudonym) == "vault.integrity"


def test_swapped_versions_are_detected(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    v2 = vault.rectify(sealed.pseudonym, "birth", {**FIELDS, "given_name": "Amma"})
    led.ok("privacy", "rectify_data", v2.rectify_body("spelling"), A.registrar)
    rows = _rows(vault, "records")
    k1, k2 = sorted(rows)
    _rewrite(vault, "records", {k1: rows[k2], k2: rows[k1]})
    assert _read_code(vault, led, sealed.pseudonym) == "vault.integrity"
    assert _read_code(vault, led, sealed.pseudonym, version=1) == "vault.integrity"


def test_a_swapped_data_key_is_detected(vault: Vault, led: Ledger) -> None:
    a = put_and_register(vault, led, "GHA-1")
    put_and_register(vault, led, "GHA-2")
    path = Path(vault._env.path()) / "data_keys.slots"
    raw = path.read_bytes()
    slot0, slot1 = raw[:SLOT_BYTES], raw[SLOT_BYTES : 2 * SLOT_BYTES]
    # slot 1's key relabelled as subject a's: the wrapping binds the pseudonym, so it does not unwrap
    forged = slot0[:33] + slot1[33:]
    path.write_bytes(forged + raw[SLOT_BYTES:])
    assert _read_code(vault, led, a.pseudonym) == "vault.integrity"


def test_a_stored_commitment_that_differs_from_the_ledger_is_detected(vault: Vault, led: Ledger) -> None:
    p = vault.pseudonym("vital", "GHA-1")
    sealed = vault.put("vital", p, "birth", FIELDS)
    led.ok("privacy", "register_data", sealed.register_body(), A.registrar)
    vault.rectify(p, "birth", {**FIELDS, "given_name": "Amma"})  # vault v2, never registered
    led.ok("privacy", "rectify_data", v2_body(p), A.registrar)  # the ledger's v2 is something else
    assert _read_code(vault, led, p) == "vault.commitment_mismatch"
    assert vault.read(grant(vault, led, p, version=1), Committed(led)).fields == FIELDS


def v2_body(p: bytes) -> object:
    from govledger.apps.privacy.model import RectifyData

    return RectifyData(p, "birth", sha("not the vault's"), "out of band")


# --- rectification and retention --------------------------------------------------------------------


def test_rectification_keeps_the_old_version_for_the_audit_period(tmp_path: Path, led: Ledger) -> None:
    now = [1_000]
    v = open_vault(tmp_path / "v", audit_period_ms=500, clock=lambda: now[0])
    sealed = put_and_register(v, led, "GHA-1")
    v2 = v.rectify(sealed.pseudonym, "birth", {**FIELDS, "family_name": "Owusu"})
    assert v2.version == 2 and v2.commitment != sealed.commitment
    led.ok("privacy", "rectify_data", v2.rectify_body("marriage name"), A.registrar)
    assert v.read(grant(v, led, sealed.pseudonym), Committed(led)).fields["family_name"] == "Owusu"
    old = v.read(grant(v, led, sealed.pseudonym, purpose="audit", version=1, who=A.auditor), Committed(led))
    assert old.fields == FIELDS and old.commitment == sealed.commitment
    now[0] += 499
    assert v.purge_expired() == 0
    now[0] += 1
    assert v.purge_expired() == 1
    status = v.status(sealed.pseudonym)
    assert [(r.current, r.versions) for r in status.records] == [(2, [2])]
    assert _read_code(v, led, sealed.pseudonym, version=1) == "vault.version_purged"
    assert v.read(grant(v, led, sealed.pseudonym), Committed(led)).version == 2
    v.close()


# --- authorised, logged reads ---------------------------------------------------------------------------


def test_a_read_without_a_committed_log_entry_is_refused(vault: Vault, led: Ledger) -> None:
    from govledger.vault import new_access_request

    sealed = put_and_register(vault, led, "GHA-1")
    unlogged = sign_read(
        A.registrar, vault.vault_id, new_access_request(sealed.pseudonym, "birth", "registration")
    )
    with pytest.raises(GovledgerError) as exc:
        vault.read(unlogged, Committed(led))
    assert _code(exc) == "vault.not_logged"


def test_one_read_per_entry_and_only_by_its_requester(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    log = logged(led, sealed.pseudonym)
    forged = sign_read(A.court, vault.vault_id, log)  # another member presents the entry
    for req, code in [
        (forged, "vault.grant_mismatch"),
        (sign_read(A.registrar, b"another vault id", log), "vault.bad_signature"),
    ]:
        with pytest.raises(GovledgerError) as exc:
            vault.read(req, Committed(led))
        assert _code(exc) == code
    req = sign_read(A.registrar, vault.vault_id, log)
    vault.read(req, Committed(led))
    with pytest.raises(GovledgerError) as exc:
        vault.read(req, Committed(led))
    assert _code(exc) == "vault.grant_used"


def test_an_old_entry_expires(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    req = grant(vault, led, sealed.pseudonym)
    for _ in range(GRANT_TTL_BLOCKS + 1):
        led.block([])
    with pytest.raises(GovledgerError) as exc:
        vault.read(req, Committed(led))
    assert _code(exc) == "vault.grant_expired"


def test_a_purpose_withdrawn_after_logging_stops_the_read(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    req = grant(vault, led, sealed.pseudonym)
    led.ok("privacy", "set_purposes", SetPurposes("registrar", ["registration"]), A.admin)
    with pytest.raises(GovledgerError) as exc:
        vault.read(req, Committed(led))
    assert _code(exc) == "vault.not_authorised"


# --- erasure --------------------------------------------------------------------------------------------


def test_erasure_needs_a_committed_record_and_destroys_every_version(vault: Vault, led: Ledger) -> None:
    sealed = put_and_register(vault, led, "GHA-1")
    put_and_register(vault, led, "GHA-1", {"cause": "n/a"}, record_id="health")
    v2 = vault.rectify(sealed.pseudonym, "birth", {**FIELDS, "given_name": "Amma"})
    led.ok("privacy", "rectify_data", v2.rectify_body("spelling"), A.registrar)
    pending = [grant(vault, led, sealed.pseudonym, version=v) for v in (1, 2)]
    with pytest.raises(GovledgerError) as exc:
        vault.erase(sealed.pseudonym, Committed(led))
    assert _code(exc) == "vault.erasure_not_recorded"
    slot_file = Path(vault._env.path()) / "data_keys.slots"
    wrapped = slot_file.read_bytes()[33:93]
    led.ok(
        "privacy", "record_erasure", RecordErasure(sealed.pseudonym, LEGAL_BASES[1], sha("request")), A.dpo
    )
    report = vault.erase(sealed.pseudonym, Committed(led))
    assert report.versions_destroyed == 3 and not report.already_erased
    assert vault.erase(sealed.pseudonym, Committed(led)).already_erased
    for req in pending:  # entries logged before the erasure do not help
        with pytest.raises(GovledgerError) as exc:
            vault.read(req, Committed(led))
        assert _code(exc) == "vault.erased"
    assert vault.status(sealed.pseudonym).erased and vault.status(sealed.pseudonym).records == []
    assert slot_file.read_bytes()[:SLOT_BYTES] == bytes(SLOT_BYTES)
    for f in Path(vault._env.path()).iterdir():  # no copy of the wrapped key anywhere in the store
        assert wrapped not in f.read_bytes(), f
    with pytest.raises(GovledgerError) as exc:
        vault.put("vital", sealed.pseudonym, "other", FIELDS)
    assert _code(exc) == "vault.erased"


def test_a_crash_mid_write_leaves_no_orphaned_key(tmp_path: Path) -> None:
    v = open_vault(tmp_path / "v")
    p = v.pseudonym("vital", "GHA-1")
    v.put("vital", p, "birth", FIELDS)
    v._slots.write(5, p, os.urandom(60))  # a key written whose LMDB commit never happened
    v.close()
    path = tmp_path / "v" / "data_keys.slots"
    assert path.read_bytes()[5 * SLOT_BYTES] == 1
    v = open_vault(tmp_path / "v")
    assert path.read_bytes()[SLOT_BYTES:] == bytes(len(path.read_bytes()) - SLOT_BYTES)
    assert path.read_bytes()[0] == 1  # the live subject's key is untouched
    v.close()


def test_associated_data_binds_record_id_and_version(vault: Vault, led: Ledger) -> None:
    from govledger.codec import decode, encode
    from govledger.vault.model import VersionEntry

    sealed = put_and_register(vault, led, "GHA-1")
    put_and_register(vault, led, "GHA-1", {"cause": "n/a"}, record_id="health")
    v2 = vault.rectify(sealed.pseudonym, "birth", {**FIELDS, "given_name": "Amma"})
    led.ok("privacy", "rectify_data", v2.rectify_body("spelling"), A.registrar)
    rows = _rows(vault, "records")
    birth1, birth2 = sorted(k for k in rows if b"birth" in k)
    (health1,) = [k for k in rows if b"health" in k]
    # same subject and key, same version number, another record id: only the associated data differs
    _rewrite(vault, "records", {health1: rows[birth1]})
    with pytest.raises(GovledgerError) as exc:
        vault.read(grant(vault, led, sealed.pseudonym, record_id="health"), Committed(led))
    assert _code(exc) == "vault.integrity"
    # version 1's ciphertext relabelled as version 2 (entry field and key agree): the AD still says 1
    e1 = decode(rows[birth1], VersionEntry)
    _rewrite(
        vault,
        "records",
        {birth2: encode(VersionEntry(2, v2.commitment, e1.nonce, e1.ciphertext, e1.created_ms))},
    )
    assert _read_code(vault, led, sealed.pseudonym) == "vault.integrity"


def test_one_process_at_a_time(tmp_path: Path) -> None:
    v = open_vault(tmp_path / "v")
    with pytest.raises(GovledgerError) as exc:
        open_vault(tmp_path / "v")
    assert _code(exc) == "vault.locked"
    v.close()
    open_vault(tmp_path / "v").close()
