"""Issuing certificates: proved record -> OA document issued in the ledger store + SD-JWT VC with a
status-list entry, remembered in the index; an unchanged record gets its live certificate back.

The issuer reaches the ledger through `CertLedger` (the node implements it in-process in
`node/services.py`): a verified query answer, committed state, and "submit these transactions and
wait until they are committed". Per request, in order:

1. read the registry's `certificate` query with its proof, verify it, and re-derive the record from
   the proved keys alone (`ProvedReader`): no record, `certificates.not_found`;
2. if the index holds a live certificate of this record whose record digest is the same, return it;
3. check the registry's issuer is set up on the ledger (store, status list; `certificates.not_set_up`);
4. optionally fill in personal data (vital records: a logged vault read per person, `personal`);
5. wrap and DID-sign the OA document; submit `documents.issue` (its merkleRoot) and
   `identity.status_allocate` (one entry bound to the record's `subject_ref`) in one batch; both
   must commit `ok`;
6. sign the SD-JWT VC naming that entry; remember both in the index.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from govledger.apps.documents import store as docstore
from govledger.apps.documents.model import Issue
from govledger.apps.identity import store as idstore
from govledger.apps.identity.model import StatusAllocate
from govledger.certificates import build
from govledger.certificates.build import Anchor, PersonalData
from govledger.certificates.index import CertificateIndex, IssuedCertificate
from govledger.certificates.issuers import Issuer
from govledger.certificates.kinds import Kind
from govledger.certificates.proved import ProvedReader
from govledger.codec import Record, encode
from govledger.errors import GovledgerError
from govledger.identity.certificates import subject_ref
from govledger.identity.sdjwt_vc import StatusRef
from govledger.ledger.app import AppView
from govledger.ledger.block import Receipt
from govledger.ledger.proofs import StateProof
from govledger.ledger.state import StateReader


@dataclass(frozen=True)
class Submission:
    app: str
    op: str
    body: Record


class CertLedger(Protocol):
    chain_id: str

    def proved_query(self, app: str, name: str, params: dict[str, Any]) -> StateProof:
        """Run an app query, verify its answer's proof, return the (verified) proof."""
        ...

    def committed(self) -> AbstractContextManager[StateReader]:
        """The latest committed state."""
        ...

    def submit(self, items: Sequence[Submission], issuer: Issuer) -> list[Receipt]:
        """Sign each with the issuer's key, submit them together, wait until every one is committed."""
        ...


PersonalReader = Callable[[Issuer, Any], list[PersonalData]]


def record_digest(record: Any) -> str:
    return hashlib.sha256(encode(record)).hexdigest()


def allocated_index(receipt: Receipt) -> int:
    for e in receipt.events:
        if e.kind == "allocated":
            return int(str(e.attributes["indices"]).split(",")[0])
    raise GovledgerError("certificates.no_index", "status_allocate committed without an allocated index")


class CertificateIssuer:
    def __init__(
        self,
        ledger: CertLedger,
        issuers: Callable[[str], Issuer],
        index: CertificateIndex,
        *,
        personal: PersonalReader | None = None,
        on_issued: Callable[[IssuedCertificate], None] | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self.ledger = ledger
        self.issuers = issuers
        self.index = index
        self.personal = personal
        self.on_issued = on_issued
        self.clock_ms = clock_ms
        self._lock = threading.Lock()

    def read(self, kind: Kind, record_id: str) -> tuple[Any, Anchor]:
        proof = self.ledger.proved_query(kind.app, "certificate", kind.params(record_id))
        record = kind.read(AppView(ProvedReader.of(proof), kind.app), record_id)
        if record is None:
            raise GovledgerError("certificates.not_found", f"no {kind.name} record {record_id[:64]!r}")
        anchor = Anchor(self.ledger.chain_id, kind.app, proof.height, proof.header.time_ms)
        return record, anchor

    def certificate(self, kind: Kind, record_id: str) -> IssuedCertificate:
        """The live certificate of the record as it stands now, issuing one if needed."""
        with self._lock:
            record, anchor = self.read(kind, record_id)
            digest = record_digest(record)
            for c in self.index.live_for(kind.app, record_id):
                if c.kind == kind.name and c.record_digest == digest:
                    return c
            return self._issue(kind, record_id, record, anchor, digest)

    def _issue(
        self, kind: Kind, record_id: str, record: Any, anchor: Anchor, digest: str
    ) -> IssuedCertificate:
        issuer = self.issuers(kind.registry)
        self._check_set_up(issuer)
        personal = self.personal(issuer, record) if self.personal is not None else []
        now_ms = self.clock_ms()
        raw = build.raw_document(record, kind, record_id, issuer, anchor, personal)
        (document,) = build.wrap_and_sign([raw], issuer, now_ms)
        root = bytes.fromhex(document["signature"]["merkleRoot"])
        ref = subject_ref(issuer.binding_key, kind.record_type, record_id)
        receipts = self.ledger.submit(
            [
                Submission("documents", "issue", Issue(issuer.store_address, [root])),
                Submission("identity", "status_allocate", StatusAllocate(issuer.registry.list_id, 1, ref)),
            ],
            issuer,
        )
        for r in receipts:
            if r.code != "ok":
                raise GovledgerError(r.code, r.message)
        index = allocated_index(receipts[1])
        with self.ledger.committed() as reader:
            lst = idstore.get_list(AppView(reader, "identity"), issuer.registry.list_id)
            issuance = docstore.get_issuance(AppView(reader, "documents"), issuer.store_address, root)
        assert lst is not None and issuance is not None, "checked above, committed just now"
        token = build.sd_jwt(
            record, kind, issuer, anchor, StatusRef(lst.uri, index), now_ms // 1000, personal
        )
        cert = IssuedCertificate(
            cert_id=document["signature"]["targetHash"],
            kind=kind.name,
            app=kind.app,
            record_id=record_id,
            registry=kind.registry,
            record_digest=digest,
            height=anchor.height,
            issued_height=issuance.height,
            merkle_root=root.hex(),
            list_id=issuer.registry.list_id,
            status_index=index,
            document=document,
            sd_jwt=token,
        )
        self.index.add(cert)
        if self.on_issued is not None:
            self.on_issued(cert)
        return cert

    def _check_set_up(self, issuer: Issuer) -> None:
        with self.ledger.committed() as reader:
            has_store = docstore.get_store(AppView(reader, "documents"), issuer.store_address) is not None
            has_list = idstore.get_list(AppView(reader, "identity"), issuer.registry.list_id) is not None
        if not (has_store and has_list):
            raise GovledgerError(
                "certificates.not_set_up",
                f"the {issuer.registry.display} has no certificate issuer on this ledger yet: "
                "run `govledger certificate setup` (or `govledger demo`)",
            )
