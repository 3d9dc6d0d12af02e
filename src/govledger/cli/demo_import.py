"""Loading the demo's registers the way a registry migrates a legacy one: CSV files through the importer.

The demo writes each register as the importer's CSV format (docs/import.md) into a temporary
directory, then runs `importer.run_import` on it with the operator keys and the demo's custody
secret: streaming, signed batches, verified "already there?" reads, a reconciliation report. The
files, checkpoints and reports are thrown away afterwards; a second run finds every row on the
ledger (duplicates) or is skipped before it starts.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Sequence
from pathlib import Path

from govledger.cli.demo_common import Demo
from govledger.errors import GovledgerError
from govledger.importer import ADAPTERS, run_import
from govledger.importer.runner import ImportOptions


def import_rows(
    demo: Demo, registry: str, rows: Sequence[dict[str, str]], signers: Sequence[str], label: str
) -> int:
    """Import `rows` as the `registry` CSV; returns how many were imported (duplicates excluded)."""
    if not rows:
        return 0
    adapter = ADAPTERS[registry]
    task = demo.task(label, len(rows))
    with tempfile.TemporaryDirectory(prefix="govledger-demo-") as tmp:
        path = Path(tmp) / f"{registry}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(adapter.columns))
            writer.writeheader()
            writer.writerows(rows)
        summary = run_import(
            demo.client,
            adapter,
            path,
            signers=[demo.key(s) for s in signers],
            custody=demo.custody,
            checkpoint=Path(tmp) / "checkpoint.jsonl",
            report=Path(tmp) / "report",
            options=ImportOptions(batch_size=1000),
            on_rows=lambda n: demo.advance(task, n),
        )
    demo.finish(task)
    if summary.rejected_by_code:
        codes = ", ".join(f"{c} x{n}" for c, n in sorted(summary.rejected_by_code.items()))
        raise GovledgerError("demo.import_rejected", f"{registry}: rows rejected: {codes}")
    imported = int(summary.this_run.get("imported", 0))
    demo.summary.add(f"{registry} imported", imported)
    return imported
