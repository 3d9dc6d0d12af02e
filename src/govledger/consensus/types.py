"""Consensus wire types: proposals, votes, timeouts, validator sets, commits and evidence.

This module owns the *shape* of everything the consensus core exchanges with the outside world and
the bytes a validator signs. It knows nothing about blocks: a value is opaque bytes identified by a
32-byte hash (the ledger decides what the bytes are and how they hash).

Signing (spec/consensus/signing.md). `sign_bytes(chain_id)` is a domain prefix naming the message
type, followed by the canonical encoding of (chain id, height, round, [pol round,] value hash); the
signature field and the value bytes are never signed (the hash binds the value). A nil vote signs
an empty hash. The precommit layout is byte-for-byte the ledger's `precommit_sign_bytes`, so the
precommits that decide a height are, unchanged, the commit signatures the ledger stores; the tests
assert this. Timestamps are left out on purpose: block time lives in the value.

Bounds: every variable-length field has a limit checked by `check_*` before a message reaches the
state machine (value bytes, validator id length, validator count, total power), so a peer cannot
make the core allocate more than these limits allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import IntEnum

from govledger.codec import Record, encode, hash_of
from govledger.errors import GovledgerError

HASH_BYTES = 32
VALIDATOR_ID_BYTES_MAX = 64
VALIDATORS_MAX = 1024
CHAIN_ID_BYTES_MAX = 50  # signing.md: "a max length of 50-bytes"
SIGNATURE_BYTES_MAX = 8192  # ML-DSA-65 is 3,309 bytes; hybrid adds 64
INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)
# As CometBFT: the total must stay small enough that 1.125 * total (a new validator's starting
# priority, see proposer.py) still fits in an int64.
POWER_TOTAL_MAX = INT64_MAX // 8
ROUND_MAX = (1 << 31) - 1

PROPOSAL_SIGN_DOMAIN = b"govledger/proposal/v1\x00"
PREVOTE_SIGN_DOMAIN = b"govledger/prevote/v1\x00"
PRECOMMIT_SIGN_DOMAIN = b"govledger/precommit/v1\x00"  # equal to ledger.block.PRECOMMIT_SIGN_DOMAIN

# (validator id, message, signature) -> valid?  The node passes a real public-key check.
Verifier = Callable[[bytes, bytes, bytes], bool]


class ConsensusError(GovledgerError):
    """A consensus message, commit or evidence that fails a structural or cryptographic check."""


class SignedMsgType(IntEnum):
    """The type byte of signing.md; also the privval step order is PROPOSAL < PREVOTE < PRECOMMIT."""

    PREVOTE = 0x01
    PRECOMMIT = 0x02
    PROPOSAL = 0x20


class VoteKind(IntEnum):
    PREVOTE = 0x01
    PRECOMMIT = 0x02


class TimeoutKind(IntEnum):
    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3


class Step(IntEnum):
    """step_p of Algorithm 1; the order matters (line 36: `step_p >= prevote`)."""

    PROPOSE = 1
    PREVOTE = 2
    PRECOMMIT = 3


# --- what gets signed --------------------------------------------------------------------------


class _ProposalSignDoc(Record, frozen=True):
    chain_id: str
    height: int
    round: int
    pol_round: int
    block_hash: bytes


class _VoteSignDoc(Record, frozen=True):
    # Field names and order equal ledger.block.PrecommitSignDoc: a map encoding makes the bytes equal.
    chain_id: str
    height: int
    round: int
    block_hash: bytes


# --- messages -----------------------------------------------------------------------------------


class Proposal(Record, frozen=True, tag="proposal"):
    """⟨PROPOSAL, h, r, v, vr⟩ from proposer(h, r); `value_hash` is id(v)."""

    height: int
    round: int
    value_hash: bytes
    value: bytes
    valid_round: int
    proposer: bytes
    signature: bytes = b""

    def sign_bytes(self, chain_id: str) -> bytes:
        doc = _ProposalSignDoc(chain_id, self.height, self.round, self.valid_round, self.value_hash)
        return PROPOSAL_SIGN_DOMAIN + encode(doc)

    @property
    def msg_type(self) -> SignedMsgType:
        return SignedMsgType.PROPOSAL

    @property
    def sender(self) -> bytes:
        return self.proposer

    def unsigned(self) -> Proposal:
        return self.with_signature(b"")

    def with_signature(self, signature: bytes) -> Proposal:
        return Proposal(
            self.height, self.round, self.value_hash, self.value, self.valid_round, self.proposer, signature
        )


class Vote(Record, frozen=True, tag="vote"):
    """⟨PREVOTE|PRECOMMIT, h, r, id(v) or nil⟩ from `validator`; nil is `value_hash=None`."""

    kind: VoteKind
    height: int
    round: int
    value_hash: bytes | None
    validator: bytes
    signature: bytes = b""

    def sign_bytes(self, chain_id: str) -> bytes:
        domain = PREVOTE_SIGN_DOMAIN if self.kind == VoteKind.PREVOTE else PRECOMMIT_SIGN_DOMAIN
        doc = _VoteSignDoc(chain_id, self.height, self.round, self.value_hash or b"")
        return domain + encode(doc)

    @property
    def msg_type(self) -> SignedMsgType:
        return SignedMsgType(int(self.kind))

    @property
    def sender(self) -> bytes:
        return self.validator

    def unsigned(self) -> Vote:
        return self.with_signature(b"")

    def with_signature(self, signature: bytes) -> Vote:
        return Vote(self.kind, self.height, self.round, self.value_hash, self.validator, signature)


Message = Proposal | Vote


class Timeout(Record, frozen=True, tag="timeout"):
    """A timer the core asked for (ScheduleTimeout) that has now expired: OnTimeout*(height, round)."""

    kind: TimeoutKind
    height: int
    round: int


class Status(Record, frozen=True, tag="status"):
    """What a node has for its current round, so a peer can send only what is missing.

    `prevotes`/`precommits` are bitmaps over the validator set order (bit i of byte i // 8 is
    validator i); a short or empty bitmap means "has none of the rest".
    """

    height: int
    round: int
    step: Step
    has_proposal: bool
    prevotes: bytes
    precommits: bytes


# --- validators ---------------------------------------------------------------------------------


class Validator(Record, frozen=True):
    id: bytes
    power: int


class ValidatorSet(Record, frozen=True):
    """An ordered set: strictly ascending ids, positive powers. Build it with `ValidatorSet.of`."""

    validators: tuple[Validator, ...]

    def __post_init__(self) -> None:
        problem = _validator_set_problem(self.validators)
        if problem is not None:
            raise ValueError(problem)

    @staticmethod
    def of(validators: Iterable[Validator]) -> ValidatorSet:
        return ValidatorSet(tuple(sorted(validators, key=lambda v: v.id)))

    def total_power(self) -> int:
        return sum(v.power for v in self.validators)

    def powers(self) -> dict[bytes, int]:
        return {v.id: v.power for v in self.validators}

    def ids(self) -> tuple[bytes, ...]:
        return tuple(v.id for v in self.validators)

    def hash(self) -> bytes:
        return hash_of(self)

    def __len__(self) -> int:
        return len(self.validators)


def _validator_set_problem(validators: tuple[Validator, ...]) -> str | None:
    if not 0 < len(validators) <= VALIDATORS_MAX:
        return f"a validator set holds 1..{VALIDATORS_MAX} validators, not {len(validators)}"
    total = 0
    previous = b""
    for v in validators:
        if not 0 < len(v.id) <= VALIDATOR_ID_BYTES_MAX:
            return f"validator id of {len(v.id)} bytes"
        if v.id <= previous:
            return "validator ids must be unique and in ascending order"
        if v.power <= 0:
            return f"validator {v.id.hex()} has non-positive power {v.power}"
        previous = v.id
        total += v.power
    if total > POWER_TOTAL_MAX:
        return f"total power {total} exceeds {POWER_TOTAL_MAX}"
    return None


def is_quorum(power: int, total: int) -> bool:
    """2f+1 of Algorithm 1 by voting power: strictly more than two thirds."""
    return power * 3 > total * 2


def is_one_third_plus(power: int, total: int) -> bool:
    """f+1 of Algorithm 1 by voting power: strictly more than one third (line 55)."""
    return power * 3 > total


# --- structural checks (before a message reaches the state machine) ---------------------------


def _fail(message: str) -> ConsensusError:
    return ConsensusError("consensus.invalid_message", message)


def check_chain_id(chain_id: str) -> None:
    if not 0 < len(chain_id.encode()) <= CHAIN_ID_BYTES_MAX:
        raise ConsensusError("consensus.invalid_chain_id", f"chain id must be 1..{CHAIN_ID_BYTES_MAX} bytes")


def check_proposal(p: Proposal, value_bytes_max: int) -> None:
    """signing.md's proposal rules plus our size bounds; the signature is checked elsewhere."""
    if p.height <= 0:
        raise _fail(f"proposal height {p.height} is not positive")
    if not 0 <= p.round <= ROUND_MAX:
        raise _fail(f"proposal round {p.round} out of range")
    if not -1 <= p.valid_round < p.round:
        raise _fail(f"proposal valid round {p.valid_round} not in [-1, {p.round})")
    if len(p.value_hash) != HASH_BYTES:
        raise _fail(f"proposal value hash of {len(p.value_hash)} bytes")
    if len(p.value) > value_bytes_max:
        raise _fail(f"proposal value of {len(p.value)} bytes exceeds {value_bytes_max}")
    if not 0 < len(p.proposer) <= VALIDATOR_ID_BYTES_MAX:
        raise _fail("proposal proposer id has a bad length")
    if len(p.signature) > SIGNATURE_BYTES_MAX:
        raise _fail("proposal signature too long")


