"""The vault against a real LMDB chain: reads need a *committed* log entry; after an erasure the chain
still re-executes bit for bit on a second node and `verify-chain` passes; query answers carry proofs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govledger.apps import registry
from govledger.apps.privacy.model import LEGAL_BASES, RecordErasure
from govledger.apps.vital.app import APP as VITAL
from govledger.apps.vital.model import NotifyBirth, Person, RegisterBirth
from govledger.cli.verify_chain import verify_chain
from govledger.errors import GovledgerError
from govledger.ledger.proofs import verify_state
from govledger.node.queries import run_query
from govledger.vault import Vault, new_access_request, sign_read, verify_commitment

from ..apps.privacy.harness import A, PrivChain, apps, genesis_bytes, sha
from .conftest import open_vault

PARENTS = {
    "mother": {"given_name": "Efua", "family_name": "Mensah"},
    "father": {"given_name": "Kwame", "family_name": "Mensah"},
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    (h / "genesis.json").write_bytes(genesis_bytes())
    return h


@pytest.fixture
def chain(home: Path) -> Iterator[PrivChain]:
    c = PrivChain(home / "chain")
    yield c
    c.close()


def _person(vault: Vault, ch: PrivChain, role: str, subject_id: str, fields: dict[str, str]) -> Person:
    p = vault.pseudonym("vital", subject_id)
    sealed = vault.put("vital", p, "civil", fields)
    ch.ok("privacy", "register_data", sealed.register_body(), A.hospital)
    return Person(role, p, sealed.commitment)


def _birth(vault: Vault, ch: PrivChain) -> list[Person]:
    persons = [
        _person(vault, ch, "child", "GHA-C-1", {"given_name": "Ama", "family_name": "Mensah"}),
        _person(vault, ch, "mother", "GHA-M-1", PARENTS["mother"]),
        _person(vault, ch, "father", "GHA-F-1", PARENTS["father"]),
    ]
    n = NotifyBirth("N1", persons, ch.time_ms - 3600_000, "Korle Bu Teaching Hospital")
    ch.ok("vital", "notify_birth", n, A.hospital)
    ch.ok(
        "vital", "register_birth", RegisterBirth("B1", persons, n.born_at_ms, n.facility, "N1"), A.registrar
    )
    return persons


def test_only_a_committed_log_entry_opens_the_vault(chain: PrivChain, tmp_path: Path) -> None:
    vault = open_vault(tmp_path / "vault")
    child = _birth(vault, chain)[0]
    log = new_access_request(child.pseudonym, "civil", "certificate_issuance")
    req = sign_read(A.registrar, vault.vault_id, log)
    pending = chain.build([chain.tx("privacy", "log_access", log, A.registrar)])
    assert pending.receipts[0].code == "ok"  # executed, but the block is not committed
    with chain.storage.snapshot() as snap, pytest.raises(GovledgerError) as exc:
        vault.read(req, snap)
    assert exc.value.code == "vault.not_logged"
    chain.chain.commit(pending, chain.sign_commit(pending))
    with chain.storage.snapshot() as snap:
        record = vault.read(req, snap)
    assert record.fields["given_name"] == "Ama" and verify_commitment(
        record.fields, record.salt, child.commitment
    )
    vault.close()


def test_after_erasure_the_chain_replays_and_verifies(
    chain: PrivChain, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = open_vault(tmp_path / "vault")
    persons = _birth(vault, chain)
    father = persons[2]
    log = new_access_request(father.pseudonym, "civil", "certificate_issuance")
    chain.ok("privacy", "log_access", log, A.registrar)
    chain.ok(
        "privacy", "record_erasure", RecordErasure(father.pseudonym, LEGAL_BASES[1], sha("withdrawn")), A.dpo
    )
    with chain.storage.snapshot() as snap:
        assert vault.erase(father.pseudonym, snap).versions_destroyed == 1
        with pytest.raises(GovledgerError) as exc:
            vault.read(sign_read(A.registrar, vault.vault_id, log), snap)
    assert exc.value.code == "vault.erased"
    vault.close()

    # the certificate hook still answers, with a proof for every key it read, and flags the erasure
    answer = run_query(chain.chain, VITAL, "certificate", {"id": "B1"})
    assert [p.erased for p in answer.result.persons] == [False, False, True]
    proved = verify_state(answer.proof, chain.chain.validator_set(answer.height))
    assert ("vital", b"record/B1") in proved and (
        "privacy",
        b"erasure/" + father.pseudonym.hex().encode(),
    ) in proved

    # a second node re-executes every block to the same headers, receipts and state root
    twin = PrivChain(tmp_path / "twin")
    try:
        for h in range(1, chain.chain.height + 1):
            block = chain.storage.block(h)
            assert block is not None
            replayed = twin.chain.execute_block(block)
            assert replayed.header == block.header and replayed.receipts == chain.storage.receipts(h)
            twin.chain.commit(replayed, chain.storage.commit(h))
        assert twin.chain.tip.state_root == chain.chain.tip.state_root
    finally:
        twin.close()

    # and `verify-chain` (with the apps installed) passes from genesis
    chain.close()
    installed = apps()
    monkeypatch.setattr(registry, "apps", lambda: installed)
    summary = verify_chain(home)
    assert summary.tip == chain.chain.height and summary.state_root == chain.chain.tip.state_root
