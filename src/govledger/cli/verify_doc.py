"""`govledger verify FILE`: check a certificate against the ledger, every read proved.

FILE is a wrapped OpenAttestation document (JSON) or an SD-JWT VC (text). The checks are those of
`certificates.verifying` (integrity, issuance, revocation, identity); every ledger value they use
(document store, revocations, the issuer's DID, its accreditation, the status list) is read through
the SDK with a sparse-Merkle proof against a header signed by the validators the client trusts
(the home's genesis.json when there is one), so the node answering is not trusted.

Output: a table of checks on stdout (`--json` for the full verdict). Exit code 0 when the certificate
is valid, 1 when it is not (tampered, revoked, unknown issuer...), 2 when FILE is not a certificate at
all or cannot be read, and for any other error (node unreachable, a proof that does not verify).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from govledger.certificates.proved import SdkStateReader
from govledger.certificates.verifying import OA, SD_JWT, Verdict, detect, verify_oa, verify_sd_jwt
from govledger.cli.common import URL_OPTION, err_console, out_console, state_of
from govledger.errors import GovledgerError

VALID_EXIT, INVALID_EXIT, MALFORMED_EXIT = 0, 1, 2
MAX_FILE_BYTES = 4 * 1024 * 1024
_STYLE = {"VALID": "green", "INVALID": "red", "ERROR": "red", "SKIPPED": "dim"}


def _malformed(message: str) -> typer.Exit:
    err_console.print(f"error: verify.malformed: {message}", markup=False)
    return typer.Exit(MALFORMED_EXIT)


def _read(file: Path) -> str:
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise _malformed(f"{file} is larger than {MAX_FILE_BYTES} bytes")
        return file.read_bytes().decode("utf-8")
    except OSError as exc:
        raise _malformed(f"cannot read {file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _malformed(f"{file} is not UTF-8 text") from None


def _table(verdict: Verdict, height: int | None) -> Table:
    title = f"{verdict.format}: {'VALID' if verdict.valid else 'NOT VALID'}"
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("check", "status", "code", "detail"):
        table.add_column(column)
    for c in verdict.checks:
        table.add_row(c.check, f"[{_STYLE.get(c.status, '')}]{c.status}[/]", c.code, c.message)
    notes = []
    if verdict.issuer:
        notes.append(f"issuer {verdict.issuer}")
    if verdict.record_type:
        notes.append(f"record {verdict.record_type}")
    if height is not None:
        notes.append(f"ledger state proved at height {height}")
    table.caption = "; ".join(notes)
    table.caption_justify = "left"
    return table


def command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="An OpenAttestation document (.json) or an SD-JWT VC."),
    url: str = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the whole verdict as JSON."),
) -> None:
    """Verify a certificate against the ledger (proved reads): exit 0 valid, 1 invalid, 2 malformed."""
    text = _read(file)
    fmt = detect(text)
    if fmt not in (OA, SD_JWT):
        raise _malformed(f"{file} is neither an OpenAttestation document nor an SD-JWT VC")
    st = state_of(ctx)
    with st.client(url) as client:
        reader = SdkStateReader(client)
        chain_id = client.trust.chain_id
        if fmt == OA:
            verdict = verify_oa(text, reader, chain_id)
        else:
            verdict = verify_sd_jwt(text.strip(), reader, chain_id)
    if verdict.malformed:
        first = next((c for c in verdict.checks if c.code), None)
        raise _malformed(f"{first.code}: {first.message}" if first else "not a certificate")
    if any(c.code.endswith("source_error") for c in verdict.checks):
        bad = next(c for c in verdict.checks if c.code.endswith("source_error"))
        raise GovledgerError(bad.code, bad.message)
    if as_json:
        print(json.dumps({**verdict.json(), "height": reader.height}, indent=2, ensure_ascii=False))
    else:
        out_console.print(_table(verdict, reader.height))
    raise typer.Exit(VALID_EXIT if verdict.valid else INVALID_EXIT)