def check_vote(v: Vote) -> None:
    if v.height <= 0:
        raise _fail(f"vote height {v.height} is not positive")
    if not 0 <= v.round <= ROUND_MAX:
        raise _fail(f"vote round {v.round} out of range")
    if v.value_hash is not None and len(v.value_hash) != HASH_BYTES:
        raise _fail(f"vote value hash of {len(v.value_hash)} bytes")
    if not 0 < len(v.validator) <= VALIDATOR_ID_BYTES_MAX:
        raise _fail("vote validator id has a bad length")
    if len(v.signature) > SIGNATURE_BYTES_MAX:
        raise _fail("vote signature too long")


# --- commits and evidence -----------------------------------------------------------------------


class Commit(Record, frozen=True):
    """2f+1 precommits for `value_hash` at (height, round): the proof that the value was decided."""

    height: int
    round: int
    value_hash: bytes
    precommits: tuple[Vote, ...]

    def verify(self, validators: ValidatorSet, chain_id: str, verify: Verifier) -> None:
        """Raise ConsensusError unless signers of these precommits hold > 2/3 of `validators`' power."""
        if len(self.value_hash) != HASH_BYTES:
            raise ConsensusError("consensus.invalid_commit", "commit value hash has a bad length")
        if len(self.precommits) > len(validators):
            raise ConsensusError("consensus.invalid_commit", "more precommits than validators")
        powers = validators.powers()
        signed = 0
        seen: set[bytes] = set()
        for vote in self.precommits:
            problem = _commit_vote_problem(self, vote, powers, seen)
            if problem is None and not verify(vote.validator, vote.sign_bytes(chain_id), vote.signature):
                problem = f"bad signature from {vote.validator.hex()}"
            if problem is not None:
                raise ConsensusError("consensus.invalid_commit", problem)
            seen.add(vote.validator)
            signed += powers[vote.validator]
        if not is_quorum(signed, validators.total_power()):
            raise ConsensusError(
                "consensus.invalid_commit", "precommits do not reach two thirds of the power"
            )


