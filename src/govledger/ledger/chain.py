"""The chain: storage + authenticated state + executor, advancing one block at a time.

Two ways a block comes into being, one way it is checked:
- `build_block` (the proposer): takes candidate transactions in order, drops those whose envelope
  no longer holds (expired, replayed, duplicate in the block), executes the rest and assembles the
  header with the roots it computed;
- `execute_block` (a validator, block sync, `verify-chain`): re-checks every envelope rule and
  every signature, re-executes, and requires the header it recomputes to equal the one received.
  A transaction whose exact bytes this node's mempool already admitted (`admitted`) is not decoded
  or signature-checked again: admission did both, on the same bytes.
Either way the result is a `PendingBlock` that `commit` writes in one LMDB transaction.

Validator sets follow CometBFT's offset: a change recorded in block H governs block H+2. Header H
names the set that signs it (`validators_hash`) and the one that signs H+1 (`next_validators_hash`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from govledger.codec import decode, encode
from govledger.crypto.signatures import BatchVerifier
from govledger.crypto.smt import SparseMerkleTree, TreeUpdate
from govledger.errors import GovledgerError, TxRejected
from govledger.ledger import tx as txmod
from govledger.ledger.app import App, AppState, Authority, BlockContext
from govledger.ledger.block import (
    ZERO_HASH,
    Block,
    Commit,
    Event,
    Header,
    Receipt,
    ValidatorSet,
    result_root,
    tx_root,
)
from govledger.ledger.executor import BlockOutcome, Executor
from govledger.ledger.genesis import VALIDATORS_APP, VALIDATORS_KEY, parse_genesis
from govledger.ledger.state import BlockBuffer, TxBuffer, iter_changes, state_key, state_key_hash, value_hash
from govledger.ledger.storage import BlockWrite, Storage
from govledger.ledger.tx import SignerKeys, Transaction

MAX_BLOCK_TXS = 10_000


class Candidate(msgspec.Struct, frozen=True, gc=False):
    """A transaction the mempool admitted: decoded, id computed, signatures already verified.

    A msgspec Struct kept out of the cyclic collector: one is built per admitted transaction.
    """

    raw: bytes
    tx: Transaction
    tx_id: bytes
    signers: SignerKeys

    @classmethod
    def of(cls, raw: bytes, tx: Transaction) -> Candidate:
        """`tx` is `raw` decoded by `tx.decode_tx` (its shape checked); computes its id and key ids."""
        return cls(raw, tx, txmod.tx_id(tx.payload), txmod.signer_keys(tx))


AdmittedLookup = Callable[[bytes], "Candidate | None"]
"""Looks up a transaction by its exact bytes among those this node admitted (`Mempool.admitted`)."""


@dataclass
class PendingBlock:
    block: Block
    block_bytes: bytes
    receipts: list[Receipt]
    tx_ids: list[bytes]
    outcome: BlockOutcome
    state_writes: dict[bytes, bytes | None]  # the block's writes in key order (`iter_changes`)
    tree: TreeUpdate
    next_next_valset: ValidatorSet
    dropped: list[tuple[bytes, TxRejected]] = field(default_factory=list)

    @property
    def header(self) -> Header:
        return self.block.header

    def events(self) -> list[Event]:
        out = [e for r in self.receipts for e in r.events]
        out.extend(self.outcome.end_block_events)
        return out


class Chain:
    def __init__(
        self,
        storage: Storage,
        apps: Mapping[str, App],
        authority: Authority,
        verifier: BatchVerifier | None = None,
    ) -> None:
        self.storage = storage
        self.apps = dict(apps)
        self.executor = Executor(apps, authority)
        self.tree = SparseMerkleTree(storage)
        self.verifier = verifier or BatchVerifier()
        raw = storage.genesis_bytes()
        if raw is None:
            raise GovledgerError(
                "chain.not_initialised", "no genesis in this data directory: run `govledger init`"
            )
        self.genesis = parse_genesis(raw)
        self.chain_id = self.genesis.chain_id
        self.height = storage.height()
        last = storage.block(self.height)
        assert last is not None, "storage height points at a missing block"
        self.tip: Header = last.header
        self._valsets: dict[int, ValidatorSet] = {}
        self._load_valsets()

    # --- initialisation ------------------------------------------------------------------------------

    @staticmethod
    def initialise(storage: Storage, genesis_bytes: bytes, apps: Mapping[str, App]) -> Header:
        """Apply the genesis document and write block 0."""
        doc = parse_genesis(genesis_bytes)
        buffer = BlockBuffer(storage)
        valset = doc.validator_set()
        buffer.writes[state_key(VALIDATORS_APP, VALIDATORS_KEY)] = encode(valset)
        for name in sorted(apps):
            app = apps[name]
            section = doc.app_state.get(name)
            if app.genesis is None:
                continue
            config = _convert_section(name, section, app.genesis_type)
            tb = TxBuffer(buffer)
            app.genesis(AppState(tb, name), config)
            tb.merge()
        unknown = sorted(set(doc.app_state) - set(apps))
        if unknown:
            raise GovledgerError("genesis.unknown_app", f"genesis has state for unknown apps: {unknown}")
        state_writes = dict(iter_changes(buffer.writes))
        tree = SparseMerkleTree(storage).update(None, 0, _tree_changes(state_writes))
        header = Header(
            chain_id=doc.chain_id,
            height=0,
            time_ms=doc.genesis_time_ms,
            prev_hash=ZERO_HASH,
            tx_count=0,
            tx_root=tx_root([]),
            state_root=tree.root_hash,
            result_root=result_root([]),
            validators_hash=valset.hash(),
            next_validators_hash=valset.hash(),
            proposer=b"",
        )
        block = Block(header=header, txs=[])
        storage.write_genesis(
            genesis_bytes,
            BlockWrite(
                block=block,
                block_bytes=encode(block),
                commit=None,
                receipts=[],
                tx_ids=[],
                state_writes=state_writes,
                tree_nodes=tree.new_nodes,
                valsets=[valset],
                subjects=[],
            ),
        )
        return header

    def follow_storage(self) -> None:
        """Catch up with blocks another process committed to this chain's storage (the solo node's
        block process writes; the node process reads)."""
        height = self.storage.height()
        if height == self.height:
            return
        last = self.storage.block(height)
        assert last is not None and height > self.height, "storage moved backwards or lost its tip"
        self.height, self.tip = height, last.header
        self._load_valsets()

    def _load_valsets(self) -> None:
        """Sets for tip+1 and tip+2: header(tip) names tip+1's; state after tip names tip+2's."""
        nxt = self.storage.valset(self.tip.next_validators_hash)
        assert nxt is not None, "next validator set missing from storage"
        self._valsets = {self.height + 1: nxt, self.height + 2: self._valset_in_state()}

    def _valset_in_state(self) -> ValidatorSet:
        raw = self.storage.get(state_key(VALIDATORS_APP, VALIDATORS_KEY))
        if raw is None:
            return self.genesis.validator_set()
        return decode(raw, ValidatorSet)

    def validator_set(self, height: int) -> ValidatorSet:
        """The set that signs block `height` (any committed height, or the next two)."""
        if height in self._valsets:
            return self._valsets[height]
        block = self.storage.block(height)
        if block is None:
            raise GovledgerError("chain.unknown_height", f"no block at height {height}")
        vs = self.storage.valset(block.header.validators_hash)
        assert vs is not None, "validator set named by a stored header is missing"
        return vs

    # --- building and checking blocks ----------------------------------------------------------------

    def build_block(self, candidates: Sequence[Candidate], time_ms: int, proposer: bytes) -> PendingBlock:
        height = self.height + 1
        time_ms = max(time_ms, self.tip.time_ms)
        kept: list[Candidate] = []
        dropped: list[tuple[bytes, TxRejected]] = []
        seen: set[bytes] = set()
        committed = self.storage.known_txs([c.tx_id for c in candidates])
        for c in candidates[:MAX_BLOCK_TXS]:
            try:
                txmod.check_window(c.tx, self.chain_id, height)
                if c.tx_id in committed or c.tx_id in seen:
                    raise TxRejected("tx.replay", f"transaction {c.tx_id.hex()} is already committed")
            except TxRejected as exc:
                dropped.append((c.tx_id, exc))
                continue
            seen.add(c.tx_id)
            kept.append(c)
        pending = self._execute(
            height,
            time_ms,
            proposer,
            [c.raw for c in kept],
            [c.tx for c in kept],
            [c.tx_id for c in kept],
            [c.signers for c in kept],
        )
        pending.dropped = dropped
        return pending

    def execute_block(
        self, block: Block, *, verify_signatures: bool = True, admitted: AdmittedLookup | None = None
    ) -> PendingBlock:
        """Check a block made elsewhere against this chain's tip; raise GovledgerError if it is invalid."""
        h = block.header
        if h.height != self.height + 1:
            raise GovledgerError("block.wrong_height", f"block {h.height} does not follow {self.height}")
        if h.prev_hash != self.tip.hash():
            raise GovledgerError("block.wrong_parent", f"block {h.height} does not extend the tip")
        if h.time_ms < self.tip.time_ms:
            raise GovledgerError("block.time_regressed", f"block {h.height} time is before its parent")
        if len(block.txs) > MAX_BLOCK_TXS:
            raise GovledgerError("block.too_many_txs", f"block {h.height} has more than {MAX_BLOCK_TXS} txs")
        txs, ids, signers = self._check_envelopes(block, verify_signatures, admitted)
        pending = self._execute(h.height, h.time_ms, h.proposer, list(block.txs), txs, ids, signers)
        if pending.header != h:
            raise GovledgerError("block.header_mismatch", _header_diff(h, pending.header))
        return pending

    def _check_envelopes(
        self, block: Block, verify_signatures: bool, admitted: AdmittedLookup | None
    ) -> tuple[list[Transaction], list[bytes], list[SignerKeys]]:
        h = block.header.height
        txs: list[Transaction] = []
        ids: list[bytes] = []
        signers: list[SignerKeys] = []
        unchecked: list[int] = []
        for raw in block.txs:
            known = None if admitted is None else admitted(raw)
            try:
                if known is None:
                    known = Candidate.of(raw, txmod.decode_tx(raw))
                    unchecked.append(len(txs))
                txmod.check_window(known.tx, self.chain_id, h)
            except GovledgerError as exc:
                raise GovledgerError("block.bad_tx", f"block {h}: {exc.message}") from None
            txs.append(known.tx)
            ids.append(known.tx_id)
            signers.append(known.signers)
        if len(set(ids)) != len(ids) or self.storage.known_txs(ids):
            raise GovledgerError("block.replay", f"block {h} repeats a transaction")
        if verify_signatures and unchecked:
            items = [
                (pk, txmod.sign_message(ids[i]), sig)
                for i in unchecked
                for pk, sig in zip(txs[i].payload.signers, txs[i].signatures, strict=True)
            ]
            if not all(self.verifier.verify_many(items)):
                raise GovledgerError("block.bad_signature", f"block {h} carries an invalid signature")
        return txs, ids, signers

    def _execute(
        self,
        height: int,
        time_ms: int,
        proposer: bytes,
        raws: list[bytes],
        txs: list[Transaction],
        ids: list[bytes],
        signers: list[SignerKeys],
    ) -> PendingBlock:
        ctx = BlockContext(chain_id=self.chain_id, height=height, time_ms=time_ms)
        with self.storage.snapshot() as snapshot:  # one read transaction for the whole block
            outcome = self.executor.run_block(snapshot, ctx, txs, ids, signers)
            raw_vs = outcome.buffer.get(state_key(VALIDATORS_APP, VALIDATORS_KEY))
            state_writes = dict(iter_changes(outcome.buffer.writes))
            tree = SparseMerkleTree(snapshot).update(self.height, height, _tree_changes(state_writes))
        next_next = self.genesis.validator_set() if raw_vs is None else decode(raw_vs, ValidatorSet)
        header = Header(
            chain_id=self.chain_id,
            height=height,
            time_ms=time_ms,
            prev_hash=self.tip.hash(),
            tx_count=len(raws),
            tx_root=tx_root(raws),
            state_root=tree.root_hash,
            result_root=result_root(outcome.receipts),
            validators_hash=self._valsets[height].hash(),
            next_validators_hash=self._valsets[height + 1].hash(),
            proposer=proposer,
        )
        block = Block(header=header, txs=raws)
        return PendingBlock(
            block=block,
            block_bytes=encode(block),
            receipts=outcome.receipts,
            tx_ids=ids,
            outcome=outcome,
            state_writes=state_writes,
            tree=tree,
            next_next_valset=next_next,
        )

    def commit(self, pending: PendingBlock, commit: Commit | None) -> None:
        h = pending.header.height
        assert h == self.height + 1, "commit out of order"
        self.storage.write_block(
            BlockWrite(
                block=pending.block,
                block_bytes=pending.block_bytes,
                commit=commit,
                receipts=pending.receipts,
                tx_ids=pending.tx_ids,
                state_writes=pending.state_writes,
                tree_nodes=pending.tree.new_nodes,
                valsets=[pending.next_next_valset],
                subjects=pending.outcome.subjects(),
                block_events=pending.outcome.end_block_events,
            )
        )
        self.height = h
        self.tip = pending.header
        self._valsets = {h + 1: self._valsets[h + 1], h + 2: pending.next_next_valset}


def _tree_changes(state_writes: Mapping[bytes, bytes | None]) -> dict[bytes, bytes | None]:
    """The tree's leaves for these writes (already in key order: `iter_changes`)."""
    return {state_key_hash(k): (None if v is None else value_hash(v)) for k, v in state_writes.items()}


def _convert_section(name: str, section: object, type_: type[object] | None) -> object:
    if type_ is None:
        return section
    import msgspec

    try:
        return msgspec.convert(section if section is not None else {}, type=type_, strict=True)
    except msgspec.ValidationError as exc:
        raise GovledgerError("genesis.invalid", f"app_state.{name}: {exc}") from None


def _header_diff(want: Header, got: Header) -> str:
    fields = [f for f in Header.__struct_fields__ if getattr(want, f) != getattr(got, f)]
    return f"block {want.height}: recomputed header differs in {', '.join(fields)}"
