"""Voting app wire types: records kept in state, transaction bodies, query parameters and answers.

ElectionGuard values (manifest, guardian keys, shares, ballots, proofs, tallies) are the core's own
records from `govledger.voting.records`, carried unchanged so that what the ledger holds is exactly
what the independent verifier reads. The types here only add what the ledger needs around them:
who (governance member ids, credential keys), when (heights, block times), and status.

Everything is integers, identifiers, hashes and ElectionGuard records: no names, no free text that
could carry personal data. A voter appears only as a credential public key.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from govledger.codec import Record
from govledger.voting.records import (
    BallotReveal,
    DecryptionChallenge,
    DecryptionProof,
    DecryptionResponse,
    DecryptionShare,
    ElectionRecord,
    EncryptedBallot,
    EncryptedShare,
    GuardianPublicKey,
    Manifest,
    ProofCommitments,
    ShareComplaint,
    ShareReveal,
)

# --- bounds (every list in state or in a body has one) ----------------------------------------------

MAX_ID_CHARS = 64
MAX_ELECTION_GUARDIANS = 32  # n - 1 encrypted shares (~620 bytes each) must fit in one transaction body
MAX_CREDENTIALS_PER_TX = 500  # 500 x 34 bytes of keys: well inside a 32 KiB body
MAX_CREDENTIALS = 100_000_000
MAX_BALLOTS_PER_CREDENTIAL = 16  # cast ballots, revotes included: bounds coercion-driven churn and spam
MAX_CHALLENGES_PER_CREDENTIAL = 16
MAX_BALLOTS_PER_BLOCK = 16  # ~150 ms of proof checking each: ~2.4 s of one core per block at most
# The largest ballot a manifest may produce, with its reveal (`challenge_ballot`): the 32 KiB the
# transaction body held before it grew for the proof commitments. It bounds what one ballot costs a
# validator on the standard path, hence MAX_BALLOTS_PER_BLOCK; commitments ride on top, up to
# ledger.tx.MAX_BODY_BYTES, and only make the check cheaper (a wrong hint costs at most ~1.3 times).
MAX_BALLOT_BODY_BYTES = 32 * 1024
MAX_WINDOW_MS = 90 * 24 * 3600 * 1000
MAX_TIME_MS = 10**16 - 1  # timer keys hold 16 decimal digits
MAX_TARGETS_PER_CHUNK = 16  # a DecryptionShare of 16 targets is ~25 KB: fits one body
MAX_TALLY_OPTIONS = 2000  # options in the whole manifest: bounds counting work and the result's size
MAX_TIMERS_PER_BLOCK = 64
MAX_BALLOT_PAGE = 50  # ~13 KB per 3-contest ballot: a page is well under a query's proof bound
MAX_HINT_PAGE = 20  # proof commitments are ~2x a ballot: a page stays under ~1 MB
MAX_COMPLAINT_REASON_CHARS = 200

# --- vocabularies -----------------------------------------------------------------------------------

# Phases, in order. `voting` and `closed` are entered by end_block at the window's edges (block time).
KEY_CEREMONY = "key_ceremony"
KEY_READY = "key_ready"
VOTING = "voting"
CLOSED = "closed"  # counting day: decryption shares accepted
TALLIED = "tallied"
FAILED = "failed"  # the poll closed before the key ceremony completed
PHASES = (KEY_CEREMONY, KEY_READY, VOTING, CLOSED, TALLIED, FAILED)

# Ballot status on the ledger. Only `cast` ballots are counted; a challenged ballot never is.
CAST = "cast"  # the credential's last cast ballot (counted if the credential stays valid)
SUPERSEDED = "superseded"  # replaced by a later ballot of the same credential (revoting)
WITHDRAWN = "withdrawn"  # its credential was revoked (lost, compromised, voted on paper, ...)
CHALLENGED = "challenged"  # Benaloh challenge: opened by its reveal, never counted
BALLOT_STATUSES = (CAST, SUPERSEDED, WITHDRAWN, CHALLENGED)

REVOKE_REASONS = ("lost", "compromised", "voted_on_paper", "issued_in_error", "not_eligible")

# Complaint status.
OPEN = "open"
DISMISSED = "dismissed"  # the sender's reveal reproduced the share: the receiver uses the revealed value
UPHELD = "upheld"  # the sender is at fault: the official restarts the ceremony with a replacement

TIMER_OPEN = "open"
TIMER_CLOSE = "close"

ED25519_KEY_BYTES = 32
Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]

# --- state ------------------------------------------------------------------------------------------


class Election(Record, frozen=True):
    """`election/<id>`: what the official fixed at creation, the hashes derived from it, the phase, and
    (once the ceremony completes) the joint key K and the extended base hash H_E."""

    election_id: str
    authority_org: str  # officials of this governance organisation run the election
    manifest: Manifest
    guardians: tuple[str, ...]  # governance member ids; guardian i is guardians[i - 1]
    quorum: int
    opens_ms: int
    closes_ms: int
    parameter_base_hash: bytes  # H_P, eq. (4)
    manifest_hash: bytes  # H_M, eq. (6)
    base_hash: bytes  # H_B, eq. (7)
    phase: str
    created_height: int
    joint_key: bytes = b""  # b(K, 512), eq. (8)
    extended_base_hash: bytes = b""  # H_E, eq. (23)
    key_ready_height: int = 0
    opened_height: int = 0
    closed_height: int = 0
    tallied_height: int = 0
    failure: str = ""


class Ceremony(Record, frozen=True):
    """`ceremony/<id>`: who has done what in the current key-ceremony round (indices, sorted)."""

    round: int
    keys: tuple[int, ...] = ()
    shares: tuple[int, ...] = ()
    confirmed: tuple[int, ...] = ()
    complaints: int = 0  # complaint records this round (all statuses)
    open_complaints: int = 0
    faulted: tuple[int, ...] = ()  # senders found at fault this round


class ComplaintEntry(Record, frozen=True):
    """`complaint/<id>/<round>/<sender>/<receiver>`: a share complaint and its public adjudication."""

    complaint: ShareComplaint
    height: int
    status: str
    reveal: ShareReveal | None = None
    verdict: str = ""
    answered_height: int = 0


class Credential(Record, frozen=True):
    """`cred/<id>/<key hex>`: a one-time voting credential (an Ed25519 public key) and its ballots."""

    key: bytes
    style: int  # the ballot style (1-based index) it may vote
    registered_height: int
    late: bool  # registered after the voting window opened
    revoked_height: int = 0
    revoked_reason: str = ""
    current: str = ""  # id of its last cast ballot ("" if none)
    cast: int = 0
    challenged: int = 0


class BallotEntry(Record, frozen=True):
    """`ballot/<id>/<ballot id>`: an encrypted ballot as admitted, with its status on the ledger."""

    election_id: str
    seq: int  # 1-based admission order within the election
    status: str
    ballot: EncryptedBallot
    credential: bytes
    height: int
    time_ms: int
    tx_id: bytes
    reveal: BallotReveal | None = None  # for a challenged ballot: xi_B and the plaintext
    replaced_by: str = ""
    ended_height: int = 0  # when it stopped counting (superseded or withdrawn)


class CodeRef(Record, frozen=True):
    """`code/<confirmation code>`: where the ballot with that code lives."""

    election_id: str
    ballot_id: str


class Counts(Record, frozen=True):
    """`counts/<id>`: what observers reconcile (credentials against the roll, ballots against turnout)."""

    credentials: int = 0
    late_credentials: int = 0
    revoked_credentials: int = 0
    ballots: int = 0  # every admitted ballot (the last seq)
    cast: int = 0  # currently counted
    superseded: int = 0
    withdrawn: int = 0
    challenged: int = 0


class Counting(Record, frozen=True):
    """`counting/<id>`: the joint decryption of the tally, written at close. The tally's options, in
    `tally.tally_targets` order, are cut into chunks of MAX_TARGETS_PER_CHUNK; each chunk is one
    independent joint decryption (its own k guardians, challenges and proofs)."""

    attempt: int
    targets: int
    chunks: int
    done: tuple[int, ...] = ()


class ChunkState(Record, frozen=True):
    """`dchunk/<id>/<attempt>/<chunk>`: which guardians posted shares and responses for the chunk."""

    sharers: tuple[int, ...] = ()
    responders: tuple[int, ...] = ()


class ChunkChallenge(Record, frozen=True):
    """`dchal/...`: round 2, computed by the ledger when the k-th share arrives: U, c per target, M."""

    challenge: DecryptionChallenge
    m: tuple[bytes, ...]
    height: int


class ChunkResult(Record, frozen=True):
    """`dres/...`: round 4, the combined decryption of the chunk: M and the joint proof per target."""

    m: tuple[bytes, ...]
    proofs: tuple[DecryptionProof, ...]
    height: int


class BlockMeter(Record, frozen=True):
    """`meter`: ballots admitted in the block at `height` (all elections), for MAX_BALLOTS_PER_BLOCK."""

    height: int
    ballots: int


# --- bodies -----------------------------------------------------------------------------------------


class CreateElection(Record, frozen=True):
    election_id: str
    authority_org: str
    manifest: Manifest
    guardians: tuple[str, ...]
    quorum: int
    opens_ms: int
    closes_ms: int


class Reschedule(Record, frozen=True):
    election_id: str
    opens_ms: int
    closes_ms: int


class RegisterCredentials(Record, frozen=True):
    election_id: str
    style: str  # ballot style label
    keys: tuple[bytes, ...]  # Ed25519 public keys, 32 bytes each


class RevokeCredential(Record, frozen=True):
    election_id: str
    key: bytes
    reason: str


class GuardianSlot(Record, frozen=True):
    index: int
    member_id: str


class RestartCeremony(Record, frozen=True):
    election_id: str
    replace: tuple[GuardianSlot, ...] = ()


class PostGuardianKey(Record, frozen=True):
    election_id: str
    key: GuardianPublicKey


class PostShares(Record, frozen=True):
    election_id: str
    guardian: int
    shares: tuple[EncryptedShare, ...]


class ComplainShare(Record, frozen=True):
    election_id: str
    complaint: ShareComplaint


class AnswerComplaint(Record, frozen=True):
    election_id: str
    reveal: ShareReveal


class ConfirmShares(Record, frozen=True):
    election_id: str
    guardian: int


class CastBallot(Record, frozen=True, omit_defaults=True):
    """A cast ballot, optionally with the device's proof commitments: a verification hint the
    validators use to check the proofs ~3.5 times faster (`verify.BallotChecker.verify_ballot`), with
    the same verdict when the hint is wrong. Absent, the field is not encoded at all, so bodies
    without it keep the bytes they had before it existed (and an explicit nil is not canonical)."""

    election_id: str
    credential: bytes  # the Ed25519 public key that signs the transaction
    ballot: EncryptedBallot
    commitments: ProofCommitments | None = None


class ChallengeBallot(Record, frozen=True):
    election_id: str
    credential: bytes
    ballot: EncryptedBallot
    reveal: BallotReveal


class PostDecryptionShare(Record, frozen=True):
    election_id: str
    attempt: int
    chunk: int
    share: DecryptionShare


class PostDecryptionResponse(Record, frozen=True):
    election_id: str
    attempt: int
    chunk: int
    response: DecryptionResponse


class RestartDecryption(Record, frozen=True):
    election_id: str


# --- query parameters and answers ---------------------------------------------------------------------


class ElectionId(Record, frozen=True):
    election_id: str


class ByCode(Record, frozen=True):
    code: bytes


class BallotRef(Record, frozen=True):
    election_id: str
    ballot_id: str


class BallotPage(Record, frozen=True):
    election_id: str
    start: int = 1  # first seq
    limit: int = MAX_BALLOT_PAGE


class CredentialRef(Record, frozen=True):
    election_id: str
    key: bytes


class SharesFor(Record, frozen=True):
    election_id: str
    receiver: int


class ChunkRef(Record, frozen=True):
    election_id: str
    chunk: int


class PhaseInfo(Record, frozen=True):
    election_id: str
    phase: str
    opens_ms: int
    closes_ms: int
    key_ready: bool
    opened_height: int
    closed_height: int
    tallied_height: int
    failure: str


class GuardianInfo(Record, frozen=True):
    index: int
    member_id: str
    key: GuardianPublicKey | None
    shares_posted: bool
    confirmed: bool


class GuardiansView(Record, frozen=True):
    round: int
    quorum: int
    guardians: tuple[GuardianInfo, ...]
    complaints: tuple[ComplaintEntry, ...]
    complete: bool  # every complaint of the round is listed
    joint_key: bytes
    extended_base_hash: bytes


class BallotStatus(Record, frozen=True):
    """What a voter's lookup by confirmation code answers (the node proves every key it read)."""

    election_id: str
    ballot_id: str
    confirmation_code: bytes
    status: str
    counted: bool  # cast, and its credential is still valid
    seq: int
    height: int
    time_ms: int
    tx_id: bytes
    replaced_by: str
    ended_height: int
    election_phase: str