def _commit_vote_problem(
    commit: Commit, vote: Vote, powers: Mapping[bytes, int], seen: set[bytes]
) -> str | None:
    if vote.kind != VoteKind.PRECOMMIT:
        return "a commit holds only precommits"
    if (vote.height, vote.round, vote.value_hash) != (commit.height, commit.round, commit.value_hash):
        return "a precommit is for another height, round or value"
    if vote.validator not in powers:
        return f"precommit from unknown validator {vote.validator.hex()}"
    if vote.validator in seen:
        return f"validator {vote.validator.hex()} appears twice"
    return None


class CatchUp(Record, frozen=True, tag="catchup"):
    """A decided value with its commit, sent to a peer still working on that height."""

    commit: Commit
    value: bytes

    @property
    def height(self) -> int:
        return self.commit.height


class EndHeight(Record, frozen=True, tag="end_height"):
    """WAL marker (wal.md): `height` was decided; records up to it are no longer needed for replay."""

    height: int


def _vote_order_key(v: Vote) -> bytes:
    # nil sorts first: b"" < any 32-byte hash.
    return v.value_hash or b""


class DuplicateVoteEvidence(Record, frozen=True, tag="duplicate_vote"):
    """Two signed votes by one validator for the same (height, round, kind) and different values.

    `vote_a` sorts before `vote_b` by value hash (nil first), so one equivocation has exactly one
    encoding and an evidence pool can deduplicate by hash (evidence.md, "uniqueness").
    """

    vote_a: Vote
    vote_b: Vote

    @staticmethod
    def of(first: Vote, second: Vote) -> DuplicateVoteEvidence:
        if _vote_order_key(first) <= _vote_order_key(second):
            return DuplicateVoteEvidence(first, second)
        return DuplicateVoteEvidence(second, first)

    @property
    def validator(self) -> bytes:
        return self.vote_a.validator

    @property
    def height(self) -> int:
        return self.vote_a.height

    def verify(self, validators: ValidatorSet, chain_id: str, verify: Verifier) -> None:
        """evidence.md's DuplicateVoteEvidence rules; raises ConsensusError if any fails."""
        a, b = self.vote_a, self.vote_b
        problem: str | None = None
        if (a.validator, a.height, a.round, a.kind) != (b.validator, b.height, b.round, b.kind):
            problem = "votes differ in validator, height, round or type"
        elif _vote_order_key(a) >= _vote_order_key(b):
            problem = "votes are for the same value or not in canonical order"
        elif a.validator not in validators.powers():
            problem = "validator was not in the set at that height"
        elif not (
            verify(a.validator, a.sign_bytes(chain_id), a.signature)
            and verify(b.validator, b.sign_bytes(chain_id), b.signature)
        ):
            problem = "a vote signature does not verify"
        if problem is not None:
            raise ConsensusError("consensus.invalid_evidence", problem)


# What the WAL stores (wal.md): every input the core acted on, its own signed messages, and markers.
WalRecord = Proposal | Vote | Timeout | CatchUp | EndHeight
# What peers exchange.
WireMessage = Proposal | Vote | Status | CatchUp | DuplicateVoteEvidence
