"""The `govledger` command: global options, error handling, and the command groups.

Every failure ends the same way: one line `error: <code>: <message>` on stderr and exit code 2
(`verify-chain` exits 1 when the chain itself is bad). No command prints a traceback for bad input,
an unreachable node or a usage mistake; `GuardedGroup` enforces that for all subcommands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import httpx
import typer
from typer.core import TyperGroup

from govledger.cli import demo, election, keys, network, node_cmd, plugins, read_cmd, tx_cmd, verify_chain
from govledger.cli.common import SCHEMES, CliState, parse_scheme, say, state_of
from govledger.crypto.keyfile import DEFAULT_SCRYPT_N
from govledger.errors import GovledgerError
from govledger.node.devnet import DEV_PASSPHRASE, VALIDATOR_KEY, init_devnet

USAGE_EXIT = 2
# Typer >= 0.20 vendors click (its exceptions derive from TyperException); older ones use click's own.
_USAGE_ERRORS: tuple[type[Exception], ...] = (typer.TyperException, click.ClickException)
_ABORTS: tuple[type[BaseException], ...] = (typer.Abort, click.Abort)


def _fail(code: str, message: str, exit_code: int = USAGE_EXIT) -> int:
    one_line = " ".join(message.split())
    click.echo(f"error: {code}: {one_line}", err=True)
    return exit_code


class GuardedGroup(TyperGroup):
    """Runs the command tree non-standalone and maps every expected failure to one line and exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code: int
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = rv if isinstance(rv, int) else 0
        except _USAGE_ERRORS as exc:
            help_ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError" and help_ctx is not None:
                click.echo(help_ctx.get_help(), nl=False)  # a bare group: show its help
                code = 0
            else:
                message = getattr(exc, "format_message", exc.__str__)()
                code = _fail("usage", str(message), int(getattr(exc, "exit_code", USAGE_EXIT)))
        except _ABORTS:
            code = _fail("aborted", "interrupted", 130)
        except GovledgerError as exc:
            code = _fail(exc.code, exc.message)
        except httpx.HTTPError as exc:
            code = _fail("node.unreachable", f"HTTP failure: {exc}")
        except OSError as exc:
            code = _fail("os.error", f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        except Exception as exc:  # a bug, not bad input: still one line, traceback on request
            if os.environ.get("GOVLEDGER_DEBUG"):
                raise
            hint = "(set GOVLEDGER_DEBUG=1 for a traceback)"
            code = _fail("internal", f"{type(exc).__name__}: {exc} {hint}", 1)
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=GuardedGroup,
    name="govledger",
    help="govledger: a permissioned ledger for public registries where every read carries a proof.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    home: Path = typer.Option(
        Path(".devnet"),
        "--home",
        envvar="GOVLEDGER_HOME",
        help="Network home: keys, genesis.json, chain data.",
    ),
    passphrase: str = typer.Option(
        DEV_PASSPHRASE,
        "--passphrase",
        envvar="GOVLEDGER_PASSPHRASE",
        help="Passphrase of the key files (default: the public dev passphrase, for dev networks only).",
        show_default=False,
    ),
    scrypt_n: int = typer.Option(DEFAULT_SCRYPT_N, "--scrypt-n", envvar="GOVLEDGER_SCRYPT_N", hidden=True),
) -> None:
    ctx.obj = CliState(home=home, passphrase=passphrase, scrypt_n=scrypt_n)


@app.command()
def init(
    ctx: typer.Context,
    chain_id: str = typer.Option("govledger-dev", "--chain-id", help="Chain id of the new network."),
    scheme: str = typer.Option("ed25519", "--scheme", help=f"Key scheme: {', '.join(SCHEMES)}."),
) -> None:
    """Create a single-validator dev network in --home: keys, genesis.json, block 0."""
    st = state_of(ctx)
    doc = init_devnet(
        st.home,
        chain_id=chain_id,
        passphrase=st.passphrase,
        scheme=parse_scheme(scheme),
        scrypt_n=st.scrypt_n,
    )
    say(f"initialised chain [bold]{doc.chain_id}[/] in {st.home}")
    names = sorted(p.name.removesuffix(".key.json") for p in st.paths.keys.glob("*.key.json"))
    say(f"keys: {', '.join(names)} (validator key: {VALIDATOR_KEY})")
    if st.passphrase == DEV_PASSPHRASE:
        say(f"key files are encrypted with the dev passphrase {DEV_PASSPHRASE!r}: dev networks only")


@app.command()
def bench(
    duration_s: float = typer.Option(10.0, "--duration", min=1.0, max=600.0, help="Seconds of load."),
    rate: int = typer.Option(0, "--rate", min=0, help="Offered tx/s (open loop); 0 saturates (closed loop)."),
) -> None:
    """Quick single-validator benchmark on a temporary chain (the full suite with baselines: `make bench`)."""
    from govledger.node.loadgen import run_node

    r = run_node(duration_s, rate or 12_000, open_loop_rate=rate)
    say(
        f"{r.committed:,} signed transactions committed durably in {r.duration_s:.1f} s: "
        f"{r.tx_per_s:,.0f} tx/s, submit-to-commit p50 {r.latency_ms_p50:,.0f} ms, "
        f"p99 {r.latency_ms_p99:,.0f} ms, CPU {r.cpu_us_per_tx:,.0f} us/tx, {r.rejected} rejected"
    )


app.add_typer(keys.app, name="keys")
app.add_typer(node_cmd.app, name="node")
app.add_typer(network.app, name="network")
app.add_typer(tx_cmd.app, name="tx")
app.command("query")(read_cmd.query)
app.command("state")(read_cmd.state)
app.command("verify-chain")(verify_chain.command)
app.command("demo")(demo.command)
plugins.mount(app)
app.add_typer(election.app, name="election")

if __name__ == "__main__":
    app()
