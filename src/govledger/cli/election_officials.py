"""`govledger election ...` for those who run an election: the official and the guardians.

Mounted on the `election` group by `cli/election.py`. Every command reads what it needs through the
SDK (each answer proof-verified against a header signed by the validators), checks locally that the
election is in a phase that allows the step (the app's own rule and code, `voting.wrong_phase` and
friends), submits through the SDK, waits for the commit and prints the receipts as JSON on stdout.
A refusal, bad input, a missing or foreign state file or a wrong passphrase ends with one line
`error: <code>: <message>` and exit 2.

- official: `create --manifest FILE` (the election file: manifest, guardians, quorum, window, authority
  organisation), `reschedule` (a new window, before voting can have started), `register` (voting
  credentials for one ballot style), `revoke-credential`, `restart-ceremony` (a new key-ceremony
  round, optionally with replacement guardians), `restart-decryption`.
- guardian (`election guardian ...`, each with its governance key `--key` and its state file
  `--state`): `init` (secrets, written sealed; nothing posted), `commit` (commitments and Schnorr
  proofs), `shares` (encrypted shares to the others), `check` (verify the shares received, post
  complaints, answer complaints about our own shares), `confirm` (compute the key share P(i) and
  confirm), `decrypt` (after the poll closes: round 1 partial decryption, and round 3 once k shares
  are in; run it again until it says it is done).
- anyone: `status ELECTION`, `tally ELECTION` (the published result; the ledger publishes it itself
  when the last guardian of the quorum answers).

The state file holds the guardian's secrets sealed with scrypt + AES-256-GCM under the state
passphrase (`--state-passphrase`, env GOVLEDGER_STATE_PASSPHRASE, default the key passphrase). It is
rewritten before each submission that depends on a new secret, so a crash never loses a nonce the
guardian still needs. Nothing secret is ever printed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import typer

from govledger.apps.voting import officials, rules
from govledger.apps.voting.model import (
    MAX_TIME_MS,
    REVOKE_REASONS,
    TALLIED,
    ComplaintEntry,
    Counts,
    DecryptionView,
    Election,
    GuardianSlot,
    GuardiansView,
    RegisterCredentials,
    Reschedule,
    RestartCeremony,
    RestartDecryption,
    RevokeCredential,
)
from govledger.cli.common import URL_OPTION, load_json_arg, print_json, say, state_of
from govledger.codec import Record, from_jsonable
from govledger.crypto.signatures import SigningKey
from govledger.errors import CodecError, GovledgerError
from govledger.sdk import Client
from govledger.voting.records import DecryptedTally, EncryptedShare, EncryptedTally, GuardianPublicKey

T = TypeVar("T")

guardian_app = typer.Typer(
    name="guardian",
    help="A guardian's steps: key ceremony (init, commit, shares, check, confirm) and decryption.",
    no_args_is_help=True,
)

KEY_OPTION = typer.Option(..., "--key", help="Your governance key (name of a key file in <home>/keys).")
ELECTION_OPTION = typer.Option(..., "--election", help="Election id.")
STATE_OPTION = typer.Option(
    None, "--state", help="Guardian state file (default <home>/guardians/<election>.<key>.state.json)."
)
STATE_PASSPHRASE_OPTION = typer.Option(
    None,
    "--state-passphrase",
    envvar="GOVLEDGER_STATE_PASSPHRASE",
    help="Passphrase of the state file (default: the key passphrase).",
    show_default=False,
)
TIMEOUT_OPTION = typer.Option(30.0, "--timeout", help="Seconds to wait for each commit.")


def _client(ctx: typer.Context, url: str) -> Client:
    """A verifying client (trust pinned to <home>/genesis.json when present); tests replace it."""
    return state_of(ctx).client(url)


# --- reading ---------------------------------------------------------------------------------------


def _query(client: Client, app: str, name: str, params: dict[str, Any], type_: type[T]) -> T | None:
    raw = client.query_answer(app, name, params).result
    if raw is None:
        return None
    try:
        return from_jsonable(raw, type_)
    except CodecError as exc:
        raise GovledgerError("election.bad_answer", f"{app}.{name}: {exc.message}") from None


def _election(client: Client, election_id: str) -> Election:
    found = _query(client, "voting", "election", {"election_id": election_id}, Election)
    if found is None:
        raise GovledgerError("election.not_found", f"election {election_id!r} is not on the ledger")
    return found


def _guardians(client: Client, election_id: str) -> GuardiansView:
    found = _query(client, "voting", "guardians", {"election_id": election_id}, GuardiansView)
    if found is None:
        raise GovledgerError("election.not_found", f"election {election_id!r} is not on the ledger")
    if not found.complete:
        raise GovledgerError("election.bad_answer", "the node listed only part of the complaints")
    return found


def _member_of(client: Client, key: SigningKey) -> str:
    params = {"key_id": msgspec.to_builtins(key.public_key.key_id())}
    member = client.query_answer("governance", "member_by_key", params).result
    if not isinstance(member, dict) or not isinstance(member.get("member_id"), str):
        raise GovledgerError(
            "election.unknown_key",
            f"key {key.public_key.hex_id()[:16]}... is no governance member's active key",
        )
    return str(member["member_id"])


def _posted_keys(view: GuardiansView) -> dict[int, GuardianPublicKey]:
    return {g.index: g.key for g in view.guardians if g.key is not None}


# --- submitting ------------------------------------------------------------------------------------


def _submit(client: Client, key: SigningKey, op: str, body: Record, timeout: float) -> dict[str, Any]:
    """Sign, submit, wait for the commit; the receipt as printed, or the ledger's refusal as the error."""
    tx = client.tx_builder().tx("voting", op, body, [key], current_height=client.height())
    status = client.submit_and_wait(tx, timeout, check=False)
    receipt = status.receipt
    if receipt is not None and receipt.code != "ok":
        raise GovledgerError(
            receipt.code, f"{op} committed at height {status.height} but refused: {receipt.message}"
        )
    events = [] if receipt is None else [e.kind for e in receipt.events]
    say(f"{op}: committed at height {status.height}")
    return {"op": op, "tx_id": status.tx_id, "height": status.height, "code": "ok", "events": events}


