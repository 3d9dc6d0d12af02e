"""Election scenarios for the tests: guardians that keep their secrets off the ledger, voters with
one-time credentials and an encrypting device, and the steps of an election as ledger transactions.

Everything secret (guardian coefficients, key shares, ballot nonces) lives in these Python objects,
as it would on the guardians' and voters' own machines; only records go into transactions.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from govledger.apps.voting import crypto, queries, store
from govledger.apps.voting import device as voter_device
from govledger.apps.voting.model import (
    MAX_BALLOTS_PER_BLOCK,
    ChallengeBallot,
    ConfirmShares,
    CreateElection,
    Election,
    ElectionId,
    PostDecryptionResponse,
    PostDecryptionShare,
    PostGuardianKey,
    PostShares,
    RegisterCredentials,
    SharesFor,
)
from govledger.crypto.signatures import SigningKey
from govledger.voting import keyceremony
from govledger.voting.ballot import ElectionContext, plaintext_ballot, reveal
from govledger.voting.records import (
    BallotReveal,
    BallotStyle,
    ContestDescription,
    EncryptedBallot,
    GuardianPublicKey,
    Manifest,
    PlaintextBallot,
    ProofCommitments,
    ShareComplaint,
)
from govledger.voting.tally import GuardianNonces, decryption_response, decryption_share

from .harness import HOUR_MS, A, Backend, Op, SeededRandom, cred_pub, credential, ok_all

E = "mayor-2026"
OPENS_IN_MS = 2 * HOUR_MS
WINDOW_MS = 10 * HOUR_MS


def manifest() -> Manifest:
    """Three contests (1-of-3, 2-of-4, yes/no) and two ballot styles, without device chaining."""
    return Manifest(
        label="govledger-voting-app-test",
        contests=(
            ContestDescription("mayor", ("alice", "bob", "carol")),
            ContestDescription("council", ("dan", "eve", "frank", "grace"), selection_limit=2),
            ContestDescription("measure-1", ("yes", "no")),
        ),
        ballot_styles=(BallotStyle("all", (1, 2, 3)), BallotStyle("city", (1, 3))),
        chain_confirmation_codes=False,
        info={"jurisdiction": "Test County"},
    )


def create_body(
    backend: Backend, *, e: str = E, n: int = 5, k: int = 3, mf: Manifest | None = None
) -> CreateElection:
    opens = backend.time_ms + OPENS_IN_MS
    return CreateElection(
        election_id=e,
        authority_org="commission",
        manifest=mf or manifest(),
        guardians=tuple(f"guardian-{i}" for i in range(1, n + 1)),
        quorum=k,
        opens_ms=opens,
        closes_ms=opens + WINDOW_MS,
    )


def election(backend: Backend, e: str = E) -> Election:
    found = store.get_election(backend.view, e)
    assert found is not None
    return found


# --- guardians ----------------------------------------------------------------------------------------------


@dataclass
class Guardian:
    """Guardian i on its own machine: its secrets, what it received, its key share P(i)."""

    index: int
    signer: SigningKey
    secrets: keyceremony.GuardianSecrets
    public: GuardianPublicKey
    received: dict[int, int] = field(default_factory=dict)
    share_nonces: dict[int, int] = field(default_factory=dict)  # kept until the ceremony ends
    nonces: dict[tuple[int, int], GuardianNonces] = field(default_factory=dict)
    key_share: int = 0


def make_guardians(h_p: bytes, n: int, k: int, seed: int = 7) -> list[Guardian]:
    rng = SeededRandom(seed)
    out = []
    for i in range(1, n + 1):
        secrets, public = keyceremony.generate_guardian(i, k, h_p, rng)
        out.append(Guardian(i, A.guardians[i - 1], secrets, public))
    return out


def post_keys(backend: Backend, guardians: Sequence[Guardian], e: str = E) -> None:
    ok_all(backend.run([("post_guardian_key", PostGuardianKey(e, g.public), [g.signer]) for g in guardians]))


def share_ops(guardians: Sequence[Guardian], h_p: bytes, e: str = E, seed: int = 11) -> list[Op]:
    rng = SeededRandom(seed)
    ops: list[Op] = []
    for g in guardians:
        shares = []
        for other in guardians:
            if other.index != g.index:
                share, g.share_nonces[other.index] = keyceremony.encrypt_share(
                    h_p, g.secrets, other.public, rng
                )
                shares.append(share)
        ops.append(("post_shares", PostShares(e, g.index, tuple(shares)), [g.signer]))
    return ops


def receive(
    backend: Backend, g: Guardian, by_index: Mapping[int, Guardian], h_p: bytes, e: str = E
) -> list[ShareComplaint]:
    """Guardian g decrypts and checks the shares the ledger holds for it; returns its complaints."""
    complaints = []
    for share in queries.shares_for(backend.view, SharesFor(e, g.index)):
        outcome = keyceremony.receive_share(h_p, g.secrets, by_index[share.sender].public, share)
        if isinstance(outcome, ShareComplaint):
            complaints.append(outcome)
        else:
            g.received[share.sender] = outcome
    return complaints


def finish_ceremony(backend: Backend, guardians: Sequence[Guardian], e: str = E) -> None:
    for g in guardians:
        g.key_share = keyceremony.key_share(g.secrets, g.received)
    ok_all(backend.run([("confirm_shares", ConfirmShares(e, g.index), [g.signer]) for g in guardians]))


def run_ceremony(backend: Backend, n: int = 5, k: int = 3, e: str = E) -> list[Guardian]:
    h_p = election(backend, e).parameter_base_hash
    guardians = make_guardians(h_p, n, k)
    post_keys(backend, guardians, e)
    ok_all(backend.run(share_ops(guardians, h_p, e)))
    by_index = {g.index: g for g in guardians}
    for g in guardians:
        assert receive(backend, g, by_index, h_p, e) == []
    finish_ceremony(backend, guardians, e)
    return guardians


# --- voters ---------------------------------------------------------------------------------------


def register(backend: Backend, voters: Sequence[int], style: str = "all", e: str = E) -> None:
    keys = tuple(cred_pub(credential(v)) for v in voters)
    ok_all(backend.run([("register_credentials", RegisterCredentials(e, style, keys), [A.official])]))


def context(backend: Backend, e: str = E) -> ElectionContext:
    return crypto.context(election(backend, e))


@dataclass
class Ballot:
    """An encrypted ballot as the device shows it, with what it needs to cast or challenge it."""

    voter: int
    plain: PlaintextBallot
    encrypted: EncryptedBallot
    nonce: bytes
    commitments: ProofCommitments

    def cast(self, e: str = E, *, with_commitments: bool = True) -> Op:
        """The cast as the device sends it (`device.cast_body`: with the proof commitments)."""
        held = voter_device.DeviceBallot(self.plain, self.encrypted, self.nonce, self.commitments)
        body = voter_device.cast_body(
            e, cred_pub(credential(self.voter)), held, with_commitments=with_commitments
        )
        return ("cast_ballot", body, [credential(self.voter)])

    def challenge(self, e: str = E) -> Op:
        body = ChallengeBallot(e, cred_pub(credential(self.voter)), self.encrypted, self.reveal())
        return ("challenge_ballot", body, [credential(self.voter)])

    def reveal(self) -> BallotReveal:
        return reveal(self.plain, self.nonce)


_BALLOT_IDS = iter(range(1, 10**9))


def encrypt(
    ctx: ElectionContext,
    voter: int,
    choices: Mapping[str, Mapping[str, int]],
    *,
    style: str = "all",
    device: str = "booth-1",
    seed: int | None = None,
) -> Ballot:
    number = next(_BALLOT_IDS)
    ballot_id = f"b-{number:06d}-{voter}"
    plain = plaintext_ballot(ctx.manifest, ballot_id, style, choices)
    rng = SeededRandom(number if seed is None else seed)
    held = voter_device.encrypt(ctx, plain, device=device, rng=rng)
    return Ballot(voter, plain, held.encrypted, held.nonce, held.commitments)


def random_choices(rnd: random.Random, mf: Manifest, style: str) -> dict[str, dict[str, int]]:
    """Valid votes, with the occasional undervote and null vote (and no overvote)."""
    shown = next(s.contests for s in mf.ballot_styles if s.label == style)
    choices: dict[str, dict[str, int]] = {}
    for index in shown:
        c = mf.contests[index - 1]
        count = 0 if rnd.random() < 0.1 else rnd.randint(1, c.selection_limit)
        choices[c.label] = {option: 1 for option in rnd.sample(c.options, count)}
    return choices


def add_votes(totals: dict[str, list[int]], mf: Manifest, plain: PlaintextBallot, sign: int = 1) -> None:
    for pc in plain.contests:
        c = next(c for c in mf.contests if c.label == pc.label)
        if sum(pc.votes) <= c.selection_limit:
            totals[pc.label] = [t + sign * v for t, v in zip(totals[pc.label], pc.votes, strict=True)]


def run_ops_in_blocks(backend: Backend, ops: Sequence[Op]) -> None:
    """Submit ballots in blocks of MAX_BALLOTS_PER_BLOCK, all accepted."""
    for start in range(0, len(ops), MAX_BALLOTS_PER_BLOCK):
        ok_all(backend.run(list(ops[start : start + MAX_BALLOTS_PER_BLOCK])))


def advance_to(backend: Backend, time_ms: int) -> None:
    """One empty block at exactly `time_ms` (end_block runs the timers due)."""
    assert time_ms > backend.time_ms
    ok_all(backend.run([], advance_ms=time_ms - backend.time_ms))


def open_voting(backend: Backend, e: str = E) -> None:
    advance_to(backend, election(backend, e).opens_ms)


def close_poll(backend: Backend, e: str = E) -> None:
    advance_to(backend, election(backend, e).closes_ms)


# --- counting -------------------------------------------------------------------------------------


def decrypt(backend: Backend, present: Sequence[Guardian], e: str = E, seed: int = 99) -> None:
    """Counting day with the guardians in `present` (any k): round 1 for every chunk, then round 3."""
    rng = SeededRandom(seed)
    d = queries.decryption(backend.view, ElectionId(e))
    tally = store.get_tally(backend.view, e)
    assert d is not None and tally is not None
    ops: list[Op] = []
    for chunk in range(len(d.chunks)):
        targets = crypto.chunk_targets(tally, chunk)
        for g in present:
            share, nonces = decryption_share(g.index, g.key_share, targets, rng)
            g.nonces[(d.attempt, chunk)] = nonces
            ops.append(("post_decryption_share", PostDecryptionShare(e, d.attempt, chunk, share), [g.signer]))
    ok_all(backend.run(ops))
    respond(backend, present, e)


def respond(backend: Backend, present: Sequence[Guardian], e: str = E) -> None:
    d = queries.decryption(backend.view, ElectionId(e))
    assert d is not None
    ops: list[Op] = []
    for cv in d.chunks:
        assert cv.challenge is not None, "k shares are in"
        for g in present:
            if g.index not in cv.challenge.challenge.guardians:
                continue
            response = decryption_response(
                g.index, g.key_share, g.nonces[(d.attempt, cv.chunk)], cv.challenge.challenge
            )
            ops.append(
                (
                    "post_decryption_response",
                    PostDecryptionResponse(e, d.attempt, cv.chunk, response),
                    [g.signer],
                )
            )
    ok_all(backend.run(ops))


def replace(mf: Manifest, **changes: object) -> Manifest:
    return msgspec.structs.replace(mf, **changes)


# --- a whole election -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an end-to-end run produced, and what the tally must say."""

    guardians: list[Guardian]
    expected: dict[str, list[int]]
    counted: list[Ballot]
    superseded: list[Ballot]
    challenged: list[Ballot]


