"""`govledger election cast`: the voter's device on the command line sends the proof commitments.

The node is replaced by a stand-in over the in-memory ledger of the tests (queries answered from its
state, transactions executed in a block of their own), so that the command's whole path runs:
read the election, encrypt, build the body, sign with the credential, submit, report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec
import pytest
import typer
from typer.testing import CliRunner

from govledger.api.models import TxStatus
from govledger.apps.voting import queries, store
from govledger.apps.voting.model import CastBallot, ElectionId
from govledger.cli import election as election_cli
from govledger.cli.common import CliState
from govledger.cli.main import GuardedGroup
from govledger.codec import decode
from govledger.crypto.signatures import SigningKey
from govledger.ledger import tx as txmod
from govledger.ledger.app import to_builtins
from govledger.sdk.builder import TxBuilder

from . import world as w
from .conftest import World
from .harness import CHAIN_ID, Ledger, credential

CHOICES = '{"mayor": {"carol": 1}, "council": {"dan": 1, "frank": 1}, "measure-1": {"no": 1}}'


@dataclass
class _Answer:
    result: Any
    proof: Any = None


@dataclass
class FakeNode:
    """What `election cast` needs from `sdk.Client`, over a test `Ledger`."""

    led: Ledger
    sent: list[txmod.Transaction] = field(default_factory=list)

    def __enter__(self) -> FakeNode:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None

    def query_answer(self, app: str, name: str, params: dict[str, Any]) -> _Answer:
        assert (app, name) == ("voting", "election")
        return _Answer(to_builtins(queries.election(self.led.view, ElectionId(params["election_id"]))))

    def tx_builder(self) -> TxBuilder:
        return TxBuilder(CHAIN_ID)

    def height(self) -> int:
        return self.led.height

    def submit_and_wait(self, tx: txmod.Transaction, timeout: float, *, check: bool) -> TxStatus:
        self.sent.append(tx)
        (receipt,) = self.led.block([tx])
        return TxStatus(
            tx_id=txmod.tx_id(tx.payload).hex(), status="committed", height=self.led.height, receipt=receipt
        )


def _cli(
    node: FakeNode, key: SigningKey, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr(election_cli, "_client", lambda ctx, url: node)
    monkeypatch.setattr(CliState, "load_key", lambda self, name: key)
    root = typer.Typer(cls=GuardedGroup, add_completion=False, pretty_exceptions_enable=False)

    @root.callback()
    def _global(ctx: typer.Context) -> None:
        ctx.obj = CliState(home=Path("/nonexistent"))

    root.add_typer(election_cli.app, name="election")
    result = CliRunner().invoke(root, ["election", "cast", "--election", w.E, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("hint", [True, False])
def test_cast_sends_the_commitments_unless_told_not_to(
    voting_world: World, monkeypatch: pytest.MonkeyPatch, hint: bool
) -> None:
    node = FakeNode(voting_world.led)
    flag = "--commitments" if hint else "--no-commitments"
    args = ("--credential", "v1", "--style", "all", "--choices", CHOICES, "--ballot-id", "cli-1", flag)
    code, stdout, err = _cli(node, credential(1), monkeypatch, *args)
    assert code == 0, err
    (sent,) = node.sent
    assert [k.key for k in sent.payload.signers] == [credential(1).public_key.key]
    body = decode(sent.payload.body, CastBallot)
    assert (body.commitments is not None) is hint
    answer = json.loads(stdout)
    assert answer["commitments"] is hint and answer["ballot_id"] == "cli-1"
    assert answer["confirmation_code"] == body.ballot.confirmation_code.hex()
    entry = store.get_ballot(node.led.view, w.E, "cli-1")
    assert entry is not None and entry.status == "cast"
    assert (store.get_hint(node.led.view, w.E, "cli-1") is not None) is hint


def test_cast_refusals_exit_2_with_the_code(voting_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    node = FakeNode(voting_world.led)
    base = ("--credential", "v", "--style", "all")
    code, _, err = _cli(node, credential(424242), monkeypatch, *base, "--choices", CHOICES)
    # the device shows the confirmation code first, then the one-line reason
    assert code == 2 and err.splitlines()[-1].startswith("error: voting.ineligible: "), err
    code, _, err = _cli(node, credential(1), monkeypatch, *base, "--choices", '{"mayor": {"zed": 1}}')
    assert code == 2 and err.startswith("error: voting.unknown_option: "), err
    code, _, err = _cli(node, credential(1), monkeypatch, *base, "--choices", "[1]")
    assert code == 2 and err.startswith("error: election.bad_choices: "), err
    assert len(node.sent) == 1  # only the ineligible cast reached the ledger
    assert msgspec.structs.asdict(decode(node.sent[0].payload.body, CastBallot))["commitments"] is not None
