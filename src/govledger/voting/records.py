"""Wire types of the ElectionGuard election record: what guardians, devices and the tally publish.

Theory of operation
-------------------
Every value that leaves a guardian, an encrypting device or the tally service, and so may be
written to the ledger and read by the public verifier, is one of the frozen :class:`Record` types
below (``govledger.codec``: canonical MessagePack, strict decoding). Together they make up the
election record of spec §3.7. They hold data only: the producing modules (:mod:`.keyceremony`,
:mod:`.ballot`, :mod:`.tally`) build them and the verifier (:mod:`.verify`) checks them, and neither
side trusts the other's arithmetic.

Group values travel as their spec encodings (§5.1), which are also what H hashes:

- an element of Z_p (key, ciphertext component, commitment) as b(x, 512), 512 bytes big-endian;
- an element of Z_q (response, nonce, share) as b(x, 32);
- a challenge as the 32-byte hash output itself (§5.4: not reduced mod q).

Lengths are enforced when decoding (``msgspec.Meta``); ranges (x < p, x in the order-q subgroup)
are the verifier's job. Indices are 1-based positions in the manifest's lists (§3.1.3), as the
hashes use them.

Bounds (TigerStyle: put a limit on everything) are module constants; the manifest check in
:func:`manifest_problems` enforces them, so a single hostile manifest cannot make a verifier
allocate without limit.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec

from govledger.codec import Record
from govledger.voting.group import LEN_P, LEN_Q

# --- Limits ----------------------------------------------------------------------------------------

MAX_GUARDIANS: Final = 64
MAX_CONTESTS: Final = 200
MAX_OPTIONS_PER_CONTEST: Final = 100
"""Also keeps contest data within 16 blocks (512 bytes), the most eq. (81)'s b(C1, 512) can hash."""
MAX_SELECTION_LIMIT: Final = 64
"""Largest contest selection limit L or option limit R; a range proof has L + 1 parts."""
MAX_BALLOT_STYLES: Final = 10_000
MAX_LABEL_BYTES: Final = 256
MAX_AUX_BYTES: Final = 1024

# --- Encodings -------------------------------------------------------------------------------------

Elem = Annotated[bytes, msgspec.Meta(min_length=LEN_P, max_length=LEN_P)]
"""b(x, 512): an element of Z_p (§5.1.1)."""
Exp = Annotated[bytes, msgspec.Meta(min_length=LEN_Q, max_length=LEN_Q)]
"""b(x, 32): an element of Z_q (§5.1.2)."""
Digest = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
"""A 32-byte output of H (§5.4)."""
Index = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
"""A 1-based index (§3.1.3)."""
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_LABEL_BYTES)]


# --- Manifest, §3.1.3 ------------------------------------------------------------------------------


class ContestDescription(Record, frozen=True):
    """One contest: unique label, ordered option labels, contest limit L and option limit R (§3.1.3)."""

    label: Label
    options: tuple[Label, ...]
    selection_limit: Annotated[int, msgspec.Meta(ge=1)] = 1
    option_limit: Annotated[int, msgspec.Meta(ge=1)] = 1


class BallotStyle(Record, frozen=True):
    """A ballot style: its label and the (1-based) indices of the contests it shows (§3.1.3)."""

    label: Label
    contests: tuple[Index, ...]


class Manifest(Record, frozen=True):
    """The election manifest (§3.1.3). Its canonical encoding is the ``manifest`` file of eq. (6).

    ``chain_confirmation_codes`` selects the ballot chaining of §3.4.3 (B_aux,j = H_(j-1) || B_aux,0);
    ``info`` holds the optional descriptive fields (jurisdiction, date, ...), hashed with the rest.
    Eligibility (who may cast a ballot) is deliberately absent: it is the ledger app's business.
    """

    label: Label
    contests: tuple[ContestDescription, ...]
    ballot_styles: tuple[BallotStyle, ...]
    chain_confirmation_codes: bool = True
    info: dict[str, str] = msgspec.field(default_factory=dict)


