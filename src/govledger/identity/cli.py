"""`govledger identity ...`: offline tools for credentials (a Typer group the main CLI mounts).

    identity new-key [--alg ES256|EdDSA] [--out key.jwk]   a key, its did:key and did:jwk
    identity resolve DID                                     did:key / did:jwk document (offline)
    identity verify FILE [--nonce N --aud A | --no-kb] [--now S]
                                                             verify an SD-JWT VC whose issuer is a did:key/jwk
    identity qr URI [--out offer.svg|offer.png]              a credential offer as a QR code
    identity status TOKEN_OR_FILE --index I                  one entry of a status list token (unverified)

Failures exit with code 2 and `error: <code>: <message>` (the main CLI's GuardedGroup does the
mapping for GovledgerError, which CheckFailed is).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from govledger.identity import oid4vci, sdjwt_vc
from govledger.identity.did import DidResolver, did_jwk, did_key
from govledger.identity.errors import CheckFailed
from govledger.identity.jose import JwsSigner, decode_jws
from govledger.identity.status_list import decode_token_list

app = typer.Typer(
    name="identity", help="Credentials: keys and DIDs, SD-JWT VC verification, offers, status lists."
)


def _fail(exc: CheckFailed) -> None:
    typer.echo(f"error: {exc.code}: {exc.message}", err=True)
    raise typer.Exit(2)


@app.command("new-key")
def new_key(
    alg: str = typer.Option("ES256", help="ES256 or EdDSA"), out: Path | None = typer.Option(None)
) -> None:
    """Generate a key; print its did:key and did:jwk; write the private JWK to --out."""
    try:
        signer = JwsSigner.generate(alg)
    except CheckFailed as exc:
        _fail(exc)
    if out is not None:
        out.write_text(json.dumps(signer.private_jwk()))
        out.chmod(0o600)
    typer.echo(
        json.dumps({"did_key": did_key(signer.public_key), "did_jwk": did_jwk(signer.public_jwk())}, indent=1)
    )


@app.command()
def resolve(did: str) -> None:
    """Resolve a did:key or did:jwk offline and print the document."""
    res = DidResolver().resolve(did)
    if not res.ok or res.document is None:
        _fail(CheckFailed(res.code, res.message))
        return
    typer.echo(json.dumps(dict(res.document.document), indent=1))


@app.command()
def verify(
    file: Path,
    nonce: str = typer.Option(""),
    aud: str = typer.Option(""),
    no_kb: bool = typer.Option(False, "--no-kb", help="Accept a presentation without key binding."),
    now: int = typer.Option(0, help="Verification time (seconds); default: now."),
) -> None:
    """Verify an SD-JWT VC (issuer did:key / did:jwk) and print the disclosed claims."""
    text = file.read_text().strip()
    out = sdjwt_vc.Verifier(DidResolver()).verify(
        text, now_s=now or int(time.time()), nonce=nonce, aud=aud, require_kb=not no_kb
    )
    if not out.ok:
        _fail(CheckFailed(out.code, out.message))
    typer.echo(json.dumps({"issuer": out.issuer, "claims": dict(out.claims)}, indent=1, ensure_ascii=False))


@app.command()
def qr(
    uri: str, out: Path | None = typer.Option(None, help="Write .svg or .png instead of the terminal.")
) -> None:
    """Render a credential offer URI as a QR code."""
    import segno

    if out is None:
        segno.make(uri, error="m").terminal(compact=True)
    elif out.suffix == ".png":
        out.write_bytes(oid4vci.offer_qr_png(uri))
    else:
        out.write_text(oid4vci.offer_qr_svg(uri))


@app.command()
def status(token: str, index: int = typer.Option(..., "--index")) -> None:
    """Print one entry of a statuslist+jwt (its signature is NOT checked here)."""
    path = Path(token)
    text = path.read_text().strip() if path.exists() else token
    try:
        payload = decode_jws(text, what="status list token", max_bytes=4 * 1024 * 1024).payload_json()
        values = decode_token_list(payload.get("status_list"))
        typer.echo(json.dumps({"sub": payload.get("sub"), "index": index, "status": values.get(index)}))
    except CheckFailed as exc:
        _fail(exc)
