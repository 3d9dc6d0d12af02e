"""Test harnesses for the voting app: its cast, genesis (the voting roles and their default
policies), and the two drivers of tests/harness_base.py configured for it.

`Ledger`: the real executor, governance authority and apps over an in-memory state dict, unsigned
transactions (the executor trusts the signer list; signature checks are the block validator's job).

`VotingChain`: the real LMDB chain with signed transactions, for determinism, export through the
SDK and the CLI.

The cast: an election official of the `commission`, an official of another organisation, five
guardians (returning officers), a clerk without voting roles, and voters who exist only as one-time
credential keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from govledger.apps import registry
from govledger.apps.voting.app import APP as VOTING
from govledger.apps.voting.app import default_policies_json
from govledger.codec import Record
from govledger.crypto.signatures import SigningKey
from govledger.ledger.app import App, AppView
from govledger.ledger.block import Block, Commit, Receipt
from govledger.ledger.chain import PendingBlock
from govledger.ledger.genesis import GenesisDoc
from govledger.ledger.tx import Transaction
from tests.harness_base import BLOCK_MS as BLOCK_MS
from tests.harness_base import VALIDATOR_KEY as VALIDATOR_KEY
from tests.harness_base import AppLedger, ChainDriver, LedgerSetup, Member, governance_genesis
from tests.harness_base import codes as codes
from tests.harness_base import key as key
from tests.harness_base import kid as kid
from tests.voting.support import SeededRandom as SeededRandom

CHAIN_ID = "voting-test"
GENESIS_TIME_MS = 1_760_000_000_000
HOUR_MS = 3600 * 1000


def credential(n: int) -> SigningKey:
    """Voter n's one-time credential (a key nobody else holds)."""
    return key(100_000 + n)


def cred_pub(k: SigningKey) -> bytes:
    return k.public_key.key


MEMBERS: tuple[Member, ...] = (
    ("admin-1", "ministry", "ministry", ["admin"], 1),
    ("official-1", "commission", "agency", ["election_official"], 2),
    ("official-x", "other-agency", "agency", ["election_official"], 3),
    ("clerk-1", "commission", "agency", ["registrar"], 4),
    *((f"guardian-{i}", "returning-officers", "agency", ["guardian"], 10 + i) for i in range(1, 8)),
)


class A:
    admin = key(1)
    official = key(2)
    other_official = key(3)
    clerk = key(4)
    guardians = tuple(key(10 + i) for i in range(1, 8))  # guardian-1 .. guardian-7


def genesis_doc() -> GenesisDoc:
    return governance_genesis(CHAIN_ID, GENESIS_TIME_MS, MEMBERS, default_policies_json())


def apps() -> dict[str, App]:
    """The installed apps plus voting (registry.py is the lead's to edit)."""
    return {**registry.apps(), "voting": VOTING}


SETUP = LedgerSetup(genesis_doc, apps)


def genesis_bytes() -> bytes:
    return SETUP.genesis_bytes()


Op = tuple[str, Record, list[SigningKey]]


class Backend(Protocol):
    """What the scenario helpers (world.py) drive: blocks of voting operations, and a view."""

    time_ms: int

    @property
    def height(self) -> int: ...

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]: ...

    @property
    def view(self) -> AppView: ...


# --- in-memory ledger -------------------------------------------------------------------------------


class Ledger(AppLedger):
    """Blocks through the real executor over an in-memory state (see tests/harness_base.py); keeps
    every event of every block (receipts' and end_block's) in `events`."""

    setup = SETUP
    app = "voting"

    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []

    def clone(self) -> Ledger:
        other = super().clone()
        other.events = list(self.events)
        return other

    def block(self, txs: list[Transaction], *, advance_ms: int | None = None) -> list[Receipt]:
        receipts = super().block(txs, advance_ms=advance_ms)
        assert self.last is not None
        self.events += [e for r in receipts for e in r.events] + self.last.end_block_events
        return receipts

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]:
        return self.block([self.tx(op, body, *signers) for op, body, signers in ops], advance_ms=advance_ms)


# --- the real chain ---------------------------------------------------------------------------------


class VotingChain(ChainDriver):
    """An LMDB chain with the voting app installed; transactions are signed for real."""

    setup = SETUP

    def __init__(self, path: Path, genesis: bytes | None = None) -> None:
        super().__init__(path, genesis)
        self.blocks: list[tuple[Block, Commit]] = []  # what was committed, for replaying elsewhere

    @property
    def height(self) -> int:
        return self.chain.height

    def raw(self, op: str, body: Record, *signers: SigningKey, app: str = "voting") -> bytes:
        return self.signed(app, op, body, signers)

    def commit(self, raws: list[bytes], advance_ms: int | None = None) -> PendingBlock:
        pending = super().commit(raws, advance_ms)
        commit = self.storage.commit(pending.header.height)
        assert commit is not None
        self.blocks.append((pending.block, commit))
        return pending

    def replay_block(self, block: Block, commit: Commit) -> PendingBlock:
        """Execute a block another node committed (every envelope, signature and root re-checked)."""
        pending = self.chain.execute_block(block)
        self.chain.commit(pending, commit)
        self.time_ms = block.header.time_ms
        return pending

    def run(self, ops: list[Op], *, advance_ms: int = BLOCK_MS) -> list[Receipt]:
        return self.commit([self.raw(op, body, *signers) for op, body, signers in ops], advance_ms).receipts

    @property
    def view(self) -> AppView:
        return AppView(self.storage, "voting")


def ok_all(receipts: list[Receipt]) -> list[Receipt]:
    bad = [(r.code, r.message) for r in receipts if r.code != "ok"]
    assert not bad, bad
    return receipts
