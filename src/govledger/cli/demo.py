"""`govledger demo`: seed the registers with synthetic data through the API; safe to run twice.

With the dev member keys of --home, in order (each step checks the ledger with proved reads first and
skips what is there, so a second run changes nothing):

1. attestations and a governance change (demo_attest.py);
2. the certificate issuers of the land registry, companies house and the civil registry (demo_docs.py);
3. the land register: parties' personal data in the vault, parties and parcels through the importer,
   then a history of sales with priority notices, mortgages, a caveat, a lease, a subdivision
   (demo_land.py); a certificate of the mortgaged parcel is issued before its mortgage is released,
   so the node revokes it by itself;
4. the company register through the importer, then an appointment, a share class, a transfer, a
   licence and a resolution with its votes (demo_company.py);
5. births through the privacy flow (vault, commitments, hospital notification, registration), a few
   marriages and deaths (demo_vital.py);
6. certificates of the first records of each kind, issued by the node (demo_docs.py).

Everything is synthetic (demo_data.py) and labelled so in the vault. `run_demo(client, st)` is what
`node start --seed-demo` calls once the API is up; it shows a Rich progress bar on stderr.
"""

from __future__ import annotations

import hashlib
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govledger.apps.attest.app import RecordBody
from govledger.certificates.submit import item
from govledger.cli import demo_company, demo_docs, demo_land, demo_vital
from govledger.cli.common import URL_OPTION, CliState, err_console, say, state_of
from govledger.cli.demo_attest import demo_digest, seed_attest
from govledger.cli.demo_common import Demo, DemoSummary
from govledger.cli.demo_data import FULL, SMALL, DemoScale
from govledger.sdk import Client

__all__ = ["DemoSummary", "command", "demo_digest", "run_demo"]

SCALES = {"full": FULL, "small": SMALL}


def _steps(demo: Demo) -> None:
    client, st = demo.client, demo.st
    task = demo.task("attestations and governance", 1)
    seed_attest(client, st, demo.summary, demo.key("registrar-1"), demo.key("notary-1"), demo.key("admin-1"))
    demo.finish(task)

    task = demo.task("certificate issuers", 1)
    demo_docs.set_up(demo)
    demo.finish(task)

    plan = demo_land.Plan(demo.scale)
    if not demo_land.seeded(demo, plan):
        demo_land.seed_parties(demo)
        demo_land.seed_parcels(demo, plan)
        task = demo.task("land history", 3)
        demo.send(demo_land.round_a(demo, plan), what="land transactions")
        demo.advance(task)
        if demo_land.mortgage_active(demo, plan):
            demo_docs.issue(demo, "land", [plan.mortgaged.parcel_id])
        demo.advance(task)
        demo.send(demo_land.round_b(demo, plan), what="land transactions")
        demo.finish(task)

    companies = demo_company.seed_companies(demo)
    demo.send(demo_company.acts(demo, companies), what="company transactions")

    births = demo_vital.seed_births(demo)
    demo_vital.seed_marriages_and_deaths(demo, births)

    votes = demo_company.votes(demo, companies)
    if votes:
        _past(demo, demo_company.record_height(demo))
        demo.send(votes, what="company votes")

    per_kind = demo.scale.certificates
    records = demo_vital.record_ids(births, demo)
    wanted = {
        "land": [p.parcel_id for p in plan.specs[:per_kind]],
        "company": [c.company_id for c in companies[:per_kind]],
        "birth": records["birth"][:per_kind],
        "marriage": records["marriage"][:per_kind],
        "death": records["death"][:per_kind],
    }
    task = demo.task("certificates", sum(len(v) for v in wanted.values()))
    for kind, ids in wanted.items():
        demo.advance(task, demo_docs.issue(demo, kind, ids))
    demo.finish(task)


def _past(demo: Demo, height: int) -> None:
    """Make sure the chain is past `height` (solo blocks are cut only when there is work)."""
    registrar = demo.key("registrar-1")
    while demo.client.height() <= height:
        digest = hashlib.sha256(f"govledger-demo/tick/{time.time_ns()}".encode()).digest()
        demo.send([item("attest", "record", RecordBody(digest, "deed", "DEMO/tick"), registrar)])


def run_demo(client: Client, st: CliState, scale: DemoScale = FULL, *, progress: bool = True) -> DemoSummary:
    summary = DemoSummary()
    started = time.monotonic()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    if progress:
        with Progress(*columns, console=err_console, transient=False) as bar:
            _steps(Demo(client, st, scale, summary, bar))
    else:
        _steps(Demo(client, st, scale, summary))
    summary.add("seconds", round(time.monotonic() - started))
    return summary


def command(
    ctx: typer.Context,
    url: str = URL_OPTION,
    scale: str = typer.Option("full", "--scale", help="full (make run) or small (a quick look)."),
) -> None:
    """Seed synthetic demo data through the API (dev member keys from --home); twice is harmless."""
    st = state_of(ctx)
    chosen = SCALES.get(scale)
    if chosen is None:
        raise typer.BadParameter(f"--scale must be one of {', '.join(SCALES)}")
    with st.client(url) as client:
        summary = run_demo(client, st, chosen)
    say(f"demo data seeded: {summary.line()}")
