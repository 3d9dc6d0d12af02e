"""Blocks, headers, receipts, events and commits: the chain's stored and hashed records.

A header commits to everything a verifier needs: the previous block, the transactions (RFC 9162 root
over the encoded transactions), the state after executing them (sparse Merkle root), the receipts
(RFC 9162 root over the encoded receipts) and the validator sets. Execution is immediate: header H
carries the state root *after* block H, so a read at height H is proved by header H and its commit.

A commit is the set of precommit signatures for the block hash; it is valid when signers hold more
than two thirds of the voting power of the validator set named by the header.
"""

from __future__ import annotations

from collections.abc import Sequence

from govledger.codec import Record, encode, hash_of, sha256
from govledger.crypto import merkle_log
from govledger.crypto.signatures import PublicKey, verify

PRECOMMIT_SIGN_DOMAIN = b"govledger/precommit/v1\x00"
HASH_BYTES = 32
ZERO_HASH = bytes(HASH_BYTES)

EventValue = str | int | bool  # bytes are given as hex by `ledger.app.event`


class Event(Record, frozen=True):
    """Something an app reports happened; `subject` is the key a listener filters on (a parcel id)."""

    app: str
    kind: str
    subject: str
    attributes: dict[str, EventValue]


class Receipt(Record, frozen=True):
    """The outcome of one transaction: `code` is "ok" or a stable error code; failures write nothing."""

    tx_id: bytes
    code: str
    message: str
    events: list[Event]


OK = "ok"


class Validator(Record, frozen=True):
    public_key: PublicKey
    power: int


class ValidatorSet(Record, frozen=True):
    validators: list[Validator]

    def hash(self) -> bytes:
        return hash_of(self)

    def total_power(self) -> int:
        return sum(v.power for v in self.validators)

    def by_id(self) -> dict[bytes, Validator]:
        return {v.public_key.key_id(): v for v in self.validators}


class Header(Record, frozen=True):
    chain_id: str
    height: int
    time_ms: int
    prev_hash: bytes
    tx_count: int
    tx_root: bytes
    state_root: bytes
    result_root: bytes
    validators_hash: bytes
    next_validators_hash: bytes
    proposer: bytes

    def hash(self) -> bytes:
        return hash_of(self)


class Block(Record, frozen=True):
    header: Header
    txs: list[bytes]


class CommitSig(Record, frozen=True):
    validator: bytes
    signature: bytes


class Commit(Record, frozen=True):
    height: int
    round: int
    block_hash: bytes
    signatures: list[CommitSig]


class PrecommitSignDoc(Record, frozen=True):
    chain_id: str
    height: int
    round: int
    block_hash: bytes


def precommit_sign_bytes(chain_id: str, height: int, round_: int, block_hash: bytes) -> bytes:
    return PRECOMMIT_SIGN_DOMAIN + encode(PrecommitSignDoc(chain_id, height, round_, block_hash))


def tx_leaf_hashes(txs: Sequence[bytes]) -> list[bytes]:
    return [merkle_log.leaf_hash(t) for t in txs]


def tx_root(txs: Sequence[bytes]) -> bytes:
    return merkle_log.root_from_leaf_hashes(tx_leaf_hashes(txs))


# The subject index points at (height, tx index); this index means the block's own end_block events.
BLOCK_EVENTS_INDEX = 0xFFFFFFFF


def result_root(receipts: Sequence[Receipt]) -> bytes:
    return merkle_log.root_from_leaf_hashes([merkle_log.leaf_hash(encode(r)) for r in receipts])


def tx_hash(tx_bytes: bytes) -> bytes:
    """Hash of the whole encoded transaction, signatures included (what the tx root commits to)."""
    return sha256(tx_bytes)


def commit_problem(commit: Commit, header: Header, validators: ValidatorSet) -> str | None:
    """Why `commit` does not certify `header` under `validators`, or None if it does.

    Counts each validator once; unknown signers and bad signatures are reasons to reject, since an
    honest node never includes them.
    """
    if validators.hash() != header.validators_hash:
        return "validator set does not match the header's validators_hash"
    if commit.height != header.height or commit.block_hash != header.hash():
        return "commit is for a different block"
    members = validators.by_id()
    message = precommit_sign_bytes(header.chain_id, commit.height, commit.round, commit.block_hash)
    signed_power = 0
    seen: set[bytes] = set()
    for sig in commit.signatures:
        member = members.get(sig.validator)
        if member is None:
            return f"signature from unknown validator {sig.validator.hex()}"
        if sig.validator in seen:
            return f"validator {sig.validator.hex()} signed twice"
        if not verify(member.public_key, message, sig.signature):
            return f"bad precommit signature from {sig.validator.hex()}"
        seen.add(sig.validator)
        signed_power += member.power
    if 3 * signed_power <= 2 * validators.total_power():
        return f"signers hold {signed_power} of {validators.total_power()} power, not more than 2/3"
    return None
