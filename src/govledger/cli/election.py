"""`govledger election`: cast a ballot, verify a record, export one from the ledger, look up a ballot.

- `verify RECORD` is the independent verifier: it reads a record file (what `export` writes, JSON or
  MessagePack, or a bare ElectionGuard `ElectionRecord`) and runs `voting.verify.verify_election`
  plus the ledger's own checks, using the devices' proof commitments an export carries (faster, same
  verdicts). Exit 0 when everything holds; exit 1 with every failing check as
  `[step] message` on stderr (step ids are those of ElectionGuard 2.0 §6.2, "L.*" the ledger's);
  exit 2 with one line `error: election.bad_record: ...` when the file is not a record at all.
  It needs no node and no network.
- `export --election ID --out FILE` reads a tallied election through the API with the SDK, which
  verifies every answer's state proof against a header signed by the validators, and writes the
  record (JSON if FILE ends in .json, canonical MessagePack otherwise).
- `cast --election ID --credential KEY --choices JSON` is the voter's device: it encrypts the
  selections under the election's joint key (read with a proof), prints the confirmation code, and
  casts the ballot signed by the one-time credential KEY, with the device's proof commitments when
  they fit a transaction body (validators then check it ~3.5 times faster; `--no-commitments` sends
  the bare ballot). `--challenge` spoils the ballot instead (the Benaloh challenge: published with
  its reveal, never counted). Exit 2 with the ledger's code when the ballot is refused.
- `lookup CODE` is the voter's check: is the ballot with this confirmation code (64 hex digits) on
  the ledger, since which height, and does it count? The answer is proof-verified; for a challenged
  ballot the reveal is re-encrypted locally (the Benaloh check on a second device) and the revealed
  selections are printed. Exit 1 when no ballot has that code.

The official's and the guardians' commands (`create`, `register`, `guardian ...`, `status`, `tally`)
live in `cli/election_officials.py` and are mounted here.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import msgspec
import typer

from govledger.apps.voting import device as voter_device
from govledger.apps.voting import record as election_record
from govledger.apps.voting.model import (
    CHALLENGED,
    BallotEntry,
    BallotStatus,
    CastBallot,
    ChallengeBallot,
    Election,
)
from govledger.cli import election_officials
from govledger.cli.common import URL_OPTION, err_console, load_json_arg, print_json, say, state_of
from govledger.codec import from_jsonable
from govledger.errors import GovledgerError
from govledger.sdk import Client
from govledger.voting.ballot import ElectionContext, check_reveal, plaintext_ballot
from govledger.voting.group import from_bytes

app = typer.Typer(
    name="election",
    help="Elections: run one (official, guardians), cast, look up a ballot, export and verify the record.",
    no_args_is_help=True,
)

MAX_FAILURES_SHOWN = 50


def _client(ctx: typer.Context, url: str) -> Client:
    """A verifying client (trust pinned to <home>/genesis.json when present); tests replace it."""
    return state_of(ctx).client(url)


@app.command("verify")
def verify(
    path: Path = typer.Argument(..., metavar="RECORD", help="Record file from `election export`."),
) -> None:
    """Verify an election record with the independent ElectionGuard 2.0 verifier (no network)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GovledgerError("cli.unreadable", f"cannot read {path}: {exc.strerror}") from None
    loaded = election_record.load(data)
    with err_console.status("verifying (about 0.15 s per ballot, 0.04 s with the devices' commitments)"):
        report = election_record.verify_export(loaded)
    if report.ok:
        typer.echo(report.summary())
        return
    passed = sum(report.passed.values())
    typer.echo(f"error: election.invalid: {report.failure_count} check(s) failed, {passed} passed", err=True)
    for failure in report.failures[:MAX_FAILURES_SHOWN]:
        typer.echo(f"  {failure}", err=True)
    if report.failure_count > MAX_FAILURES_SHOWN:
        typer.echo(f"  ... and {report.failure_count - MAX_FAILURES_SHOWN} more", err=True)
    raise typer.Exit(1)


@app.command("export")
def export(
    ctx: typer.Context,
    election_id: str = typer.Option(..., "--election", help="Election id."),
    out: Path = typer.Option(..., "--out", help="Output file (.json for JSON, else MessagePack)."),
    url: str = URL_OPTION,
) -> None:
    """Export a tallied election's record from the ledger, every read proof-verified."""
    with _client(ctx, url) as client:
        chain_id = client.trust.chain_id
        exported = election_record.export_election(
            election_record.client_fetch(client), chain_id, election_id
        )
    data = election_record.dump(exported, as_json=out.suffix.lower() == ".json")
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise GovledgerError("cli.unwritable", f"cannot write {out}: {exc.strerror}") from None
    r = exported.record
    cast = sum(1 for b in r.ballots if b.state == "cast")
    say(
        f"wrote {out} ({len(data):,} bytes): {cast} counted and {len(r.ballots) - cast} challenged ballots, "
        f"{len(exported.uncounted)} uncounted, read at height {exported.height}"
    )


def _parse_code(text: str) -> bytes:
    try:
        code = bytes.fromhex(text.strip())
    except ValueError:
        code = b""
    if len(code) != 32:
        raise GovledgerError("election.bad_code", "a confirmation code is 64 hexadecimal digits")
    return code


def _query(client: Client, name: str, params: dict[str, Any]) -> tuple[Any, Any]:
    answer = client.query_answer("voting", name, params)
    return answer.result, answer.proof


