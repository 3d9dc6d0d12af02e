"""End to end on the real chain: 5 guardians, quorum 3, ballots over 3 contests with revotes and
Benaloh challenges, 2 guardians absent at counting; the record exported through the API with the SDK
(every answer proof-verified) passes the independent verifier; the CLI verifies, exports and looks up;
a second chain replaying the same blocks reaches the same roots.

N ballots is 30 by default (GOVLEDGER_VOTING_BALLOTS changes it); the 1,000-ballot run is in
test_slow.py behind GOVLEDGER_SLOW_TESTS=1.
"""

from __future__ import annotations

import base64
import json
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns that httpx support is deprecated
    from fastapi.testclient import TestClient
from typer.testing import CliRunner

from govledger.api import create_app
from govledger.apps import registry
from govledger.apps.voting import record
from govledger.apps.voting.model import CAST, CHALLENGED, SUPERSEDED, ElectionExport
from govledger.cli import election as election_cli
from govledger.cli.common import CliState
from govledger.cli.main import GuardedGroup
from govledger.ledger.block import Header
from govledger.node.node import Node, NodeConfig
from govledger.sdk import Client
from tests.voting.support import RECORD_STEPS, assert_steps_passed

from . import world as w
from .harness import CHAIN_ID, VALIDATOR_KEY, VotingChain, apps, key

N_BALLOTS = int(os.environ.get("GOVLEDGER_VOTING_BALLOTS", "30"))

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),
    pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument"),
]


@dataclass
class Run:
    root: Path
    outcome: w.Outcome
    blocks: list[tuple[object, object]]
    headers: list[Header]
    seconds: float


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("voting-e2e")
    chain = VotingChain(root / "chain")
    started = time.perf_counter()
    try:
        outcome = w.run_election(chain, N_BALLOTS)
        headers = [b.header for b, _ in chain.blocks]
        blocks: list[tuple[object, object]] = list(chain.blocks)
    finally:
        chain.close()
    return Run(root, outcome, blocks, headers, time.perf_counter() - started)


@pytest.fixture(scope="module")
def sdk(run: Run) -> Iterator[Client]:
    """A node over the finished chain (not producing blocks), its API, and a verifying SDK client."""
    with pytest.MonkeyPatch.context() as mp:
        installed = apps()
        mp.setattr(registry, "apps", lambda: installed)  # until the lead mounts voting in registry.py
        node = Node(NodeConfig(data_dir=run.root, sync=False), key(VALIDATOR_KEY))
        try:
            with TestClient(create_app(node)) as api, Client("http://testserver", http=api) as client:
                yield client
        finally:
            node.stop()


def test_the_tally_counts_each_voters_last_ballot_and_no_challenged_one(run: Run, sdk: Client) -> None:
    result = sdk.query("voting", "result", election_id=w.E)
    got = {c["label"]: [o["value"] for o in c["options"]] for c in result["contests"]}
    assert got == run.outcome.expected
    counts = sdk.query("voting", "counts", election_id=w.E)
    assert counts["cast"] == len(run.outcome.counted) and counts["challenged"] == 2
    assert counts["superseded"] == len(run.outcome.superseded) > 0
    phase = sdk.query("voting", "phase", election_id=w.E)
    assert phase["phase"] == "tallied"
    d = sdk.query("voting", "decryption", election_id=w.E)
    assert d["chunks"][0]["challenge"]["challenge"]["guardians"] == [1, 3, 5]
    print(f"\n{N_BALLOTS} ballots on the chain, ceremony to result: {run.seconds:.1f} s")


def test_the_exported_record_passes_the_independent_verifier(run: Run, sdk: Client) -> None:
    exported = record.export_election(record.client_fetch(sdk), sdk.trust.chain_id, w.E)
    assert exported.chain_id == CHAIN_ID
    r = exported.record
    assert sum(b.state == "cast" for b in r.ballots) == len(run.outcome.counted)
    assert {u.status for u in exported.uncounted} == {SUPERSEDED}
    assert {d.device for d in r.devices} == {"booth-1", "booth-2"}
    # every cast carried its device's commitments; the export read them through the API, proved
    cast_ids = {b.ballot.ballot_id for b in r.ballots if b.state == "cast"}
    cast_ids |= {u.ballot.ballot_id for u in exported.uncounted}
    assert {c.ballot_id for c in exported.commitments} == cast_ids
    started = time.perf_counter()
    report = record.verify_export(exported)
    assert report.ok, report.summary()
    assert_steps_passed(report, (*RECORD_STEPS, "R"))
    assert report.passed["L.1"] == len(run.outcome.superseded)
    assert report.passed["H"] > 0  # the verifier took the commitments' batched path
    seconds = time.perf_counter() - started
    print(f"\nverified {len(r.ballots) + len(exported.uncounted)} ballots in {seconds:.1f} s")


def test_a_second_chain_replaying_the_blocks_reaches_the_same_roots(run: Run, tmp_path: Path) -> None:
    other = VotingChain(tmp_path / "replica")
    try:
        for (block, commit), header in zip(run.blocks, run.headers, strict=True):
            pending = other.replay_block(block, commit)
            assert pending.header == header, f"height {header.height} differs"
        assert other.chain.tip.state_root == run.headers[-1].state_root
    finally:
        other.close()


