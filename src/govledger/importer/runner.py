"""The import loop: stream rows, plan, sign, submit in batches, classify every outcome, checkpoint.

Per batch (at most `batch_size` rows not already in the checkpoint):
1. rows the CSV gets wrong are rejected with their `import.*` code; a row id seen earlier in this run
   is a duplicate (`import.duplicate_row_id`);
2. each other row becomes its transaction (and any prerequisites, `Plan.before`, sent as an earlier
   round), signed by the operator's keys and the custodial keys of the parties it registers. Its
   nonce derives from the registry, row id, body and attempt, its expiry from a 1000-block window,
   so a re-run within the window rebuilds the same transaction id and the node answers `tx.replay`
   (committed) or `tx.duplicate` (pending) instead of running it twice. When the replayed
   transaction had failed (its row was rejected by an earlier run, and the ledger may have changed
   since: the missing owner is registered now), one fresh attempt with a new nonce follows;
3. `submit_batch`; `mempool.full` answers are resubmitted after a bounded backoff;
4. each admitted transaction is waited for; its receipt decides: `ok` imported; the app's
   "already registered" code (`land.party_exists`, `company.company_exists`, ...) at admission or
   execution sends the importer to read the row's state key, verified against a signed header:
   equal is a duplicate (idempotent re-run), different is `import.conflict`; any other code rejects
   the row with the ledger's own code and message; a failed prerequisite rejects its row;
5. the batch's report lines are written, then its checkpoint line (committed row ids), fsynced.
A run stops after `limit` rows (0: none), at the end of the file, or on an error, always leaving the
checkpoint and report consistent with the ledger up to the last finished batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govledger.codec import encode
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.importer.adapters.base import Adapter, Plan, RowError
from govledger.importer.checkpoint import Checkpoint
from govledger.importer.custody import Custody
from govledger.importer.report import DUPLICATE, IMPORTED, REJECTED, SKIPPED, Outcome, Report
from govledger.importer.source import Row, read_rows
from govledger.ledger.mempool import FULL_CODES, MAX_BATCH
from govledger.ledger.tx import MAX_SIGNERS, Transaction
from govledger.sdk import Client

EXPIRY_WINDOW_BLOCKS = 1000
NONCE_DOMAIN = b"govledger/import/nonce/v1\x00"


@dataclass(frozen=True)
class ImportOptions:
    batch_size: int = 500
    limit: int = 0  # rows to attempt in this run (0: all); skipped rows do not count
    wait_timeout_s: float = 60.0
    full_retries: int = 8
    backoff_s: float = 0.25

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise GovledgerError("import.bad_option", f"batch size must be 1..{MAX_BATCH}")
        if self.limit < 0:
            raise GovledgerError("import.bad_option", "limit must be 0 (no limit) or positive")


@dataclass
class ImportSummary:
    registry: str
    source: str
    checkpoint: str
    complete: bool = False
    through_line: int = 0
    this_run: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    rejected_by_code: Counter[str] = field(default_factory=Counter)
    started_at: str = ""
    finished_at: str = ""

    def to_json(self) -> dict[str, Any]:
        keys = (IMPORTED, DUPLICATE, REJECTED, SKIPPED)
        return {
            "registry": self.registry,
            "source": self.source,
            "checkpoint": self.checkpoint,
            "complete": self.complete,
            "through_line": self.through_line,
            "this_run": {k: self.this_run.get(k, 0) for k in keys},
            "total": {k: self.total.get(k, 0) for k in keys[:3]},
            "rejected_by_code": dict(sorted(self.rejected_by_code.items())),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def row_nonce(registry: str, row_id: str, body: bytes, attempt: int = 0) -> int:
    """The nonce of a row's transaction: the same on every run (within an expiry window) for an
    attempt; a new attempt (after an earlier run's identical transaction failed) makes a new id."""
    label = f"{registry}\x00{row_id}\x00{attempt}\x00".encode()
    return int.from_bytes(hashlib.sha256(NONCE_DOMAIN + label + body).digest()[:8], "big")


@dataclass
class _Pending:
    index: int  # in the batch
    row: Row
    plan: Plan
    tx_id: str = ""
    replayed: bool = False  # the node had committed this very transaction before (an earlier run)


class _Run:
    """One run's state: the node, the adapter, the keys, and the checkpoint and report files."""

    def __init__(
        self,
        client: Client,
        adapter: Adapter,
        signers: Sequence[SigningKey],
        custody: Custody,
        checkpoint: Checkpoint,
        report: Report,
        options: ImportOptions,
    ) -> None:
        self.client = client
        self.adapter = adapter
        self.signers = list(signers)
        self.custody = custody
        self.checkpoint = checkpoint
        self.report = report
        self.options = options
        self.batches_before = checkpoint.batches

    # --- one batch ------------------------------------------------------------------------------

    def batch(self, rows: list[Row]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        pending: list[_Pending] = []
        ids_in_batch: set[str] = set()
        for i, row in enumerate(rows):
            early = self._screen(row, ids_in_batch)
            if early is not None:
                outcomes[i] = early
                continue
            ids_in_batch.add(row.row_id)
            try:
                pending.append(_Pending(i, row, self.adapter.plan(row.fields, self.custody)))
            except RowError as exc:
                outcomes[i] = Outcome(row.row_id, row.line, REJECTED, exc.code, exc.message)
        before = [_Pending(p.index, p.row, q) for p in pending for q in p.plan.before]
        for q, o in zip(before, self._run_plans(before), strict=True):
            if o.outcome == REJECTED and q.index not in outcomes:
                reason = f"{q.plan.app}.{q.plan.op} first: {o.reason}"
                outcomes[q.index] = Outcome(q.row.row_id, q.row.line, REJECTED, o.code, reason, o.tx_id)
        pending = [p for p in pending if p.index not in outcomes]
        for p, outcome in zip(pending, self._run_plans(pending), strict=True):
            outcomes[p.index] = outcome
        return [outcomes[i] for i in range(len(rows))]

    def _run_plans(self, pending: list[_Pending]) -> list[Outcome]:
        """Submit and settle; transactions an earlier run left failed get one fresh attempt."""
        out = self._submit(pending, 0)
        retry = [i for i, o in enumerate(out) if o is None]
        fresh = [_Pending(pending[i].index, pending[i].row, pending[i].plan) for i in retry]
        for i, o in zip(retry, self._submit(fresh, 1), strict=True):
            out[i] = o
        assert all(o is not None for o in out)
        return [o for o in out if o is not None]

    def _screen(self, row: Row, ids_in_batch: set[str]) -> Outcome | None:
        if row.problem is not None:
            return Outcome(row.row_id, row.line, REJECTED, *row.problem)
        if row.row_id in ids_in_batch or row.row_id in self.checkpoint:
            return Outcome(
                row.row_id, row.line, DUPLICATE, "import.duplicate_row_id", "the row id appears twice"
            )
        return None

    def _transactions(
        self, pending: list[_Pending], attempt: int
    ) -> tuple[list[bytes], dict[int, Outcome | None]]:
        height = self.client.height()
        window_start = height - height % EXPIRY_WINDOW_BLOCKS
        builder = self.client.tx_builder()
        raws: list[bytes] = []
        refused: dict[int, Outcome | None] = {}
        for i, p in enumerate(pending):
            keys = {k.public_key.key_id(): k for k in self.signers}
            for party in p.plan.custody_parties:
                k = self.custody.key(p.plan.app, party)
                keys.setdefault(k.public_key.key_id(), k)
            if len(keys) > MAX_SIGNERS:
                reason = f"{len(keys)} signatures needed, a transaction carries at most {MAX_SIGNERS}"
                refused[i] = Outcome(p.row.row_id, p.row.line, REJECTED, "import.too_many_signers", reason)
                raws.append(b"")
                continue
            body = encode(p.plan.body)
            tx: Transaction = builder.tx(
                p.plan.app,
                p.plan.op,
                body,
                list(keys.values()),
                current_height=window_start,
                expiry_in=2 * EXPIRY_WINDOW_BLOCKS,
                nonce=row_nonce(self.adapter.name, p.row.row_id, body, attempt),
            )
            raws.append(encode(tx))
        return raws, refused

    def _submit(self, pending: list[_Pending], attempt: int) -> list[Outcome | None]:
        """Submit, wait and classify; None asks for one more attempt (see `_settle`)."""
        if not pending:
            return []
        raws, outcomes = self._transactions(pending, attempt)
        todo = [i for i in range(len(pending)) if i not in outcomes]
        for attempt in range(self.options.full_retries + 1):
            results = self.client.submit_batch([raws[i] for i in todo]) if todo else []
            retry = []
            for i, r in zip(todo, results, strict=True):
                pending[i].tx_id = r.tx_id
                pending[i].replayed = r.code == "tx.replay"
                if r.code in FULL_CODES and attempt < self.options.full_retries:
                    retry.append(i)
                elif r.code not in ("ok", "tx.duplicate", "tx.replay"):
                    outcomes[i] = self._refused(pending[i], r.code, r.message)
            if not retry:
                break
            todo = retry
            time.sleep(self.options.backoff_s * 2**attempt)
        for i, p in enumerate(pending):
            if i not in outcomes:
                outcomes[i] = self._settle(p, attempt)
        return [outcomes[i] for i in range(len(pending))]

    def _settle(self, p: _Pending, attempt: int) -> Outcome | None:
        status = self.client.wait(p.tx_id, self.options.wait_timeout_s)
        receipt = status.receipt
        assert receipt is not None, "a committed transaction has a receipt"
        if (
            p.replayed
            and receipt.code != "ok"
            and receipt.code not in self.adapter.exists_codes
            and not attempt
        ):
            return None  # an earlier run's identical transaction failed; the ledger may have changed since
        if receipt.code == "ok" and p.replayed:
            reason = f"committed at height {status.height} by an earlier run"
            return Outcome(p.row.row_id, p.row.line, DUPLICATE, "tx.replay", reason, p.tx_id)
        if receipt.code == "ok":
            return Outcome(p.row.row_id, p.row.line, IMPORTED, "ok", "", p.tx_id)
        return self._refused(p, receipt.code, receipt.message)

    def _refused(self, p: _Pending, code: str, message: str) -> Outcome:
        if code not in self.adapter.exists_codes:
            return Outcome(p.row.row_id, p.row.line, REJECTED, code, message, p.tx_id)
        stored = self.client.get_state(p.plan.app, p.plan.state_key)
        if stored is None:  # the "exists" is about something else (a commitment used elsewhere)
            return Outcome(p.row.row_id, p.row.line, REJECTED, code, message, p.tx_id)
        if p.plan.same(stored):
            return Outcome(
                p.row.row_id, p.row.line, DUPLICATE, code, "already on the ledger with the same data"
            )
        reason = "already on the ledger with different data: " + message
        return Outcome(p.row.row_id, p.row.line, REJECTED, "import.conflict", reason)

    # --- the whole file --------------------------------------------------------------------------

    def rows(
        self, source: Path, summary: ImportSummary, on_rows: Callable[[int], None]
    ) -> Iterator[list[Row]]:
        """Batches of rows to attempt; rows in the checkpoint from earlier runs are counted as skipped."""
        batch: list[Row] = []
        attempted = 0
        for row in read_rows(source, self.adapter.columns):
            if row.problem is None and row.row_id in self.checkpoint and self._from_earlier_run(row):
                self.report.add(Outcome(row.row_id, row.line, SKIPPED, "import.in_checkpoint"))
                on_rows(1)
                continue
            if self.options.limit and attempted >= self.options.limit:
                if batch:
                    yield batch
                return
            batch.append(row)
            attempted += 1
            if len(batch) >= self.options.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
        summary.complete = True

    def _from_earlier_run(self, row: Row) -> bool:
        return self.checkpoint.batch_of(row.row_id) <= self.batches_before


def _report_files(base: Path) -> tuple[Path, Path]:
    return base.with_name(base.name + ".csv"), base.with_name(base.name + ".json")


def run_import(
    client: Client,
    adapter: Adapter,
    source: Path,
    *,
    signers: Sequence[SigningKey],
    custody: Custody,
    checkpoint: Path,
    report: Path,
    options: ImportOptions | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import `source` into `adapter`'s app through `client`; see the module docstring."""
    opts = options or ImportOptions()
    if adapter.app not in {a.name for a in client.apps()}:
        raise GovledgerError("import.app_not_installed", f"the node has no {adapter.app!r} app")
    if source.resolve() in {checkpoint.resolve(), *(p.resolve() for p in _report_files(report))}:
        raise GovledgerError("import.bad_option", "the checkpoint and report must not be the source file")
    cp = Checkpoint(checkpoint, adapter.name)
    rep = Report(report, append=cp.batches > 0)
    summary = ImportSummary(adapter.name, str(source), str(checkpoint), started_at=_now())
    run = _Run(client, adapter, signers, custody, cp, rep, opts)
    progress = on_rows or (lambda n: None)
    try:
        for rows in run.rows(source, summary, progress):
            outcomes = run.batch(rows)
            for o in outcomes:
                rep.add(o)
            rep.flush()
            counts = Counter(o.outcome for o in outcomes)
            committed = [
                o.row_id
                for o in outcomes
                if o.outcome in (IMPORTED, DUPLICATE) and o.code != "import.duplicate_row_id"
            ]
            cp.record(rows[-1].line, committed, counts)
            progress(len(rows))
    finally:
        summary.this_run = Counter(rep.counts)
        summary.rejected_by_code = Counter(rep.rejected_by_code)
        summary.total = Counter({k: v for k, v in cp.totals.items() if k != SKIPPED})
        summary.through_line = cp.through_line
        summary.finished_at = _now()
        rep.write_summary(summary.to_json())
        rep.close()
        cp.close()
    return summary
