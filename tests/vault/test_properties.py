"""Property tests: commitments (hiding-by-salt, binding, canonical) and versioning (model-checked)."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govledger.vault import verify_commitment
from govledger.vault.commitment import commitment

from ..apps.privacy.harness import A, Ledger
from .conftest import Committed, grant, open_vault

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)
values = st.text(max_size=40).map(lambda s: unicodedata.normalize("NFC", s))
records = st.dictionaries(names, values, min_size=1, max_size=8)
salts = st.binary(min_size=32, max_size=32)


@given(fields=records, salt=salts, data=st.data())
def test_a_commitment_does_not_depend_on_field_order(
    fields: dict[str, str], salt: bytes, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(list(fields)))
    shuffled = {k: fields[k] for k in order}
    assert commitment(shuffled, salt) == commitment(fields, salt)
    assert verify_commitment(shuffled, salt, commitment(fields, salt))


@given(fields=records, salt=salts, other_salt=salts, data=st.data())
def test_a_commitment_binds_every_field_and_the_salt(
    fields: dict[str, str], salt: bytes, other_salt: bytes, data: st.DataObject
) -> None:
    c = commitment(fields, salt)
    name = data.draw(st.sampled_from(sorted(fields)))
    new_value = data.draw(values.filter(lambda v: v != fields[name]))
    assert not verify_commitment({**fields, name: new_value}, salt, c)
    assert not verify_commitment({k: v for k, v in fields.items() if k != name} or {"x": ""}, salt, c)
    extra = data.draw(names.filter(lambda n: n not in fields))
    assert not verify_commitment({**fields, extra: ""}, salt, c)
    assert (other_salt == salt) == verify_commitment(fields, other_salt, c)


@given(
    junk=st.one_of(st.none(), st.integers(), st.dictionaries(st.text(), st.text())),
    salt=st.binary(max_size=40),
)
def test_verify_commitment_never_raises(junk: object, salt: bytes) -> None:
    assert verify_commitment(junk, salt, bytes(32)) is False  # type: ignore[arg-type]


# op: (record index, fields) -> put if the record is new, else rectify
ops = st.lists(st.tuples(st.integers(0, 2), records), min_size=1, max_size=8)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=ops)
def test_every_version_reads_back_what_was_written(script: list[tuple[int, dict[str, str]]]) -> None:
    led = Ledger()
    with tempfile.TemporaryDirectory() as tmp:
        vault = open_vault(Path(tmp) / "vault")
        try:
            p = vault.pseudonym("vital", "subject-" + os.urandom(4).hex())
            model: dict[str, list[tuple[dict[str, str], bytes]]] = {}
            for index, fields in script:
                rid = f"r{index}"
                if rid not in model:
                    sealed = vault.put("vital", p, rid, fields)
                    led.ok("privacy", "register_data", sealed.register_body(), A.registrar)
                    model[rid] = []
                else:
                    sealed = vault.rectify(p, rid, fields)
                    led.ok("privacy", "rectify_data", sealed.rectify_body("rectified"), A.registrar)
                model[rid].append((fields, sealed.commitment))
                assert sealed.version == len(model[rid])
            status = {r.record_id: r for r in vault.status(p).records}
            assert sorted(status) == sorted(model)
            for rid, versions in model.items():
                assert status[rid].commitments == [c for _, c in versions]
                for n, (fields, c) in enumerate(versions, start=1):
                    got = vault.read(grant(vault, led, p, rid, "audit", n, A.auditor), Committed(led))
                    assert (got.fields, got.commitment) == (fields, c)
                    assert verify_commitment(got.fields, got.salt, c)
            commitments = [c for versions in model.values() for _, c in versions]
            assert len(set(commitments)) == len(commitments)  # fresh salts: even equal fields differ
        finally:
            vault.close()