def manifest_problems(manifest: Manifest) -> list[str]:
    """Every way ``manifest`` breaks §3.1.3 or the limits above (empty when it is well-formed)."""
    problems: list[str] = []
    if not 1 <= len(manifest.contests) <= MAX_CONTESTS:
        problems.append(f"a manifest has 1 to {MAX_CONTESTS} contests, not {len(manifest.contests)}")
    if not 1 <= len(manifest.ballot_styles) <= MAX_BALLOT_STYLES:
        problems.append(
            f"a manifest has 1 to {MAX_BALLOT_STYLES} ballot styles, not {len(manifest.ballot_styles)}"
        )
    problems += _label_problems("contest", [c.label for c in manifest.contests])
    problems += _label_problems("ballot style", [s.label for s in manifest.ballot_styles])
    for number, contest in enumerate(manifest.contests, start=1):
        where = f"contest {number} ({contest.label!r})"
        if not 1 <= len(contest.options) <= MAX_OPTIONS_PER_CONTEST:
            problems.append(
                f"{where} has {len(contest.options)} options; 1 to {MAX_OPTIONS_PER_CONTEST} allowed"
            )
        problems += _label_problems(f"{where}: option", list(contest.options))
        if not 1 <= contest.selection_limit <= MAX_SELECTION_LIMIT:
            problems.append(
                f"{where}: selection limit {contest.selection_limit} outside 1..{MAX_SELECTION_LIMIT}"
            )
        if not 1 <= contest.option_limit <= min(contest.selection_limit, MAX_SELECTION_LIMIT):
            problems.append(
                f"{where}: option limit {contest.option_limit} "
                f"outside 1..selection limit {contest.selection_limit}"
            )
    for style in manifest.ballot_styles:
        if not style.contests:
            problems.append(f"ballot style {style.label!r} shows no contest")
        if len(set(style.contests)) != len(style.contests):
            problems.append(f"ballot style {style.label!r} lists a contest twice")
        for index in style.contests:
            if not 1 <= index <= len(manifest.contests):
                problems.append(
                    f"ballot style {style.label!r} names contest index {index}, which does not exist"
                )
    return problems


