"""`govledger keys`: create, list, show and rotate encrypted key files in <home>/keys.

Rotation is a governance transaction signed by the old key and the new one (proof of possession):
the new key is written to `NAME-<n>.key.json` *before* submitting (so a commit is never left without
its key); once committed, the old file is kept as `NAME.key.json.retired`; if the node refuses the
rotation, the new file is removed again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.table import Table

from govledger.api.models import TxStatus
from govledger.apps.governance.model import RotateKey
from govledger.cli.common import (
    KEY_SUFFIX,
    RETIRED_SUFFIX,
    SCHEME_NAMES,
    SCHEMES,
    URL_OPTION,
    CliState,
    check_key_name,
    out_console,
    parse_scheme,
    print_json,
    say,
    state_of,
)
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError
from govledger.sdk import Client, RemoteError

app = typer.Typer(help="Manage key files (encrypted at rest with the passphrase).", no_args_is_help=True)


@dataclass(frozen=True)
class KeyFileInfo:
    name: str
    scheme: str
    key_id: str
    public_key: str
    path: Path
    retired: bool


def _scheme_name(scheme: int) -> str:
    try:
        return SCHEME_NAMES[Scheme(scheme)]
    except (ValueError, KeyError):
        return str(scheme)


def read_key_info(path: Path) -> KeyFileInfo:
    """A key file's public header, without the passphrase."""
    try:
        doc = json.loads(path.read_text())
        scheme = int(doc["scheme"])
        name = path.name.removesuffix(RETIRED_SUFFIX).removesuffix(KEY_SUFFIX)
        return KeyFileInfo(
            name=name,
            scheme=_scheme_name(scheme),
            key_id=str(doc["key_id"]),
            public_key=str(doc["public_key"]),
            path=path,
            retired=path.name.endswith(RETIRED_SUFFIX),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GovledgerError("keyfile.malformed", f"{path} is not a readable key file: {exc}") from None


def key_files(st: CliState, include_retired: bool = True) -> list[KeyFileInfo]:
    keys_dir = st.paths.keys
    if not keys_dir.is_dir():
        raise GovledgerError(
            "keys.no_directory", f"no key directory at {keys_dir}: run `govledger init` first"
        )
    paths = sorted(keys_dir.glob(f"*{KEY_SUFFIX}"))
    if include_retired:
        paths += sorted(keys_dir.glob(f"*{KEY_SUFFIX}{RETIRED_SUFFIX}"))
    return [read_key_info(p) for p in paths]


@app.command("new")
def new(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Key name (file <home>/keys/NAME.key.json)."),
    scheme: str = typer.Option("ed25519", "--scheme", help=f"One of {', '.join(SCHEMES)}."),
) -> None:
    """Generate a new key and store it encrypted."""
    st = state_of(ctx)
    check_key_name(name)
    key = SigningKey.generate(parse_scheme(scheme))
    path = st.save_key(name, key)
    say(f"created {path}")
    print_json(
        {
            "name": name,
            "scheme": scheme.lower(),
            "key_id": key.public_key.hex_id(),
            "public_key": key.public_key,
        }
    )


@app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List key files: name, scheme, key id (retired keys are marked)."""
    table = Table("name", "scheme", "key id", "status")
    for info in key_files(state_of(ctx)):
        table.add_row(info.name, info.scheme, info.key_id, "retired" if info.retired else "active")
    out_console.print(table)


@app.command("show")
def show(ctx: typer.Context, name: str = typer.Argument(..., help="Key name.")) -> None:
    """Show a key's public part (no passphrase needed)."""
    st = state_of(ctx)
    path = st.key_path(name)
    if not path.exists():
        retired = path.with_name(path.name + RETIRED_SUFFIX)
        if not retired.exists():
            raise GovledgerError("keys.not_found", f"no key named {name!r} in {st.paths.keys}")
        path = retired
    info = read_key_info(path)
    print_json(
        {
            "name": info.name,
            "scheme": info.scheme,
            "key_id": info.key_id,
            "public_key": info.public_key,
            "file": str(info.path),
            "retired": info.retired,
        }
    )


def _taken(st: CliState, name: str) -> bool:
    path = st.key_path(name)
    return path.exists() or path.with_name(path.name + RETIRED_SUFFIX).exists()


def next_key_name(st: CliState, name: str) -> str:
    """`NAME-<n>` with the smallest n >= 1 not used by an active or retired key file."""
    n = 1
    while _taken(st, f"{name}-{n}"):
        n += 1
    return f"{name}-{n}"


def rotate(
    client: Client, st: CliState, member_id: str, key_name: str, timeout: float = 30.0
) -> tuple[str, TxStatus]:
    """Rotate `member_id`'s key held in file `key_name`; returns the new key's name and the commit status."""
    old = st.load_key(key_name)
    new_name = next_key_name(st, key_name)
    new_key = SigningKey.generate(old.scheme)
    new_path = st.save_key(new_name, new_key)
    body = RotateKey(member_id=member_id, old_key_id=old.public_key.key_id(), new_key=new_key.public_key)
    try:
        tx = client.tx_builder().tx(
            "governance", "rotate_key", body, [old, new_key], current_height=client.height()
        )
        status = client.submit_and_wait(tx, timeout)
    except RemoteError as exc:
        if exc.code != "tx.wait_timeout":  # refused: the new key never became active
            new_path.unlink(missing_ok=True)
        raise
    old_path = st.key_path(key_name)
    old_path.rename(old_path.with_name(old_path.name + RETIRED_SUFFIX))
    return new_name, status


@app.command("rotate")
def rotate_cmd(
    ctx: typer.Context,
    member_id: str = typer.Argument(..., help="The governance member whose key is replaced."),
    key: str = typer.Option(..., "--key", help="Name of the member's current key file."),
    url: str = URL_OPTION,
) -> None:
    """Replace a member's key: new key NAME-<n>, governance.rotate_key signed by old+new, old file retired."""
    st = state_of(ctx)
    with st.client(url) as client:
        new_name, status = rotate(client, st, member_id, key)
    say(f"rotated {member_id}: {key} is retired, {new_name} is active (height {status.height})")
    print_json({"member_id": member_id, "old_key": key, "new_key": new_name, "tx": status})