class ChunkView(Record, frozen=True):
    chunk: int
    sharers: tuple[int, ...]
    responders: tuple[int, ...]
    challenge: ChunkChallenge | None
    done: bool


class DecryptionView(Record, frozen=True):
    attempt: int
    targets: int
    chunks: tuple[ChunkView, ...]


# --- export -------------------------------------------------------------------------------------------

EXPORT_FORMAT = "govledger-election/1"


class UncountedBallot(Record, frozen=True):
    """A ballot the ledger admitted (its proofs verified) that does not count: superseded by a revote
    of the same credential, or withdrawn with its credential. Not part of the ElectionGuard record."""

    ballot: EncryptedBallot
    status: str
    replaced_by: str


class ElectionExport(Record, frozen=True, omit_defaults=True):
    """What `govledger election export` writes: the ElectionGuard record (spec §3.7) that the
    independent verifier checks, and the ledger's own account around it.

    ``commitments`` are the devices' proof commitments of the ballots (counted or not) that were
    cast with them: not part of the ElectionGuard record, a hint that lets the verifier check those
    ballots about three times faster with the same verdicts. Omitted when empty, so files written
    before the field existed still load."""

    format: str
    chain_id: str
    election_id: str
    height: int  # the state height every answer was read at (or after, for immutable data)
    record: ElectionRecord
    uncounted: tuple[UncountedBallot, ...]
    counts: Counts
    authority_org: str
    guardian_members: tuple[str, ...]
    opens_ms: int
    closes_ms: int
    commitments: tuple[ProofCommitments, ...] = ()