def run_election(
    backend: Backend, ballots: int, *, seed: int = 2026, absent: tuple[int, ...] = (2, 4)
) -> Outcome:
    """5 guardians, quorum 3; `ballots` ballots over 3 contests from ~ballots/1.25 voters on two
    devices: about one voter in five revotes (the last ballot counts), two ballots are challenged
    (opened, never counted), one voter in ten holds a `city` credential; guardians in `absent`
    stay away on counting day."""
    rnd = random.Random(seed)
    backend.run([("create_election", create_body(backend), [A.official])])
    guardians = run_ceremony(backend)
    voters = max(2, ballots * 4 // 5)
    city = {v for v in range(1, voters + 1) if v % 10 == 0}
    everyone = [v for v in range(1, voters + 1) if v not in city]
    for start in range(0, len(everyone), 500):
        register(backend, everyone[start : start + 500])
    if city:
        register(backend, sorted(city), style="city")
    open_voting(backend)
    mf, ctx = election(backend).manifest, context(backend)
    last: dict[int, Ballot] = {}
    superseded: list[Ballot] = []
    challenged: list[Ballot] = []
    ops: list[Op] = []
    for n in range(ballots):
        voter = n + 1 if n < voters else rnd.randint(1, voters)
        style = "city" if voter in city else "all"
        b = encrypt(ctx, voter, random_choices(rnd, mf, style), style=style, device=f"booth-{n % 2 + 1}")
        if n in (3, ballots // 2):
            challenged.append(b)
            ops.append(b.challenge())
            continue
        if voter in last:
            superseded.append(last[voter])
        last[voter] = b
        ops.append(b.cast())
    run_ops_in_blocks(backend, ops)
    close_poll(backend)
    decrypt(backend, [g for g in guardians if g.index not in absent])
    expected = {c.label: [0] * len(c.options) for c in mf.contests}
    for b in last.values():
        add_votes(expected, mf, b.plain)
    return Outcome(guardians, expected, list(last.values()), superseded, challenged)
