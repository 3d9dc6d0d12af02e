"""Revoking certificates when the register changes: a follower of committed events, in the node.

`Revoker.on_commit` is a node commit listener: it only picks the events of the registry apps
(`land`, `company`, `vital`) whose subject (a parcel, a company, a vital record) has a live certificate
in the index, and queues them; it never blocks the block thread. A worker thread then, per subject,
re-derives each live certificate's record from the latest committed state and compares its digest
with the one certified. When they differ (a transfer, a mortgage, a subdivision, an amendment, a
company falling into default; or the record is gone), it submits, signed by the registry's issuer
key, in one batch:

- `documents.revoke_document` of the certificates' targetHashes in the registry's document store
  (reason `record_changed`), which every verifier of the OpenAttestation document sees, and
- `identity.status_set` of their status-list entries to 1 (revoked, final), which every verifier of
  the SD-JWT VC sees,

and marks them revoked in the index once both are committed. A change committed in block H is
therefore revoked in the next block the node produces after H (H+1 unless the mempool holds a full
block's worth of older transactions); the integration tests assert revocation by H+2.

`check(app, record_id)` queues a re-check without an event (the issuer calls it right after a new
certificate is recorded, so a change that committed while it was being issued is not missed), and
`reconcile()` re-checks every live certificate (run once at start: events committed while the node
was down, or while a revocation failed, are caught up).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable

from govledger.apps.documents.model import RevokeDocument
from govledger.apps.identity.model import StatusSet
from govledger.certificates.index import CertificateIndex, IssuedCertificate
from govledger.certificates.issue import CertLedger, Submission, record_digest
from govledger.certificates.issuers import Issuer
from govledger.certificates.kinds import KINDS, WATCHED_APPS
from govledger.ledger.app import AppView
from govledger.ledger.block import Event

log = logging.getLogger("govledger.certificates")

REASON = "record_changed"
MAX_QUEUE = 100_000
_STOP = ("", "", -1)


class Revoker:
    def __init__(self, ledger: CertLedger, issuers: Callable[[str], Issuer], index: CertificateIndex) -> None:
        self.ledger = ledger
        self.issuers = issuers
        self.index = index
        self._queue: queue.Queue[tuple[str, str, int]] = queue.Queue(MAX_QUEUE)
        self._live = index.live_subjects()
        self._live_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.revoked = 0  # certificates revoked since start

    # --- the listener side (block thread: cheap, never blocks) ------------------------------------

    def on_events(self, height: int, events: list[Event]) -> None:
        with self._live_lock:
            touched = {
                (e.app, e.subject)
                for e in events
                if e.app in WATCHED_APPS and (e.app, e.subject) in self._live
            }
        for app, subject in sorted(touched):
            self._put((app, subject, height))

    def check(self, app: str, record_id: str) -> None:
        with self._live_lock:
            self._live.add((app, record_id))
        self._put((app, record_id, 0))

    def reconcile(self) -> None:
        for app, record_id in sorted(self.index.live_subjects()):
            self._put((app, record_id, 0))

    def _put(self, entry: tuple[str, str, int]) -> None:
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            log.error("certificate revocation queue full; run a reconcile (restart the node)")

    # --- the worker ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="govledger-revoker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while True:
            app, record_id, height = self._queue.get()
            if height < 0:
                return
            try:
                self.process(app, record_id, height)
            except Exception:  # a failed revocation is retried by the next event or reconcile
                log.exception("revoking certificates of %s/%s failed", app, record_id)

    def stale(self, app: str, record_id: str) -> list[IssuedCertificate]:
        live = self.index.live_for(app, record_id)
        if not live:
            return []
        out = []
        with self.ledger.committed() as reader:
            view = AppView(reader, app)
            for c in live:
                record = KINDS[c.kind].read(view, record_id)
                if record is None or record_digest(record) != c.record_digest:
                    out.append(c)
        return out

    def process(self, app: str, record_id: str, height: int) -> int:
        """Revoke the stale certificates of one record; returns how many."""
        stale = self.stale(app, record_id)
        by_registry: dict[str, list[IssuedCertificate]] = defaultdict(list)
        for c in stale:
            by_registry[c.registry].append(c)
        done = 0
        for registry, certs in by_registry.items():
            issuer = self.issuers(registry)
            items = [
                Submission(
                    "documents",
                    "revoke_document",
                    RevokeDocument(issuer.store_address, [bytes.fromhex(c.cert_id) for c in certs], REASON),
                ),
                Submission(
                    "identity",
                    "status_set",
                    StatusSet(
                        issuer.registry.list_id, sorted({c.status_index for c in certs}), 1, "record changed"
                    ),
                ),
            ]
            receipts = self.ledger.submit(items, issuer)
            codes = [r.code for r in receipts]
            if all(code in ("ok", "documents.already_revoked", "identity.status_final") for code in codes):
                self.index.mark_revoked([c.cert_id for c in certs], height, REASON)
                done += len(certs)
            else:
                log.error("revocation of %s/%s refused: %s", app, record_id, ", ".join(codes))
        if done:
            self.revoked += done
            log.info("revoked %d certificate(s) of %s/%s", done, app, record_id)
        if not self.index.live_for(app, record_id):
            with self._live_lock:
                self._live.discard((app, record_id))
        return done