# --- the guardian's state file ---------------------------------------------------------------------


def _state_path(ctx: typer.Context, given: Path | None, election_id: str, key_name: str) -> Path:
    if given is not None:
        return given
    return state_of(ctx).home / "guardians" / f"{election_id}.{key_name}.state.json"


def _state_passphrase(ctx: typer.Context, given: str | None) -> str:
    return given if given is not None else state_of(ctx).passphrase


def _load_state(path: Path, passphrase: str, election_id: str, key: SigningKey) -> officials.GuardianState:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GovledgerError(
            "election.no_state_file", f"no guardian state file {path}: run `election guardian init` first"
        ) from None
    except OSError as exc:
        raise GovledgerError("cli.unreadable", f"cannot read {path}: {exc.strerror}") from None
    # whose file it is first, from the public header: a foreign file is refused before any scrypt
    officials.check_owner(officials.state_header(data), election_id, key.public_key.hex_id())
    return officials.unseal_state(data, passphrase)


def _save_state(ctx: typer.Context, path: Path, state: officials.GuardianState, passphrase: str) -> None:
    """Write atomically, readable by the owner only (the old file stays whole if anything fails)."""
    data = officials.seal_state(state, passphrase, scrypt_n=state_of(ctx).scrypt_n)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise GovledgerError("cli.unwritable", f"cannot write {path}: {exc.strerror}") from None


