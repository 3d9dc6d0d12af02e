"""The node's list of the certificates it issued: what to hand out again, and what to revoke.

One SQLite file, `<home>/certificates/index.sqlite`, one row per certificate: the kind and record it
certifies, the digest of the record as proved (so a fetch can tell whether the register changed since),
the heights, the document (wrapped, signed OA JSON) and the SD-JWT VC, the status-list entry, and the
revocation once submitted. Nothing here is authoritative: issuance and revocation are ledger state,
and the status-list half of a certificate can be found again from the ledger (`subject_indices`).
Losing the file loses the ability to revoke the OpenAttestation half automatically, which is why it
lives in the node's home next to the chain and is written synchronously.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
    cert_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    app TEXT NOT NULL,
    record_id TEXT NOT NULL,
    registry TEXT NOT NULL,
    record_digest TEXT NOT NULL,
    height INTEGER NOT NULL,
    issued_height INTEGER NOT NULL,
    merkle_root TEXT NOT NULL,
    list_id TEXT NOT NULL,
    status_index INTEGER NOT NULL,
    document TEXT NOT NULL,
    sd_jwt TEXT NOT NULL,
    revoked_height INTEGER NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS by_subject ON certificates (app, record_id);
"""
_COLUMNS = (
    "cert_id, kind, app, record_id, registry, record_digest, height, issued_height, merkle_root, "
    "list_id, status_index, document, sd_jwt, revoked_height, revoke_reason"
)


@dataclass(frozen=True)
class IssuedCertificate:
    cert_id: str  # the OA document's targetHash (hex)
    kind: str
    app: str
    record_id: str
    registry: str
    record_digest: str
    height: int  # where the record was proved
    issued_height: int  # where its merkleRoot was issued
    merkle_root: str
    list_id: str
    status_index: int
    document: dict[str, Any]
    sd_jwt: str
    revoked_height: int = 0  # the height at which the revocation was submitted; 0: live
    revoke_reason: str = ""

    @property
    def live(self) -> bool:
        return self.revoked_height == 0


def _row(r: tuple[Any, ...]) -> IssuedCertificate:
    return IssuedCertificate(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        json.loads(r[11]),
        r[12],
        r[13],
        r[14],
    )


class CertificateIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, c: IssuedCertificate) -> None:
        values = (
            c.cert_id,
            c.kind,
            c.app,
            c.record_id,
            c.registry,
            c.record_digest,
            c.height,
            c.issued_height,
            c.merkle_root,
            c.list_id,
            c.status_index,
            json.dumps(c.document, separators=(",", ":"), ensure_ascii=False),
            c.sd_jwt,
            c.revoked_height,
            c.revoke_reason,
        )
        with self._lock:
            self._db.execute(f"INSERT INTO certificates ({_COLUMNS}) VALUES ({','.join('?' * 15)})", values)

    def get(self, cert_id: str) -> IssuedCertificate | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM certificates WHERE cert_id = ?", (cert_id,)
            ).fetchone()
        return None if row is None else _row(row)

    def live_for(self, app: str, record_id: str) -> list[IssuedCertificate]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM certificates WHERE app = ? AND record_id = ? AND revoked_height = 0 "
                "ORDER BY issued_height",
                (app, record_id),
            ).fetchall()
        return [_row(r) for r in rows]

    def live_subjects(self) -> set[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT app, record_id FROM certificates WHERE revoked_height = 0"
            ).fetchall()
        return {(str(a), str(r)) for a, r in rows}

    def mark_revoked(self, cert_ids: list[str], height: int, reason: str) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE certificates SET revoked_height = ?, revoke_reason = ? WHERE cert_id = ?",
                [(max(height, 1), reason, cid) for cid in cert_ids],
            )

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM certificates").fetchone()
        return int(n)
