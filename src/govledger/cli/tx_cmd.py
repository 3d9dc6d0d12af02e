"""`govledger tx submit`: build, sign and submit one transaction from JSON, then wait for its receipt.

The body is a JSON object converted strictly to the operation's body type (unknown or missing fields
are errors). Byte fields (digests, key ids, public keys) are **base64** strings, exactly as the API
and `govledger query` print them; `--body @file.json` reads the body from a file.
"""

from __future__ import annotations

import typer

from govledger.apps import registry
from govledger.cli.common import URL_OPTION, load_json_arg, print_json, say, state_of
from govledger.codec import from_jsonable
from govledger.errors import GovledgerError

app = typer.Typer(help="Build and submit transactions.", no_args_is_help=True)


@app.command("submit")
def submit(
    ctx: typer.Context,
    app_name: str = typer.Option(..., "--app", help="App name (see GET /v1/apps)."),
    op: str = typer.Option(..., "--op", help="Operation name."),
    body: str = typer.Option("{}", "--body", help="Body as JSON (bytes as base64), or @file.json."),
    key: list[str] = typer.Option(..., "--key", help="Signing key name; repeat for several signers."),
    url: str = URL_OPTION,
    expiry_in: int = typer.Option(1000, "--expiry-in", help="Blocks until the transaction expires."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for the commit."),
) -> None:
    """Sign with every --key (in order), submit, wait for the commit and print the receipt."""
    st = state_of(ctx)
    target = registry.apps().get(app_name)
    if target is None:
        raise GovledgerError("tx.unknown_app", f"no app named {app_name!r}")
    operation = target.operations.get(op)
    if operation is None:
        raise GovledgerError("tx.unknown_op", f"app {app_name!r} has no operation {op!r}")
    typed = from_jsonable(load_json_arg(body, "--body"), operation.body)
    keys = [st.load_key(name) for name in key]
    with st.client(url) as client:
        tx = client.tx_builder().tx(
            app_name, op, typed, keys, current_height=client.height(), expiry_in=expiry_in
        )
        status = client.submit_and_wait(tx, timeout, check=False)
    print_json(status)
    receipt = status.receipt
    if receipt is not None and receipt.code != "ok":
        raise GovledgerError(
            receipt.code, f"committed at height {status.height} but failed: {receipt.message}"
        )
    say(f"committed at height {status.height} (tx {status.tx_id})")