def test_voters_look_up_their_codes_with_proofs(run: Run, sdk: Client) -> None:
    counted, old, spoiled = run.outcome.counted[0], run.outcome.superseded[0], run.outcome.challenged[0]
    status = sdk.query("voting", "ballot_by_code", code=_b64(counted.encrypted.confirmation_code))
    assert status["status"] == CAST and status["counted"] is True
    status = sdk.query("voting", "ballot_by_code", code=_b64(old.encrypted.confirmation_code))
    assert status["status"] == SUPERSEDED and status["counted"] is False and status["replaced_by"]
    status = sdk.query("voting", "ballot_by_code", code=_b64(spoiled.encrypted.confirmation_code))
    assert status["status"] == CHALLENGED
    assert sdk.query("voting", "ballot_by_code", code=_b64(bytes(32))) is None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# --- the CLI ------------------------------------------------------------------------------------------------

runner = CliRunner()


def _cli_app() -> typer.Typer:
    """The command tree as main.py will mount it (the lead adds `app.add_typer(election.app, ...)`)."""
    root = typer.Typer(cls=GuardedGroup, add_completion=False, pretty_exceptions_enable=False)

    @root.callback()
    def _global(ctx: typer.Context) -> None:
        ctx.obj = CliState(home=Path("/nonexistent"))

    root.add_typer(election_cli.app, name="election")
    return root


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(_cli_app(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli_client(sdk: Client, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setattr(election_cli, "_client", lambda ctx, url: sdk)
    return sdk


def test_cli_export_verify_and_lookup(run: Run, cli_client: Client, tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    code, _, err = cli("election", "export", "--election", w.E, "--out", str(out))
    assert code == 0, err
    assert f"{len(run.outcome.counted)} counted and 2 challenged ballots" in err
    assert record.load(out.read_bytes()) == record.export_election(
        record.client_fetch(cli_client), CHAIN_ID, w.E
    )
    # the voter's lookup of a counted, a superseded and a challenged ballot
    counted = run.outcome.counted[1].encrypted.confirmation_code.hex()
    code, stdout, err = cli("election", "lookup", counted)
    assert code == 0, err
    answer = json.loads(stdout)
    assert answer["included"] and answer["counted"] and answer["confirmation_code"] == counted
    assert "proof verified against header" in err
    old = run.outcome.superseded[0].encrypted.confirmation_code.hex()
    code, stdout, err = cli("election", "lookup", old)
    assert code == 0 and json.loads(stdout)["status"] == SUPERSEDED and not json.loads(stdout)["counted"]
    spoiled = run.outcome.challenged[0]
    code, stdout, err = cli("election", "lookup", spoiled.encrypted.confirmation_code.hex())
    answer = json.loads(stdout)
    assert code == 0 and answer["status"] == CHALLENGED and answer["reveal_check"] == "ok"
    chosen = {
        pc.label: [o for o, v in zip(_options(pc.label), pc.votes, strict=True) if v]
        for pc in spoiled.plain.contests
    }
    assert answer["revealed"] == chosen
    code, stdout, _ = cli("election", "lookup", "00" * 32)
    assert code == 1 and json.loads(stdout)["included"] is False
    code, _, err = cli("election", "lookup", "xyz")
    assert code == 2 and err.startswith("error: election.bad_code: ")
    code, _, err = cli("election", "export", "--election", "nope", "--out", str(tmp_path / "x.json"))
    assert code == 2 and err.startswith("error: election.not_found: ")


def _options(label: str) -> tuple[str, ...]:
    return next(c.options for c in w.manifest().contests if c.label == label)


def test_cli_verify_passes_fails_precisely_and_refuses_malformed_files(
    small_export: ElectionExport, tmp_path: Path
) -> None:
    good = tmp_path / "record.msgpack"
    good.write_bytes(record.dump(small_export, as_json=False))
    code, stdout, err = cli("election", "verify", str(good))
    assert code == 0, err
    assert stdout.startswith("election record verified")
    # one changed tally value
    data = json.loads(record.dump(small_export, as_json=True))
    data["record"]["tally"]["contests"][0]["options"][0]["value"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, _, err = cli("election", "verify", str(bad))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: election.invalid: 1 check(s) failed")
    assert lines[1].strip().startswith("[10.A] tally contest 1 ('mayor') option 1 ('alice'): T != K^t")
    for content in (b"", b"{}", b"\x93\x01\x02\x03", good.read_bytes()[:-10]):
        broken = tmp_path / "broken.bin"
        broken.write_bytes(content)
        code, _, err = cli("election", "verify", str(broken))
        assert code == 2 and err.startswith("error: election.bad_record: "), err
    code, _, err = cli("election", "verify", str(tmp_path / "missing.json"))
    assert code == 2 and err.startswith("error: cli.unreadable: ")


def test_queries_answer_what_a_guardian_and_an_observer_need(run: Run, sdk: Client) -> None:
    g = sdk.query("voting", "guardians", election_id=w.E)
    assert g["round"] == 1 and len(g["guardians"]) == 5 and g["complete"]
    assert len(sdk.query("voting", "shares_for", election_id=w.E, receiver=2)) == 4
    page = sdk.query("voting", "ballots", election_id=w.E, start=1, limit=3)
    assert [b["seq"] for b in page] == [1, 2, 3]
    assert sdk.query("voting", "election", election_id="nope") is None
    assert sdk.query("voting", "chunk", election_id=w.E, chunk=0)["done"] is True