def _reveal_report(client: Client, status: BallotStatus) -> dict[str, Any]:
    """The Benaloh check on this machine: re-encrypt the revealed selections and compare."""
    raw_entry, _ = _query(
        client, "ballot", {"election_id": status.election_id, "ballot_id": status.ballot_id}
    )
    raw_election, _ = _query(client, "election", {"election_id": status.election_id})
    entry = from_jsonable(raw_entry, BallotEntry)
    election = from_jsonable(raw_election, Election)
    if entry.reveal is None:
        return {"reveal_check": ["the challenged ballot has no reveal"]}
    ctx = ElectionContext.create(
        election.manifest, from_bytes(election.joint_key), election.extended_base_hash
    )
    problems = check_reveal(ctx, entry.ballot, entry.reveal)
    revealed = {}
    for pc in entry.reveal.plaintext.contests:
        contest = next(c for c in election.manifest.contests if c.label == pc.label)
        revealed[pc.label] = [o for o, v in zip(contest.options, pc.votes, strict=True) for _ in range(v)]
    return {"revealed": revealed, "reveal_check": problems or "ok"}


@app.command("cast")
def cast(
    ctx: typer.Context,
    election_id: str = typer.Option(..., "--election", help="Election id."),
    credential: str = typer.Option(..., "--credential", help="Name of the one-time credential key."),
    choices: str = typer.Option(
        ..., "--choices", help='Selections as JSON, e.g. {"mayor": {"alice": 1}}, or @file.json.'
    ),
    style: str = typer.Option(..., "--style", help="Ballot style label of the credential."),
    ballot_id: str = typer.Option("", "--ballot-id", help="Ballot id (default: random)."),
    device: str = typer.Option("cli", "--device", help="Device label, B_aux,0 (nothing personal)."),
    commitments: bool = typer.Option(True, "--commitments/--no-commitments", help="Send the hint."),
    challenge: bool = typer.Option(
        False, "--challenge", help="Challenge instead of cast: reveal the ballot to check it; never counted."
    ),
    url: str = URL_OPTION,
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for the commit."),
) -> None:
    """Encrypt a ballot on this machine and cast it (or, with --challenge, spoil it) with a credential.

    A challenged ballot (ElectionGuard's Benaloh challenge) is published with its reveal, so anyone
    can check that the device encrypted what the voter chose; it is never counted, and the credential
    can still cast. `election lookup CODE` re-encrypts the reveal and prints the selections."""
    key = state_of(ctx).load_key(credential)
    marks = load_json_arg(choices, "--choices")
    if not isinstance(marks, dict) or not all(isinstance(v, dict) for v in marks.values()):
        raise GovledgerError("election.bad_choices", '--choices is {"contest": {"option": 1, ...}, ...}')
    with _client(ctx, url) as client:
        raw, _ = _query(client, "election", {"election_id": election_id})
        if raw is None:
            raise GovledgerError("election.not_found", f"election {election_id!r} is not on the ledger")
        election = from_jsonable(raw, Election)
        if not election.joint_key:
            raise GovledgerError("election.key_not_ready", f"election {election_id!r} has no joint key yet")
        context = ElectionContext.create(
            election.manifest, from_bytes(election.joint_key), election.extended_base_hash
        )
        plain = plaintext_ballot(election.manifest, ballot_id or f"b-{secrets.token_hex(8)}", style, marks)
        held = voter_device.encrypt(context, plain, device=device)
        body: CastBallot | ChallengeBallot
        if challenge:
            op, body = "challenge_ballot", voter_device.challenge_body(election_id, key.public_key.key, held)
        else:
            op = "cast_ballot"
            body = voter_device.cast_body(election_id, key.public_key.key, held, with_commitments=commitments)
        say(f"confirmation code {held.encrypted.confirmation_code.hex()}")
        tx = client.tx_builder().tx("voting", op, body, [key], current_height=client.height())
        status = client.submit_and_wait(tx, timeout, check=False)
    receipt = status.receipt
    if receipt is not None and receipt.code != "ok":
        raise GovledgerError(
            receipt.code, f"committed at height {status.height} but refused: {receipt.message}"
        )
    sent_commitments = isinstance(body, CastBallot) and body.commitments is not None
    print_json(
        {
            "ballot_id": plain.ballot_id,
            "confirmation_code": held.encrypted.confirmation_code.hex(),
            "height": status.height,
            "tx_id": status.tx_id,
            "commitments": sent_commitments,
            "challenged": challenge,
        }
    )
    if challenge:
        say(f"challenged at height {status.height}: revealed, never counted; check it with `election lookup`")
    else:
        hint = "with" if sent_commitments else "without"
        say(f"cast at height {status.height}, {hint} the proof commitments")


@app.command("lookup")
def lookup(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The confirmation code the device showed (64 hex digits)."),
    url: str = URL_OPTION,
) -> None:
    """Look up a ballot by its confirmation code: included? since which height? counted?"""
    raw_code = _parse_code(code)
    with _client(ctx, url) as client:
        result, proof = _query(client, "ballot_by_code", {"code": msgspec.to_builtins(raw_code)})
        if result is None:
            print_json({"included": False, "confirmation_code": raw_code.hex(), "height": proof.height})
            say(f"no ballot with this code at height {proof.height} (absence proved)")
            raise typer.Exit(1)
        status = from_jsonable(result, BallotStatus)
        out: dict[str, Any] = {
            "included": True,
            **msgspec.to_builtins(status),
            "confirmation_code": status.confirmation_code.hex(),
            "tx_id": status.tx_id.hex(),
        }
        if status.status == CHALLENGED:
            out.update(_reveal_report(client, status))
    print_json(out)
    signers = 0 if proof.commit is None else len(proof.commit.signatures)
    say(f"proof verified against header {proof.header.height} signed by {signers} validator(s)")


election_officials.mount(app)