class _Guardian:
    """What every guardian command starts from: key, client, election, and (except init) the state."""

    def __init__(
        self,
        ctx: typer.Context,
        client: Client,
        election_id: str,
        key_name: str,
        state: Path | None,
        passphrase: str | None,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.key = state_of(ctx).load_key(key_name)
        self.path = _state_path(ctx, state, election_id, key_name)
        self.passphrase = _state_passphrase(ctx, passphrase)
        self.election_id = election_id

    def load(self) -> officials.GuardianState:
        return _load_state(self.path, self.passphrase, self.election_id, self.key)

    def save(self, state: officials.GuardianState) -> None:
        _save_state(self.ctx, self.path, state, self.passphrase)

    def submit(self, op: str, body: Record, timeout: float) -> dict[str, Any]:
        return _submit(self.client, self.key, op, body, timeout)

    def at_step(self, op: str) -> tuple[officials.GuardianState, Election, GuardiansView]:
        """The state file, the election (whose phase must allow `op`) and the ceremony, same round."""
        st = self.load()
        e = _election(self.client, self.election_id)
        rules.phase(e, op)
        view = _guardians(self.client, self.election_id)
        _same_round(st, view)
        return st, e, view


# --- official -------------------------------------------------------------------------------------


def create(
    ctx: typer.Context,
    manifest: str = typer.Option(..., "--manifest", help="The election file (JSON), or @file / inline JSON."),
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Create an election (official): manifest, guardians, quorum, voting window, authority org."""
    text = manifest if manifest.startswith(("@", "{")) else f"@{manifest}"
    body = officials.create_body(load_json_arg(text, "--manifest"))
    signer = state_of(ctx).load_key(key)
    with _client(ctx, url) as client:
        receipt = _submit(client, signer, "create_election", body, timeout)
        election = _election(client, body.election_id)
    print_json({"election_id": body.election_id, "phase": election.phase, "receipts": [receipt]})
    say(f"election {body.election_id!r} created: {len(body.guardians)} guardians, quorum {body.quorum}")


def register(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    style: str = typer.Option(..., "--style", help="Ballot style label of these credentials."),
    credential: list[str] = typer.Option([], "--credential", help="A credential key file name (repeatable)."),
    public_key: list[str] = typer.Option(
        [], "--public-key", help="A credential public key, hex (repeatable)."
    ),
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Register one-time voting credentials (official): public keys only, never who holds them."""
    st = state_of(ctx)
    keys = [st.load_key(name).public_key.key for name in credential]
    keys += [_credential_hex(text) for text in public_key]
    if not keys:
        raise GovledgerError("election.bad_credential", "name at least one --credential or --public-key")
    signer = st.load_key(key)
    with _client(ctx, url) as client:
        rules.phase(_election(client, election_id), "register_credentials")
        receipt = _submit(
            client,
            signer,
            "register_credentials",
            RegisterCredentials(election_id, style, tuple(keys)),
            timeout,
        )
    print_json({"election_id": election_id, "registered": len(keys), "receipts": [receipt]})


def _credential_hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise GovledgerError("election.bad_credential", f"{text!r} is not hexadecimal") from None


def restart_decryption(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Start a new decryption attempt (official), when a guardian of the quorum never answered."""
    signer = state_of(ctx).load_key(key)
    with _client(ctx, url) as client:
        rules.phase(_election(client, election_id), "restart_decryption")
        receipt = _submit(client, signer, "restart_decryption", RestartDecryption(election_id), timeout)
    print_json({"election_id": election_id, "receipts": [receipt]})


_TIME_HELP = "an ISO 8601 time with a zone (2026-12-06T07:00:00Z), or milliseconds since 1970"


def reschedule(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    opens: str = typer.Option(..., "--opens", help=f"New opening: {_TIME_HELP}."),
    closes: str = typer.Option(..., "--closes", help=f"New closing: {_TIME_HELP}."),
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Move the voting window (official), only before any ballot can have been cast."""
    body = Reschedule(election_id, _time_arg(opens, "--opens"), _time_arg(closes, "--closes"))
    signer = state_of(ctx).load_key(key)
    with _client(ctx, url) as client:
        rules.phase(_election(client, election_id), "reschedule")
        receipt = _submit(client, signer, "reschedule", body, timeout)
    print_json(
        {
            "election_id": election_id,
            "opens": _iso(body.opens_ms),
            "closes": _iso(body.closes_ms),
            "receipts": [receipt],
        }
    )


def _time_arg(text: str, option: str) -> int:
    try:
        ms = officials.parse_time_ms(int(text) if _is_number(text) else text, option)
    except GovledgerError as exc:  # its code names the election file; here the time is an option
        raise GovledgerError("election.bad_time", exc.message) from None
    if not 0 <= ms <= MAX_TIME_MS:
        raise GovledgerError("election.bad_time", f"{option} is out of range")
    return ms


def _is_number(text: str) -> bool:
    """ASCII digits only, and few enough to encode: `str.isdigit` also takes other scripts' digits."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def revoke_credential(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    credential: str | None = typer.Option(None, "--credential", help="The credential's key file name."),
    public_key: str | None = typer.Option(None, "--public-key", help="The credential's public key, hex."),
    reason: str = typer.Option(..., "--reason", help=f"One of: {', '.join(REVOKE_REASONS)}."),
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Revoke a voting credential (official); a ballot it cast is withdrawn from the tally."""
    st = state_of(ctx)
    if (credential is None) == (public_key is None):
        raise GovledgerError("election.bad_credential", "name exactly one of --credential or --public-key")
    cred = (
        _credential_hex(public_key) if public_key is not None else st.load_key(str(credential)).public_key.key
    )
    if reason not in REVOKE_REASONS:
        raise GovledgerError("voting.bad_vocabulary", f"--reason must be one of: {', '.join(REVOKE_REASONS)}")
    signer = st.load_key(key)
    with _client(ctx, url) as client:
        rules.phase(_election(client, election_id), "revoke_credential")
        receipt = _submit(
            client, signer, "revoke_credential", RevokeCredential(election_id, cred, reason), timeout
        )
    print_json(
        {"election_id": election_id, "credential": cred.hex(), "reason": reason, "receipts": [receipt]}
    )


def restart_ceremony(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    replace: list[str] = typer.Option(
        [], "--replace", help="INDEX=MEMBER: guardian INDEX is now governance member MEMBER (repeatable)."
    ),
    key: str = KEY_OPTION,
    url: str = URL_OPTION,
    timeout: float = TIMEOUT_OPTION,
) -> None:
    """Start a new key-ceremony round (official), optionally replacing guardians who dropped out."""
    slots = tuple(_slot(text) for text in replace)
    signer = state_of(ctx).load_key(key)
    with _client(ctx, url) as client:
        rules.phase(_election(client, election_id), "restart_ceremony")
        receipt = _submit(client, signer, "restart_ceremony", RestartCeremony(election_id, slots), timeout)
        round_ = _guardians(client, election_id).round
    print_json({"election_id": election_id, "round": round_, "receipts": [receipt]})
    say(f"key ceremony of {election_id!r} restarted: round {round_}; every guardian runs `commit` again")


def _slot(text: str) -> GuardianSlot:
    index, sep, member = text.partition("=")
    if not sep or not _is_number(index.strip()) or not member.strip():
        raise GovledgerError(
            "election.bad_replace", f"--replace {text!r} is not INDEX=MEMBER (e.g. 2=guardian-4)"
        )
    return GuardianSlot(int(index), member.strip())


# --- anyone -----------------------------------------------------------------------------------------


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat().replace("+00:00", "Z")


def status(
    ctx: typer.Context,
    election_id: str = typer.Argument(..., metavar="ELECTION", help="Election id."),
    url: str = URL_OPTION,
) -> None:
    """An election's phase, which guardians have done what, and the counts (proof-verified)."""
    with _client(ctx, url) as client:
        e = _election(client, election_id)
        view = _guardians(client, election_id)
        counts = _query(client, "voting", "counts", {"election_id": election_id}, Counts) or Counts()
        decryption = _query(client, "voting", "decryption", {"election_id": election_id}, DecryptionView)
    out: dict[str, Any] = {
        "election_id": e.election_id,
        "phase": e.phase,
        "opens": _iso(e.opens_ms),
        "closes": _iso(e.closes_ms),
        "quorum": e.quorum,
        "key_ready": bool(e.joint_key),
        "ceremony_round": view.round,
        "guardians": [
            {
                "index": g.index,
                "member_id": g.member_id,
                "key_posted": g.key is not None,
                "shares_posted": g.shares_posted,
                "confirmed": g.confirmed,
            }
            for g in view.guardians
        ],
        "complaints": [_complaint(c) for c in view.complaints],
        "counts": msgspec.to_builtins(counts),
    }
    if decryption is not None:
        out["decryption"] = {
            "attempt": decryption.attempt,
            "chunks": [
                {
                    "chunk": c.chunk,
                    "shares_from": list(c.sharers),
                    "quorum_set": None if c.challenge is None else list(c.challenge.challenge.guardians),
                    "responses_from": list(c.responders),
                    "done": c.done,
                }
                for c in decryption.chunks
            ],
        }
    if e.failure:
        out["failure"] = e.failure
    print_json(out)
    done = sum(1 for g in view.guardians if g.confirmed)
    say(
        f"{election_id}: phase {e.phase}, {done}/{len(view.guardians)} guardians confirmed, "
        f"{counts.cast} counted ballot(s), {counts.credentials} credential(s)"
    )


def _complaint(c: ComplaintEntry) -> dict[str, Any]:
    return {
        "sender": c.complaint.sender,
        "receiver": c.complaint.receiver,
        "status": c.status,
        "reason": c.complaint.reason,
        "verdict": c.verdict,
    }


def tally(
    ctx: typer.Context,
    election_id: str = typer.Argument(..., metavar="ELECTION", help="Election id."),
    url: str = URL_OPTION,
) -> None:
    """The published result, option by option (proof-verified).

    The ledger publishes it itself when the last guardian of the quorum has answered; before that
    this exits 2 (`election.not_tallied`).
    """
    with _client(ctx, url) as client:
        e = _election(client, election_id)
        if e.phase != TALLIED:
            raise GovledgerError(
                "election.not_tallied", f"election {election_id!r} is in phase {e.phase!r}: no result yet"
            )
        answer = client.query_answer("voting", "result", {"election_id": election_id})
    if answer.result is None:
        raise GovledgerError("election.not_tallied", f"election {election_id!r} has no result on the ledger")
    result = from_jsonable(answer.result, DecryptedTally)
    print_json(
        {
            "election_id": election_id,
            "height": answer.height,
            "result": {c.label: {o.label: o.value for o in c.options} for c in result.contests},
        }
    )
    signers = 0 if answer.proof.commit is None else len(answer.proof.commit.signatures)
    say(f"result proof verified against header {answer.proof.header.height} signed by {signers} validator(s)")


# --- guardian: the key ceremony ------------------------------------------------------------------------


@guardian_app.command("init")
def guardian_init(
    ctx: typer.Context,
    election_id: str = ELECTION_OPTION,
    key: str = KEY_OPTION,
    state: Path | None = STATE_OPTION,
    state_passphrase: str | None = STATE_PASSPHRASE_OPTION,
    url: str = URL_OPTION,
) -> None:
    """Generate this guardian's polynomial secrets and write them, sealed, to the state file."""
    with _client(ctx, url) as client:
        g = _Guardian(ctx, client, election_id, key, state, state_passphrase)
        if g.path.exists():
            raise GovledgerError("election.state_exists", f"{g.path} exists: a guardian initialises once")
        e = _election(client, election_id)
        rules.phase(e, "post_guardian_key")
        member = _member_of(client, g.key)
        view = _guardians(client, election_id)
        st = officials.new_state(e, member, g.key.public_key.hex_id(), view.round)
        g.save(st)
    print_json(
        {"election_id": election_id, "guardian": st.guardian, "member_id": member, "state": str(g.path)}
    )
    say(f"guardian {st.guardian} ({member}): {e.quorum} secret coefficients sealed in {g.path}")


_GuardianStep = Callable[[_Guardian, float], None]


def _guardian_step(name: str) -> Callable[[_GuardianStep], _GuardianStep]:
    """Register `step(guardian, timeout)` as `election guardian NAME`, run with the client open.

    Every step after `init` takes the same options; they are declared here once, so the steps cannot
    drift apart. The step's docstring is the command's help.
    """

    def register(step: _GuardianStep) -> _GuardianStep:
        def command(
            ctx: typer.Context,
            election_id: str = ELECTION_OPTION,
            key: str = KEY_OPTION,
            state: Path | None = STATE_OPTION,
            state_passphrase: str | None = STATE_PASSPHRASE_OPTION,
            url: str = URL_OPTION,
            timeout: float = TIMEOUT_OPTION,
        ) -> None:
            with _client(ctx, url) as client:
                step(_Guardian(ctx, client, election_id, key, state, state_passphrase), timeout)

        command.__doc__ = step.__doc__
        guardian_app.command(name)(command)
        return step

    return register


@_guardian_step("commit")
def guardian_commit(g: _Guardian, timeout: float) -> None:
    """Post this guardian's commitments K_i,j with their Schnorr proofs."""
    st = g.load()
    rules.phase(_election(g.client, g.election_id), "post_guardian_key")
    view = _guardians(g.client, g.election_id)
    if officials.enter_round(st, view.round):
        say(f"the ceremony was restarted: round {view.round}")
        g.save(st)
    if st.guardian in _posted_keys(view):
        raise GovledgerError(
            "voting.already_posted", f"guardian {st.guardian} already posted its key this round"
        )
    receipt = g.submit("post_guardian_key", officials.key_body(st), timeout)
    print_json({"election_id": g.election_id, "guardian": st.guardian, "receipts": [receipt]})


@_guardian_step("shares")
def guardian_shares(g: _Guardian, timeout: float) -> None:
    """Post P_i(l) encrypted to every other guardian l (all keys must be posted)."""
    st, e, view = g.at_step("post_shares")
    keys = _posted_keys(view)
    missing = [i for i in range(1, len(e.guardians) + 1) if i not in keys]
    if missing:
        raise GovledgerError("voting.keys_incomplete", f"guardian(s) {missing} have not posted their keys")
    if any(x.index == st.guardian and x.shares_posted for x in view.guardians):
        raise GovledgerError("voting.already_posted", f"guardian {st.guardian} already posted its shares")
    body = officials.shares_body(st, keys)
    g.save(st)  # the nonces first: they answer a complaint later
    receipt = g.submit("post_shares", body, timeout)
    print_json(
        {
            "election_id": g.election_id,
            "guardian": st.guardian,
            "shares": len(body.shares),
            "receipts": [receipt],
        }
    )


def _same_round(st: officials.GuardianState, view: GuardiansView) -> None:
    if st.round != view.round:
        raise GovledgerError(
            "election.stale_state",
            f"the ceremony is in round {view.round}, the state file in round {st.round}: "
            "run `election guardian commit` again",
        )


@_guardian_step("check")
def guardian_check(g: _Guardian, timeout: float) -> None:
    """Verify the shares sent to this guardian; complain about bad ones, answer complaints.

    Each share that does not decrypt or match its sender's commitments becomes a complaint; open
    complaints about this guardian's own shares are answered with a reveal (the ledger adjudicates).
    """
    st, e, view = g.at_step("complain_share")
    raw = g.client.query_answer(
        "voting", "shares_for", {"election_id": g.election_id, "receiver": st.guardian}
    )
    try:
        shares = from_jsonable(raw.result or [], list[EncryptedShare])
    except CodecError as exc:
        raise GovledgerError("election.bad_answer", f"voting.shares_for: {exc.message}") from None
    complaints = officials.receive_shares(st, shares, _posted_keys(view), view.complaints)
    answers = officials.answer_bodies(st, view.complaints)
    g.save(st)
    receipts = [g.submit("complain_share", c, timeout) for c in complaints]
    receipts += [g.submit("answer_complaint", a, timeout) for a in answers]
    others = [i for i in range(1, len(e.guardians) + 1) if i != st.guardian]
    waiting = [i for i in others if i not in st.received]
    print_json(
        {
            "election_id": g.election_id,
            "guardian": st.guardian,
            "verified_from": sorted(st.received),
            "complained_about": [c.complaint.sender for c in complaints],
            "answered": [a.reveal.receiver for a in answers],
            "waiting_for": waiting,
            "receipts": receipts,
        }
    )
    if waiting:
        say(f"no verified share yet from guardian(s) {waiting}: run `election guardian check` again later")
    else:
        say("every share verified: run `election guardian confirm`")


@_guardian_step("confirm")
def guardian_confirm(g: _Guardian, timeout: float) -> None:
    """Compute this guardian's key share P(i) from the verified shares, keep it, and confirm."""
    st, e, view = g.at_step("confirm_shares")
    if any(x.index == st.guardian and x.confirmed for x in view.guardians):
        raise GovledgerError("voting.already_confirmed", f"guardian {st.guardian} already confirmed")
    body = officials.confirm_body(st, len(e.guardians))
    g.save(st)  # P(i) first: it is what decrypts on counting day
    receipt = g.submit("confirm_shares", body, timeout)
    after = _election(g.client, g.election_id)
    print_json(
        {
            "election_id": g.election_id,
            "guardian": st.guardian,
            "key_ready": bool(after.joint_key),
            "receipts": [receipt],
        }
    )
    if after.joint_key:
        say(f"the joint election key is on the ledger: phase {after.phase}")


# --- guardian: counting day --------------------------------------------------------------------------


@_guardian_step("decrypt")
def guardian_decrypt(g: _Guardian, timeout: float) -> None:
    """Counting day: post this guardian's partial decryption, then its response to the challenge.

    Round 1 for every chunk still short of k shares; round 3 for every chunk whose set U holds this
    guardian, once k have posted. Run it again until it reports nothing left to do. Missing
    guardians need nothing: any k of n decrypt (ElectionGuard 2.0).
    """
    client, election_id = g.client, g.election_id
    st = g.load()
    rules.phase(_election(client, election_id), "post_decryption_share")
    tally = _query(client, "voting", "encrypted_tally", {"election_id": election_id}, EncryptedTally)
    d = _decryption(client, election_id)
    if tally is None:
        raise GovledgerError("election.bad_answer", "the poll closed but the node has no encrypted tally")
    if officials.forget_other_attempts(st, d.attempt):
        g.save(st)
    receipts = []
    for chunk in d.chunks:
        if st.guardian in chunk.sharers or chunk.challenge is not None:
            continue
        body = officials.decryption_share_body(st, tally, d.attempt, chunk.chunk)
        g.save(st)  # the round-1 nonces first: round 3 needs them
        receipts.append(g.submit("post_decryption_share", body, timeout))
    d = _decryption(client, election_id)
    waiting: list[int] = []
    for chunk in d.chunks:
        if chunk.challenge is None:
            waiting.append(chunk.chunk)
            continue
        if st.guardian not in chunk.challenge.challenge.guardians or st.guardian in chunk.responders:
            continue
        body_r = officials.decryption_response_body(st, d.attempt, chunk.chunk, chunk.challenge.challenge)
        g.save(st)  # the nonces are spent: never answer twice with them
        receipts.append(g.submit("post_decryption_response", body_r, timeout))
    after = _election(client, election_id)
    print_json(
        {
            "election_id": election_id,
            "guardian": st.guardian,
            "attempt": d.attempt,
            "waiting_for_quorum": waiting,
            "phase": after.phase,
            "receipts": receipts,
        }
    )
    if after.phase == TALLIED:
        say("the result is published: `election tally` shows it")
    elif waiting:
        say(f"chunk(s) {waiting} wait for {after.quorum} shares: run `election guardian decrypt` again then")
    else:
        say("this guardian has done its part; the result is published when the quorum has answered")


def _decryption(client: Client, election_id: str) -> DecryptionView:
    d = _query(client, "voting", "decryption", {"election_id": election_id}, DecryptionView)
    if d is None:
        raise GovledgerError("election.bad_answer", "the poll closed but the node has no decryption record")
    return d


def mount(app: typer.Typer) -> None:
    """Add the officials' and guardians' commands to the `election` group."""
    app.command("create")(create)
    app.command("register")(register)
    app.command("reschedule")(reschedule)
    app.command("revoke-credential")(revoke_credential)
    app.command("restart-ceremony")(restart_ceremony)
    app.command("restart-decryption")(restart_decryption)
    app.command("status")(status)
    app.command("tally")(tally)
    app.add_typer(guardian_app, name="guardian")
