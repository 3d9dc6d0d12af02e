"""`govledger query` and `govledger state`: proof-verified reads, printed as JSON on stdout.

Every answer is verified by the SDK against a header certified by the trusted validator set (pinned
from <home>/genesis.json when present); the verification line goes to stderr.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import typer

from govledger.cli.common import URL_OPTION, print_json, say, state_of
from govledger.errors import GovledgerError
from govledger.ledger.proofs import StateProof


def _param(text: str) -> tuple[str, Any]:
    name, eq, raw = text.partition("=")
    if not eq or not name:
        raise GovledgerError("cli.bad_param", f"--param takes k=v, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name, value


def _verified_line(proof: StateProof) -> str:
    signers = 0 if proof.commit is None else len(proof.commit.signatures)
    how = "the trusted genesis block" if proof.commit is None else f"{signers} validator(s)"
    return f"proof verified against header {proof.header.height} signed by {how}"


def query(
    ctx: typer.Context,
    app: str = typer.Argument(..., help="App name."),
    name: str = typer.Argument(..., help="Query name (see GET /v1/apps)."),
    param: list[str] = typer.Option(
        [], "--param", help="k=v; v is parsed as JSON when it is valid JSON, else taken as a string."
    ),
    url: str = URL_OPTION,
) -> None:
    """Run an app query; the result is verified key by key and re-derived from the proved state."""
    params = dict(_param(p) for p in param)
    with state_of(ctx).client(url) as client:
        answer = client.query_answer(app, name, params)
    print_json({"height": answer.height, "result": answer.result})
    say(_verified_line(answer.proof))


def _decoded(value: bytes) -> Any:
    try:
        return msgspec.msgpack.decode(value)
    except msgspec.DecodeError:
        return None


def state(
    ctx: typer.Context,
    app: str = typer.Argument(..., help="App name."),
    key_hex: str = typer.Argument(..., help="App-relative key, hex (or text with --text)."),
    height: int | None = typer.Option(None, "--height", min=0, help="Height to read at (default: latest)."),
    text: bool = typer.Option(False, "--text", help="KEY is UTF-8 text (e.g. member/admin-1), not hex."),
    url: str = URL_OPTION,
) -> None:
    """Read one state key with its proof (value, or proved absence)."""
    if text:
        key = key_hex.encode()
    else:
        try:
            key = bytes.fromhex(key_hex)
        except ValueError:
            raise GovledgerError(
                "cli.bad_key", f"key {key_hex!r} is not hex (use --text for a text key)"
            ) from None
    with state_of(ctx).client(url) as client:
        proof = client.get_state_proof(app, key, height)
    value = proof.entries[0].value
    print_json(
        {
            "app": app,
            "key": key.hex(),
            "height": proof.height,
            "present": value is not None,
            "value": None if value is None else _decoded(value),
            "raw": value,
        }
    )
    say(_verified_line(proof))
