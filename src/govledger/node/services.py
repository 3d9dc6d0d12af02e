"""The services a node runs beside the chain, built from its home: the personal-data vault, the
registry certificate issuers (issue, index, automatic revocation) and the identity service.

`NodeServices(node)` builds nothing heavy up front (the API creates one per application, and tests
create many): each service is opened on first use, from the node's data directory (`--home`):

- vault: `<home>/vault/`, master key `<home>/vault.key` (created 0600 on first use); one process
  per vault (`vault.locked`);
- registry issuer keys: `<home>/keys/issuer-<registry>.key.json`, created on first use, encrypted
  with the key-file passphrase;
- certificate index: `<home>/certificates/index.sqlite` (what was issued, what to revoke);
- identity back-office token: `<home>/identity-admin.token` (created 0600 on first use).

Configuration comes from the environment, as for the CLI: `GOVLEDGER_PASSPHRASE` (key files; the
public dev passphrase by default), `GOVLEDGER_PUBLIC_URL` (where wallets and verifiers reach this node;
default `http://127.0.0.1:8000`; status-list URIs written at setup use the URL the setup was run with).

`NodeLedger` is the in-process ledger port of the certificate issuer and the identity service:
queries are answered with proofs and verified with the SDK's verifier (`sdk.verify`) against the
validator set certifying each header; transactions are signed with an issuer key, admitted through
the node's mempool and waited for in storage.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import msgspec

from govledger.apps.identity.model import StatusAllocate
from govledger.apps.land.model import TitleCertificate
from govledger.apps.privacy import store as privacy_store
from govledger.apps.vital.model import Certificate as VitalCertificate
from govledger.certificates.build import PersonalData
from govledger.certificates.index import CertificateIndex, IssuedCertificate
from govledger.certificates.issue import CertificateIssuer, Submission
from govledger.certificates.issuers import REGISTRIES, Issuer, load_issuer
from govledger.certificates.revoker import Revoker
from govledger.certificates.setup import SERVICE_PURPOSES
from govledger.codec import encode, to_json
from govledger.crypto.keyfile import DEFAULT_SCRYPT_N
from govledger.errors import GovledgerError
from govledger.identity.api import IdentityService
from govledger.identity.certificates import vct_for
from govledger.identity.claims import AGE_VCT
from govledger.identity.oid4vci import CredentialConfiguration
from govledger.ledger.app import AppView
from govledger.ledger.block import Receipt
from govledger.ledger.proofs import StateProof
from govledger.ledger.state import StateReader
from govledger.ledger.tx import tx_id
from govledger.node.devnet import DEV_PASSPHRASE
from govledger.node.node import CommittedBlock, Node
from govledger.node.queries import QueryAnswer, run_query
from govledger.sdk.builder import TxBuilder
from govledger.sdk.verify import Trust, verify_query_answer
from govledger.vault import KeyFile, Vault, create_key_file, new_access_request, sign_read

log = logging.getLogger("govledger.services")

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
WAIT_S = 30.0
CERT_PURPOSE = SERVICE_PURPOSES[0]


class NodeLedger:
    """The in-process ledger port (`certificates.issue.CertLedger`, `identity.api.LedgerPort`)."""

    def __init__(self, node: Node, identity_issuer: Issuer | None = None) -> None:
        self.node = node
        self.chain_id = node.chain.chain_id
        self.identity_issuer = identity_issuer
        block0 = node.storage.block(0)
        self._genesis_hash = block0.header.hash() if block0 is not None else None

    def proved_query(self, app: str, name: str, params: dict[str, Any]) -> StateProof:
        chain = self.node.chain
        target = chain.apps.get(app)
        if target is None:
            raise GovledgerError("app.unknown", f"no app named {app!r}")
        answer = run_query(chain, target, name, params)
        answer = QueryAnswer(answer.height, msgspec.json.decode(to_json(answer.result)), answer.proof)
        trust = Trust(self.chain_id, chain.validator_set(answer.proof.header.height), self._genesis_hash)
        verify_query_answer(answer, trust, app, name, params)
        return answer.proof

    def committed(self) -> AbstractContextManager[StateReader]:
        return self.node.storage.snapshot()

    def reader(self) -> StateReader:
        return self.node.storage

    def submit(self, items: Sequence[Submission], issuer: Issuer) -> list[Receipt]:
        builder = TxBuilder(self.chain_id)
        height = self.node.chain.height
        txs = [builder.tx(i.app, i.op, i.body, [issuer.key], current_height=height) for i in items]
        ids = [tx_id(t.payload) for t in txs]
        admitted = self.node.submit([encode(t) for t in txs])
        out: dict[int, Receipt] = {}
        for n, a in enumerate(admitted):
            if not a.ok:
                out[n] = Receipt(tx_id=ids[n], code=a.code, message=a.message, events=[])
        deadline = time.monotonic() + WAIT_S
        while len(out) < len(txs):
            for n, txid in enumerate(ids):
                if n not in out and (r := self._receipt(txid)) is not None:
                    out[n] = r
            if len(out) < len(txs):
                if time.monotonic() > deadline:
                    raise GovledgerError("tx.wait_timeout", f"not committed within {WAIT_S:.0f} s")
                time.sleep(0.01)
        return [out[n] for n in range(len(txs))]

    def _receipt(self, txid: bytes) -> Receipt | None:
        loc = self.node.storage.tx_location(txid)
        if loc is None:
            return None
        receipts = self.node.storage.receipts(loc[0])
        return receipts[loc[1]] if receipts is not None and loc[1] < len(receipts) else None

    def allocate(self, list_id: str, count: int, subject_ref: bytes) -> list[int]:
        """identity.api.LedgerPort: status entries for OpenID4VCI credentials, signed by the issuer."""
        if self.identity_issuer is None:
            raise GovledgerError("identity.unavailable", "this node has no credential issuer key")
        (r,) = self.submit(
            [Submission("identity", "status_allocate", StatusAllocate(list_id, count, subject_ref))],
            self.identity_issuer,
        )
        if r.code != "ok":
            raise GovledgerError(r.code, r.message)
        indices = next((str(e.attributes["indices"]) for e in r.events if e.kind == "allocated"), "")
        if not indices:
            raise GovledgerError("certificates.no_index", "status_allocate committed without indices")
        return [int(i) for i in indices.split(",")]


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class NodeServices:
    def __init__(self, node: Node, *, passphrase: str | None = None, public_url: str | None = None) -> None:
        self.node = node
        self.home: Path = node.config.data_dir
        self.chain_id = node.chain.chain_id
        self.passphrase = passphrase or os.environ.get("GOVLEDGER_PASSPHRASE", DEV_PASSPHRASE)
        self.public_url = (public_url or os.environ.get("GOVLEDGER_PUBLIC_URL", DEFAULT_PUBLIC_URL)).rstrip(
            "/"
        )
        self.scrypt_n = _env_int("GOVLEDGER_SCRYPT_N", DEFAULT_SCRYPT_N)
        self._lock = threading.RLock()
        self._vault: Vault | None = None
        self._issuers: dict[str, Issuer] = {}
        self._index: CertificateIndex | None = None
        self._ledger: NodeLedger | None = None
        self._certificates: CertificateIssuer | None = None
        self._revoker: Revoker | None = None
        self._identity: IdentityService | None = None
        self._attached = False

    # --- lifecycle ----------------------------------------------------------------------------------

    def attach(self) -> None:
        """Follow commits (automatic revocation), if this home has issued certificates before."""
        self.node.add_listener(self._on_commit)
        self._attached = True
        if self._index_path().exists():
            self.revoker().reconcile()

    def close(self) -> None:
        if self._attached:
            self.node.remove_listener(self._on_commit)
            self._attached = False
        with self._lock:
            if self._revoker is not None:
                self._revoker.stop()
            if self._vault is not None:
                self._vault.close()
                self._vault = None
            if self._index is not None:
                self._index.close()
                self._index = None

    def _on_commit(self, block: CommittedBlock) -> None:
        revoker = self._revoker
        if revoker is not None and block.events:
            revoker.on_events(block.header.height, block.events)

    # --- services -----------------------------------------------------------------------------------

    def vault(self) -> Vault:
        with self._lock:
            if self._vault is None:
                key = self.home / "vault.key"
                with contextlib.suppress(FileExistsError):
                    create_key_file(key)
                self._vault = Vault(self.home / "vault", KeyFile(key))
            return self._vault

    def issuer(self, registry: str) -> Issuer:
        with self._lock:
            if registry not in self._issuers:
                self._issuers[registry] = load_issuer(
                    self.home, self.chain_id, registry, self.passphrase, self.scrypt_n
                )
            return self._issuers[registry]

    def ledger(self) -> NodeLedger:
        with self._lock:
            if self._ledger is None:
                self._ledger = NodeLedger(self.node)
            return self._ledger

    def _index_path(self) -> Path:
        return self.home / "certificates" / "index.sqlite"

    def index(self) -> CertificateIndex:
        with self._lock:
            if self._index is None:
                self._index = CertificateIndex(self._index_path())
            return self._index

    def revoker(self) -> Revoker:
        with self._lock:
            if self._revoker is None:
                self._revoker = Revoker(self.ledger(), self.issuer, self.index())
                self._revoker.start()
            return self._revoker

    def certificates(self) -> CertificateIssuer:
        with self._lock:
            if self._certificates is None:
                revoker = self.revoker()

                def issued(cert: IssuedCertificate) -> None:
                    revoker.check(cert.app, cert.record_id)

                self._certificates = CertificateIssuer(
                    self.ledger(),
                    self.issuer,
                    self.index(),
                    personal=self.personal_data,
                    on_issued=issued,
                )
            return self._certificates

    def identity(self) -> IdentityService:
        """The identity service, issuing as the civil registry (the citizen-facing credential issuer)."""
        with self._lock:
            if self._identity is None:
                civil = self.issuer("vital")
                list_id = REGISTRIES["vital"].list_id
                configs = {
                    "birth": CredentialConfiguration(
                        "birth", vct_for("vital.Certificate"), "Birth certificate", status_list_id=list_id
                    ),
                    "age": CredentialConfiguration(
                        "age", AGE_VCT, "Age and residence", status_list_id=list_id
                    ),
                }
                self._identity = IdentityService(
                    base_url=self.public_url,
                    ledger=NodeLedger(self.node, identity_issuer=civil),
                    issuer_did=civil.did,
                    issuer_signer=civil.jws_signer,
                    configurations=configs,
                    admin_token=self._admin_token(),
                )
            return self._identity

    def _admin_token(self) -> str:
        path = self.home / "identity-admin.token"
        if not path.exists():
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    # --- personal data on certificates (vital records) ------------------------------------------------

    def personal_data(self, issuer: Issuer, record: Any) -> list[PersonalData]:
        """Each named person's vault record (land owners, people on a vital record), through a committed
        access-log entry per person (purpose `certificate_issuance`, signed by the issuer) and one vault
        read each; people the vault does not hold, erased people and any refusal stay unnamed."""
        people = _people(record)
        if not people:
            return []
        try:
            vault = self.vault()
        except GovledgerError as exc:
            log.warning("certificate without personal data: %s", exc.message)
            return []
        wanted = []
        with self.node.storage.snapshot() as snap:
            view = AppView(snap, "privacy")
            for role, commitment in people:
                ref = privacy_store.commitment_ref(view, commitment)
                if ref is None or not _vault_holds(vault, ref.pseudonym, ref.record_id):
                    continue
                body = new_access_request(ref.pseudonym, ref.record_id, CERT_PURPOSE, version=ref.version)
                wanted.append((role, commitment, body))
        if not wanted:
            return []
        receipts = self.ledger().submit(
            [Submission("privacy", "log_access", b) for _, _, b in wanted], issuer
        )
        out = []
        with self.node.storage.snapshot() as snap:
            for (role, commitment, body), r in zip(wanted, receipts, strict=True):
                if r.code != "ok":
                    log.warning("access log for a certificate refused: %s: %s", r.code, r.message)
                    continue
                try:
                    rec = vault.read(sign_read(issuer.key, vault.vault_id, body), snap)
                except GovledgerError as exc:
                    log.warning("vault read for a certificate refused: %s", exc.code)
                    continue
                out.append(PersonalData(role, commitment, rec.fields, rec.salt))
        return out


def _people(record: Any) -> list[tuple[str, bytes]]:
    """(role, commitment) of the people a certificate names whose data may be in the vault."""
    if isinstance(record, VitalCertificate):
        return [(p.role, p.commitment) for p in record.persons if not p.erased]
    if isinstance(record, TitleCertificate):
        return [("owner", o.commitment) for o in record.owners if o.kind != "group"]
    return []


def _vault_holds(vault: Vault, pseudonym: bytes, record_id: str) -> bool:
    try:
        status = vault.status(pseudonym)
    except GovledgerError:
        return False
    return not status.erased and any(r.record_id == record_id for r in status.records)
