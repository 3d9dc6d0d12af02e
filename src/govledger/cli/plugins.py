"""Command groups that sit on the main CLI beside the core ones: `mount(app)` adds them.

    govledger verify FILE                               a certificate against the ledger (cli/verify_doc.py)
    govledger import ...                                legacy registers from CSV (importer/cli.py)
    govledger identity ...                              keys, DIDs, SD-JWT VCs offline (identity/cli.py)
    govledger certificate setup                         put the registry issuers on the ledger
    govledger certificate issue --kind land --id P-001 [--format oa|sd-jwt|json] [--out F] [--qr F.png]
    govledger land|company|vital ...                    proof-verified register reads (cli/registries.py)

`certificate issue` asks the node (`GET /v1/certificates/{kind}/{id}`): the node issues (or hands
back, when the record has not changed) the certificate, so that it also revokes it when the record
changes. `certificate setup` needs the `admin-1` and `trust-1` keys of --home (the demo runs it too).
"""

from __future__ import annotations

from pathlib import Path

import typer

from govledger.certificates.issuers import REGISTRIES, load_issuer
from govledger.certificates.kinds import KINDS
from govledger.certificates.remote import api_request
from govledger.certificates.setup import set_up_issuers
from govledger.cli import verify_doc
from govledger.cli.common import URL_OPTION, say, state_of
from govledger.errors import GovledgerError

certificate_app = typer.Typer(
    help="Certificates from the registers: set up issuers, issue.", no_args_is_help=True
)

FORMATS = {"oa": ("oa", ".oa.json"), "sd-jwt": ("sd-jwt", ".sd-jwt"), "json": ("json", ".json")}


@certificate_app.command("setup")
def setup(
    ctx: typer.Context,
    url: str = URL_OPTION,
    public_url: str = typer.Option(
        "", "--public-url", help="Where verifiers reach the node (default: --url)."
    ),
    admin: str = typer.Option("admin-1", "--admin", help="Key of a governance admin."),
    trust: str = typer.Option("trust-1", "--trust", help="Key of a trust-registry member."),
) -> None:
    """Put the land, company and civil-registry certificate issuers on the ledger (idempotent)."""
    st = state_of(ctx)
    with st.client(url) as client:
        chain_id = client.trust.chain_id
        issuers = [load_issuer(st.home, chain_id, r, st.passphrase, st.scrypt_n) for r in REGISTRIES]
        done = set_up_issuers(
            client,
            issuers,
            admin=st.load_key(admin),
            trust=st.load_key(trust),
            public_url=public_url or client.base_url,
        )
    say(f"certificate issuers ready ({done} transaction(s) committed): " + ", ".join(i.did for i in issuers))


@certificate_app.command("issue")
def issue(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind", help=f"One of {', '.join(KINDS)}."),
    record_id: str = typer.Option(..., "--id", help="The parcel, company or vital record id."),
    fmt: str = typer.Option("oa", "--format", help="oa (OpenAttestation JSON), sd-jwt, or json (both)."),
    out: Path | None = typer.Option(None, "--out", help="Write the certificate here instead of stdout."),
    qr: Path | None = typer.Option(None, "--qr", help="Also write its verification QR code (.png or .svg)."),
    url: str = URL_OPTION,
) -> None:
    """Get the current certificate of a record from the node (issued now if the record changed)."""
    if fmt not in FORMATS:
        raise GovledgerError("cli.bad_format", f"--format must be one of {', '.join(FORMATS)}")
    if kind not in KINDS:
        raise GovledgerError("certificates.unknown_kind", f"--kind must be one of {', '.join(KINDS)}")
    st = state_of(ctx)
    path = f"/v1/certificates/{kind}/{record_id}"
    with st.client(url) as client:
        resp = api_request(client, "GET", path, params={"format": FORMATS[fmt][0]}, timeout=60)
        image = None
        if qr is not None:
            kind_qr = "qr.svg" if qr.suffix.lower() == ".svg" else "qr.png"
            image = api_request(client, "GET", path, params={"format": kind_qr}).content
    body = resp.content
    if out is None:
        print(body.decode())
    else:
        out.write_bytes(body)
        say(f"{kind} certificate of {record_id} written to {out}")
    if qr is not None and image is not None:
        qr.write_bytes(image)
        say(f"QR code (opens the verification route) written to {qr}")


def mount(app: typer.Typer) -> None:
    """Add `verify`, `import`, `identity`, `certificate`, `land`, `company` and `vital` to `govledger`."""
    from govledger.cli.registries import company_app, land_app, vital_app
    from govledger.identity.cli import app as identity_app
    from govledger.importer.cli import import_app

    app.command("verify")(verify_doc.command)
    app.add_typer(import_app, name="import")
    app.add_typer(identity_app, name="identity")
    app.add_typer(certificate_app, name="certificate")
    app.add_typer(land_app, name="land")
    app.add_typer(company_app, name="company")
    app.add_typer(vital_app, name="vital")
