"""What every command shares: global options (home, passphrase), key files, output and the API client.

Conventions: data goes to stdout (JSON where it is structured), messages and progress to stderr.
Errors are raised as `GovledgerError`; `main.GuardedGroup` turns them into one line
`error: <code>: <message>` on stderr and exit code 2.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import typer
from rich.console import Console

from govledger.crypto.keyfile import DEFAULT_SCRYPT_N
from govledger.crypto.signatures import Scheme, SigningKey
from govledger.errors import GovledgerError
from govledger.node.devnet import DEV_PASSPHRASE, DevnetPaths, load_key, save_key
from govledger.sdk import Client, trust_from_genesis

DEFAULT_URL = "http://127.0.0.1:8000"
KEY_SUFFIX = ".key.json"
RETIRED_SUFFIX = ".retired"
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

SCHEMES: dict[str, Scheme] = {
    "ed25519": Scheme.ED25519,
    "ml-dsa-65": Scheme.ML_DSA_65,
    "hybrid": Scheme.HYBRID_ED25519_ML_DSA_65,
}
SCHEME_NAMES = {v: k for k, v in SCHEMES.items()}

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)

URL_OPTION = typer.Option(DEFAULT_URL, "--url", envvar="GOVLEDGER_URL", help="The node's API base URL.")


@dataclass
class CliState:
    home: Path
    passphrase: str = DEV_PASSPHRASE
    scrypt_n: int = DEFAULT_SCRYPT_N

    @property
    def paths(self) -> DevnetPaths:
        return DevnetPaths(self.home)

    def key_path(self, name: str) -> Path:
        check_key_name(name)
        return self.paths.key_file(name)

    def load_key(self, name: str) -> SigningKey:
        path = self.key_path(name)
        if not path.exists():
            raise GovledgerError("keys.not_found", f"no key named {name!r} in {self.paths.keys}")
        return load_key(path, self.passphrase)

    def save_key(self, name: str, key: SigningKey) -> Path:
        path = self.key_path(name)
        if path.exists():
            raise GovledgerError("keys.exists", f"a key named {name!r} already exists in {self.paths.keys}")
        save_key(path, key, self.passphrase, self.scrypt_n)
        return path

    def client(self, url: str) -> Client:
        """A verifying client; trust is pinned to this home's genesis.json when there is one (else TOFU)."""
        genesis = self.paths.genesis
        if genesis.exists():
            trust = trust_from_genesis(genesis.read_bytes())
            return Client(url, trusted_validators=trust.validators, genesis_hash=trust.genesis_hash)
        return Client(url)


def state_of(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, CliState):
        obj = CliState(home=Path(".devnet"))
        root.obj = obj
    return obj


def check_key_name(name: str) -> None:
    if not _KEY_NAME.match(name):
        raise GovledgerError("keys.bad_name", f"key name {name!r} must be 1-64 of [A-Za-z0-9._-]")


def parse_scheme(name: str) -> Scheme:
    scheme = SCHEMES.get(name.lower())
    if scheme is None:
        raise GovledgerError("keys.bad_scheme", f"scheme must be one of {', '.join(SCHEMES)}, not {name!r}")
    return scheme


def print_json(value: Any) -> None:
    """Structured output on stdout: msgspec renders Records (bytes as base64), indented."""
    text = msgspec.json.format(msgspec.json.encode(value), indent=2).decode()
    if out_console.is_terminal:
        out_console.print_json(text)
    else:
        print(text)


def load_json_arg(text: str, what: str) -> Any:
    """A JSON command-line argument; `@path` reads it from a file."""
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise GovledgerError(
                "cli.unreadable", f"cannot read {what} file {text[1:]}: {exc.strerror}"
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GovledgerError(
            "cli.bad_json", f"{what} is not valid JSON: {exc.msg} at column {exc.colno}"
        ) from None


def say(message: str) -> None:
    err_console.print(message)