def _label_problems(kind: str, labels: list[str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            problems.append(f"{kind} label {label!r} is not unique")
        seen.add(label)
        if label != label.strip() or any(ch in label for ch in "\t\r\n"):
            problems.append(f"{kind} label {label!r} has surrounding whitespace or a control character")
        if len(label.encode("utf-8")) > MAX_LABEL_BYTES:
            problems.append(f"{kind} label {label[:40]!r}... is longer than {MAX_LABEL_BYTES} bytes")
    return problems


def contest_data_blocks(contest: ContestDescription) -> int:
    """b_D for a contest (§3.3.6): enough 32-byte blocks for our contest data layout (see ballot.py)."""
    return (3 + 4 * len(contest.options) + 31) // 32


# --- Parameters and key ceremony, §3.1-3.2 ---------------------------------------------------------


class ElectionConstants(Record, frozen=True):
    """The baseline parameters as published in the record (§3.7), big-endian: p, q, r, g."""

    p: bytes
    q: bytes
    r: bytes
    g: bytes


class ElectionParameters(Record, frozen=True):
    """What fixes an election before the key ceremony: spec version, constants, n and k (§3.1, §3.2)."""

    version: str
    constants: ElectionConstants
    guardians: Annotated[int, msgspec.Meta(ge=1, le=MAX_GUARDIANS)]
    quorum: Annotated[int, msgspec.Meta(ge=1, le=MAX_GUARDIANS)]


class SchnorrProof(Record, frozen=True):
    """Proof of knowledge of a polynomial coefficient: challenge c_ij and response v_ij (eq. 11-12)."""

    challenge: Digest
    response: Exp


class GuardianPublicKey(Record, frozen=True):
    """Guardian G_i's commitments K_i,0..K_i,k-1 to its coefficients, with one proof each (§3.2.2).

    K_i = K_i,0 is the guardian's public key.
    """

    index: Index
    commitments: tuple[Elem, ...]
    proofs: tuple[SchnorrProof, ...]


class EncryptedShare(Record, frozen=True):
    """E_l(P_i(l)) = (C_i,l,0, C_i,l,1, C_i,l,2), eq. (18)-(19): G_i's share for G_l."""

    sender: Index
    receiver: Index
    c0: Elem
    c1: Exp
    c2: Digest


class ShareComplaint(Record, frozen=True):
    """G_l publicly reports that the share G_i sent it does not decrypt or verify (§3.2.2)."""

    receiver: Index
    sender: Index
    reason: str


class ShareReveal(Record, frozen=True):
    """G_i's answer to a complaint: the share P_i(l) and the nonce xi_i,l it encrypted it with (§3.2.2)."""

    sender: Index
    receiver: Index
    share: Exp
    nonce: Exp


# --- Ballots, §3.3-3.4 -----------------------------------------------------------------------------


class Ciphertext(Record, frozen=True):
    """A vote encryption (alpha, beta) = (g^xi, K^(sigma + xi)), eq. (24); or an aggregate (A, B)."""

    alpha: Elem
    beta: Elem


class RangeProof(Record, frozen=True):
    """A disjunctive Chaum-Pedersen range proof (§3.3.5): challenges c_0..c_R and responses v_0..v_R."""

    challenges: tuple[Digest, ...]
    responses: tuple[Exp, ...]


class HashedCiphertext(Record, frozen=True):
    """Hashed ElGamal encryption (C0, C1, C2) of contest data, eq. (53)-(55)."""

    c0: Elem
    c1: Annotated[bytes, msgspec.Meta(max_length=LEN_P)]
    c2: Digest


class EncryptedSelection(Record, frozen=True):
    """One option's encryption and its 0..R range proof (§3.3.5)."""

    ciphertext: Ciphertext
    proof: RangeProof


class EncryptedContest(Record, frozen=True):
    """One contest on a ballot: every option in manifest order, the 0..L limit proof (§3.3.8), the
    encrypted contest data (§3.3.6) and the contest hash chi_l (eq. 57)."""

    index: Index
    selections: tuple[EncryptedSelection, ...]
    proof: RangeProof
    data: HashedCiphertext
    contest_hash: Digest


class EncryptedBallot(Record, frozen=True):
    """An encrypted ballot as the device submits it, before the voter casts or challenges it.

    ``style`` is the ballot style index, ``contests`` follow the style's contests in increasing
    contest index, ``aux`` is B_aux of eq. (58) (with chaining: H_(j-1) || B_aux,0), and
    ``confirmation_code`` is H(B). ``device`` names the encrypting device whose chain it is on.
    """

    ballot_id: Label
    style: Index
    device: Label
    contests: tuple[EncryptedContest, ...]
    aux: Annotated[bytes, msgspec.Meta(max_length=MAX_AUX_BYTES + 32)]
    confirmation_code: Digest


class ProofCommitments(Record, frozen=True):
    """The commitments (a_0, b_0, ..., a_R, b_R) of every range proof of one ballot: a verification
    hint beside the ballot, not part of the ElectionGuard 2.0 record.

    The 2.0 proofs are in (challenge, response) form, so a verifier must recompute each commitment
    a_j = g^v_j alpha^c_j, b_j = K^w_j beta^c_j (eq. 5.1-5.2): two variable-base exponentiations
    per part, about 80% of the cost of checking a ballot. The device computed these values anyway
    to hash them; given them, the verifier hashes them as they are and checks all the equations at
    once with one random linear combination (``verify.BallotChecker``, soundness error 2^-64),
    falling back to the recomputation when that fails. ``proofs`` lists, contest by contest in
    ballot order, each option's proof and then the contest's limit proof, each as
    (a_0, b_0, a_1, b_1, ...). Costs 2 (R + 1) * 512 bytes per proof (about twice the ballot).
    """

    ballot_id: Label
    proofs: tuple[tuple[Elem, ...], ...]


class PlaintextContest(Record, frozen=True):
    """A voter's selections in one contest: one value per option, in manifest order."""

    label: Label
    votes: tuple[int, ...]


class PlaintextBallot(Record, frozen=True):
    """A voter's selections: the ballot style label and one entry per contest of that style."""

    ballot_id: Label
    style: Label
    contests: tuple[PlaintextContest, ...]


class BallotReveal(Record, frozen=True):
    """A Benaloh challenge answered by the device: the ballot nonce xi_B and the plaintext (§3.6.5).

    Anyone holding this and the confirmation code can re-encrypt and compare, on a second device.
    """

    ballot_id: Label
    ballot_nonce: Digest
    plaintext: PlaintextBallot


class SubmittedBallot(Record, frozen=True):
    """A ballot in the record with the voter's decision: cast (tallied) or challenged (decrypted)."""

    ballot: EncryptedBallot
    state: Literal["cast", "challenged"]


class DeviceChain(Record, frozen=True):
    """One device's confirmation-code chain (§3.4.3): B_aux,0, its ballots in order, the closing hash."""

    device: Label
    aux0: Annotated[bytes, msgspec.Meta(max_length=MAX_AUX_BYTES)]
    ballot_ids: tuple[Label, ...]
    closing_code: Digest


# --- Tally and decryption, §3.5-3.6 ----------------------------------------------------------------


class EncryptedTallyContest(Record, frozen=True):
    """(A, B) for every option of one contest, eq. (62), and how many cast ballots showed it."""

    index: Index
    ciphertexts: tuple[Ciphertext, ...]
    ballot_count: int


class EncryptedTally(Record, frozen=True):
    """The homomorphic aggregate of all cast ballots, one entry per manifest contest (§3.5)."""

    contests: tuple[EncryptedTallyContest, ...]
    ballot_count: int


class DecryptionProof(Record, frozen=True):
    """The joint Chaum-Pedersen proof (c, v) of a decryption, eq. (71)-(76)."""

    challenge: Digest
    response: Exp


class DecryptedValue(Record, frozen=True):
    """One decrypted option: label, value t, T = K^t (eq. 64) and the proof that M = B / T = A^s."""

    label: Label
    value: int
    t_value: Elem
    proof: DecryptionProof


class DecryptedContest(Record, frozen=True):
    """The decrypted options of one contest, in manifest order, with the contest's labels (§6.2.5)."""

    index: Index
    label: Label
    options: tuple[DecryptedValue, ...]


class DecryptedTally(Record, frozen=True):
    """The election result: every contest of the manifest decrypted with proofs."""

    contests: tuple[DecryptedContest, ...]


class ContestDataDecryption(Record, frozen=True):
    """Decrypted contest data (§3.6.4): beta = C0^s with its proof, and the plaintext bytes D."""

    beta: Elem
    proof: DecryptionProof
    data: bytes


class DecryptedBallotContest(Record, frozen=True):
    """A challenged ballot's contest decrypted by the guardians: options (S = K^sigma) and contest data."""

    index: Index
    label: Label
    options: tuple[DecryptedValue, ...]
    data: ContestDataDecryption


class DecryptedBallot(Record, frozen=True):
    """A challenged ballot decrypted by a quorum of guardians (§3.6.5, Verification 12-14)."""

    ballot_id: Label
    contests: tuple[DecryptedBallotContest, ...]


# --- Guardian messages of the decryption protocol, §3.6.3 ------------------------------------------


class DecryptionShare(Record, frozen=True):
    """Round 1 of a joint decryption, from guardian i: M_i = A^P(i) (eq. 66) and the commitments
    (a_i, b_i) = (g^u_i, A^u_i) (eq. 69), one triple per target, in the order the targets were given."""

    guardian: Index
    partials: tuple[Elem, ...]
    commitments_g: tuple[Elem, ...]
    commitments_a: tuple[Elem, ...]


class DecryptionChallenge(Record, frozen=True):
    """Round 2, from the combiner: the available guardians U and the joint challenge c per target."""

    guardians: tuple[Index, ...]
    challenges: tuple[Digest, ...]


class DecryptionResponse(Record, frozen=True):
    """Round 3, from guardian i: v_i = u_i - c_i P(i) mod q per target (eq. 73)."""

    guardian: Index
    responses: tuple[Exp, ...]


# --- The whole record, §3.7 ------------------------------------------------------------------------


class ElectionRecord(Record, frozen=True):
    """Everything a verifier needs (§3.7), as the ledger app will assemble it from ledger state."""

    parameters: ElectionParameters
    manifest: Manifest
    parameter_base_hash: Digest
    manifest_hash: Digest
    base_hash: Digest
    guardians: tuple[GuardianPublicKey, ...]
    joint_key: Elem
    extended_base_hash: Digest
    ballots: tuple[SubmittedBallot, ...]
    devices: tuple[DeviceChain, ...]
    encrypted_tally: EncryptedTally
    tally: DecryptedTally
    challenged_decryptions: tuple[DecryptedBallot, ...] = ()
    challenged_reveals: tuple[BallotReveal, ...] = ()
