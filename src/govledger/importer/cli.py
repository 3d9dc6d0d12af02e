"""`govledger import`: bulk-load a legacy register from CSV, and follow the ledger with a webhook.

Mounted on the main CLI by `app.add_typer(import_app, name="import")` (cli/main.py); errors follow the
CLI's convention (one line `error: <code>: <message>`, exit code 2), data goes to stdout as JSON,
progress to stderr.

    govledger import formats
    govledger import custody-secret custody.secret
    govledger import run land-parties parties.csv --signer registrar-1 --custody-secret custody.secret
    govledger import run land-parcels parcels.csv --signer surveyor-1 --signer registrar-1 ...
    govledger import follow --app company --webhook http://legacy.local/hook --cursor follow.json
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from govledger.cli.common import URL_OPTION, err_console, print_json, say, state_of
from govledger.errors import GovledgerError
from govledger.importer.adapters import ADAPTERS
from govledger.importer.custody import Custody
from govledger.importer.follow import Follower, FollowOptions
from govledger.importer.runner import ImportOptions, run_import
from govledger.importer.source import count_rows

import_app = typer.Typer(
    help="Import a legacy register from CSV; follow the ledger's events.", no_args_is_help=True
)


@import_app.command("formats")
def formats() -> None:
    """The registries and their CSV columns."""
    print_json({a.name: {"app": a.app, "columns": list(a.columns), "doc": a.doc} for a in ADAPTERS.values()})


@import_app.command("custody-secret")
def custody_secret(
    path: Path = typer.Argument(..., help="Where to create the secret (never overwritten)."),
) -> None:
    """Create the custody secret from which every imported party's custodial key is derived."""
    Custody.create(path)
    say(f"custody secret written to {path} (mode 0600): keep it with the registrar's keys")


@import_app.command("run")
def run(
    ctx: typer.Context,
    registry: str = typer.Argument(..., help=f"One of: {', '.join(ADAPTERS)}."),
    csv_path: Path = typer.Argument(..., help="The CSV file (see `govledger import formats`)."),
    signer: list[str] = typer.Option(
        ..., "--signer", help="Operator key name (repeat: registrar, surveyor)."
    ),
    custody_path: Path = typer.Option(..., "--custody-secret", help="The custody secret file."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Default: <csv>.checkpoint.jsonl"),
    report: Path | None = typer.Option(
        None, "--report", help="Report base name: .csv and .json (default <csv>.report)"
    ),
    batch_size: int = typer.Option(500, "--batch-size", help="Rows per signed batch."),
    limit: int = typer.Option(0, "--limit", help="Stop after this many rows (0: all); resume later."),
    fail_on_reject: bool = typer.Option(False, "--fail-on-reject", help="Exit 2 if any row was rejected."),
    url: str = URL_OPTION,
) -> None:
    """Import a CSV: validate, sign in batches, submit, wait, report; resumable and idempotent."""
    adapter = ADAPTERS.get(registry)
    if adapter is None:
        raise GovledgerError("import.unknown_registry", f"registry must be one of {', '.join(ADAPTERS)}")
    if not csv_path.is_file():
        raise GovledgerError("import.no_file", f"no CSV file at {csv_path}")
    st = state_of(ctx)
    keys = [st.load_key(name) for name in signer]
    custody = Custody.load(custody_path)
    options = ImportOptions(batch_size=batch_size, limit=limit)
    total = count_rows(csv_path)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with st.client(url) as client, Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(f"{registry} ← {csv_path.name}", total=total)
        summary = run_import(
            client,
            adapter,
            csv_path,
            signers=keys,
            custody=custody,
            checkpoint=checkpoint or csv_path.with_suffix(".checkpoint.jsonl"),
            report=report or csv_path.with_suffix(".report"),
            options=options,
            on_rows=lambda n: progress.advance(task, n),
        )
    print_json(summary.to_json())
    run_counts = summary.this_run
    say(
        f"imported {run_counts['imported']}, duplicates {run_counts['duplicate']}, "
        f"rejected {run_counts['rejected']}, skipped {run_counts['skipped']}"
        + ("" if summary.complete else " (stopped early: run again to resume)")
    )
    if fail_on_reject and run_counts["rejected"]:
        raise GovledgerError(
            "import.rows_rejected", f"{run_counts['rejected']} row(s) rejected: see the report"
        )


@import_app.command("follow")
def follow(
    webhook: str = typer.Option(..., "--webhook", help="URL to POST each event to (JSON)."),
    cursor: Path = typer.Option(
        ..., "--cursor", help="Cursor file (last delivered event), created if absent."
    ),
    app_name: str = typer.Option("", "--app", help="Only this app's events."),
    subject: str = typer.Option("", "--subject", help="Only this subject's events (a company or parcel id)."),
    from_height: int | None = typer.Option(None, "--from-height", help="For a new cursor: replay from here."),
    max_events: int = typer.Option(0, "--max-events", help="Stop after this many deliveries (0: never)."),
    url: str = URL_OPTION,
) -> None:
    """Follow committed events (SSE) and POST each to a webhook, with retries and a persisted cursor."""
    options = FollowOptions(max_events=max_events, from_height=from_height)
    follower = Follower(url, webhook, cursor, app=app_name, subject=subject, options=options)
    try:
        delivered = follower.run()
    finally:
        follower.close()
    say(f"delivered {delivered} event(s); cursor at {follower.cursor}")
