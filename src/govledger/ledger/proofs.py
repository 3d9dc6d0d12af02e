"""Proof-carrying reads: what a node returns and what a client checks, offline.

- `StateProof`: the value (or absence) of one app key at a height: a sparse Merkle proof against
  the state root of header H, and the commit that certifies header H.
- `TxProof`: a committed transaction and its receipt: RFC 9162 inclusion proofs of the encoded
  transaction in the header's tx root and of the encoded receipt in its result root.

Verification is safe by default: the header must be certified by more than 2/3 of the voting power
of a validator set the verifier already trusts. The SDK's light client (`sdk/light.py`) extends trust
across validator-set changes; a verifier here is given the set for the height.
"""

from __future__ import annotations

from govledger.codec import Record, encode
from govledger.crypto import merkle_log
from govledger.crypto.smt import SparseProof, verify_proof
from govledger.ledger.block import Commit, Header, Receipt, ValidatorSet, commit_problem
from govledger.ledger.state import state_key, state_key_hash, value_hash


class KeyProof(Record, frozen=True):
    app: str
    key: bytes
    value: bytes | None
    proof: SparseProof


class StateProof(Record, frozen=True):
    """Values (or absences) of app keys at one height, certified by that height's header and commit."""

    height: int
    entries: list[KeyProof]
    header: Header
    commit: Commit | None  # None only for block 0, which is trusted through the genesis document


class TxProof(Record, frozen=True):
    tx: bytes
    index: int
    tx_path: list[bytes]
    receipt: Receipt
    receipt_path: list[bytes]
    header: Header
    commit: Commit | None


class ProofError(Exception):
    """A proof that does not prove what it claims; `str()` says which check failed."""


def check_header(
    header: Header, commit: Commit | None, trusted: ValidatorSet, genesis_hash: bytes | None
) -> None:
    if commit is None:
        if header.height == 0 and genesis_hash is not None and header.hash() == genesis_hash:
            return
        raise ProofError("header has no commit and is not the trusted genesis block")
    problem = commit_problem(commit, header, trusted)
    if problem is not None:
        raise ProofError(f"header {header.height} is not certified: {problem}")


def verify_state(
    proof: StateProof, trusted: ValidatorSet, genesis_hash: bytes | None = None
) -> dict[tuple[str, bytes], bytes | None]:
    """Return {(app, key): value or None (proved absent)} or raise ProofError."""
    if proof.header.height != proof.height:
        raise ProofError("proof height differs from its header")
    check_header(proof.header, proof.commit, trusted, genesis_hash)
    out: dict[tuple[str, bytes], bytes | None] = {}
    for e in proof.entries:
        khash = state_key_hash(state_key(e.app, e.key))
        vhash = None if e.value is None else value_hash(e.value)
        if not verify_proof(proof.header.state_root, khash, vhash, e.proof):
            raise ProofError(f"the proof for {e.app}/{e.key!r} does not match the header's state root")
        out[(e.app, e.key)] = e.value
    return out


def verify_tx(proof: TxProof, trusted: ValidatorSet, genesis_hash: bytes | None = None) -> Receipt:
    """Return the receipt of a proved committed transaction or raise ProofError."""
    check_header(proof.header, proof.commit, trusted, genesis_hash)
    h = proof.header
    if not merkle_log.verify_inclusion(
        merkle_log.leaf_hash(proof.tx), proof.index, h.tx_count, proof.tx_path, h.tx_root
    ):
        raise ProofError("transaction is not included under the header's tx root")
    if not merkle_log.verify_inclusion(
        merkle_log.leaf_hash(encode(proof.receipt)),
        proof.index,
        h.tx_count,
        proof.receipt_path,
        h.result_root,
    ):
        raise ProofError("receipt is not included under the header's result root")
    return proof.receipt
