"""Shared fixtures for the ElectionGuard tests: seeded randomness, the shared vectors, a small election."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govledger.codec import encode
from govledger.voting import group as gr
from govledger.voting import hash as eh
from govledger.voting.ballot import ElectionContext, EncryptionDevice, plaintext_ballot, reveal
from govledger.voting.keyceremony import CeremonyResult, run_trusted_ceremony
from govledger.voting.records import (
    BallotReveal,
    BallotStyle,
    ContestDescription,
    ElectionConstants,
    ElectionParameters,
    ElectionRecord,
    EncryptedBallot,
    Manifest,
    PlaintextBallot,
    ProofCommitments,
    SubmittedBallot,
)
from govledger.voting.tally import aggregate, decrypt_ballot, decrypt_tally

from .support import SeededRandom as SeededRandom


def shared_dir() -> Path:
    """/work/shared, found relative to the repository root (tests/voting/conftest.py -> parents[2])."""
    return Path(__file__).resolve().parents[2].parent / "shared"


VECTORS = (
    shared_dir() / "vectors" / "electionguard-2.0" / "egklib" / "src" / "commonTest" / "data" / "testvectors"
)


def three_contest_manifest() -> Manifest:
    """Three contests (1-of-3, 2-of-4, yes/no) and two ballot styles."""
    return Manifest(
        label="govledger-test-election",
        contests=(
            ContestDescription("mayor", ("alice", "bob", "carol")),
            ContestDescription("council", ("dan", "eve", "frank", "grace"), selection_limit=2),
            ContestDescription("measure-1", ("yes", "no")),
        ),
        ballot_styles=(BallotStyle("all", (1, 2, 3)), BallotStyle("city", (1, 3))),
        info={"jurisdiction": "Test County", "date": "2026-11-27"},
    )


def standard_parameters(n: int, k: int) -> ElectionParameters:
    constants = ElectionConstants(
        p=gr.elem_bytes(gr.P), q=gr.exp_bytes(gr.Q), r=gr.elem_bytes(gr.R), g=gr.elem_bytes(gr.G)
    )
    return ElectionParameters(version=gr.SPEC_VERSION, constants=constants, guardians=n, quorum=k)


@dataclass(frozen=True)
class Election:
    """A configured election after its key ceremony: everything but ballots."""

    manifest: Manifest
    parameters: ElectionParameters
    h_p: bytes
    h_m: bytes
    h_b: bytes
    h_e: bytes
    ceremony: CeremonyResult
    ctx: ElectionContext


def make_election(n: int, k: int, seed: int, manifest: Manifest | None = None) -> Election:
    manifest = three_contest_manifest() if manifest is None else manifest
    h_p = eh.parameter_base_hash(gr.P, gr.Q, gr.G)
    h_m = eh.manifest_hash(h_p, encode(manifest))
    h_b = eh.base_hash(h_p, h_m, n, k)
    ceremony = run_trusted_ceremony(n, k, h_p, SeededRandom(seed))
    h_e = eh.extended_base_hash(h_b, ceremony.joint_key)
    ctx = ElectionContext.create(manifest, ceremony.joint_key, h_e)
    return Election(manifest, standard_parameters(n, k), h_p, h_m, h_b, h_e, ceremony, ctx)


@pytest.fixture(scope="session")
def election_5_3() -> Election:
    """5 guardians, quorum 3, the three-contest manifest (shared by the ballot and election tests)."""
    return make_election(5, 3, seed=2026)


@dataclass
class BuiltElection:
    """An election run end to end: the record, the expected tally and what each phase cost."""

    record: ElectionRecord
    expected: dict[str, list[int]]
    plaintexts: dict[str, PlaintextBallot]
    seconds: dict[str, float]
    commitments: dict[str, ProofCommitments] = field(default_factory=dict)
    """Every ballot's proof commitments (the devices' verification hints), by ballot id."""


def random_choices(rnd: random.Random, manifest: Manifest, style: str) -> dict[str, dict[str, int]]:
    """Mostly valid votes, with the occasional undervote, null vote and overvote."""
    shown = next(s.contests for s in manifest.ballot_styles if s.label == style)
    choices: dict[str, dict[str, int]] = {}
    for index in shown:
        contest = manifest.contests[index - 1]
        roll = rnd.random()
        count = (
            contest.selection_limit + 1
            if roll < 0.05
            else (0 if roll < 0.1 else rnd.randint(1, contest.selection_limit))
        )
        picked = rnd.sample(contest.options, min(count, len(contest.options)))
        choices[contest.label] = {option: 1 for option in picked}
    return choices


def build_record(
    election: Election,
    ballots: int,
    seed: int,
    *,
    present: tuple[int, ...] = (1, 3, 5),
    reveal_ids: frozenset[int] = frozenset(),
    decrypt_ids: frozenset[int] = frozenset(),
    style: str | None = None,
) -> BuiltElection:
    """Encrypt ``ballots`` random ballots on two chained devices, challenge some (reveal or guardian
    decryption), tally the rest with the guardians in ``present``, and assemble the election record."""
    rnd = random.Random(seed)
    rng = SeededRandom(seed)
    ctx, manifest = election.ctx, election.manifest
    devices = [EncryptionDevice(ctx, "precinct-1/bmd-1"), EncryptionDevice(ctx, "precinct-2/bmd-1")]
    submitted: list[SubmittedBallot] = []
    reveals: list[BallotReveal] = []
    to_decrypt: list[EncryptedBallot] = []
    plaintexts: dict[str, PlaintextBallot] = {}
    commitments: dict[str, ProofCommitments] = {}
    expected = {c.label: [0] * len(c.options) for c in manifest.contests}
    started = time.perf_counter()
    for n in range(ballots):
        chosen = style or ("all" if rnd.random() < 0.8 else "city")
        plain = plaintext_ballot(manifest, f"ballot-{n:05d}", chosen, random_choices(rnd, manifest, chosen))
        plaintexts[plain.ballot_id] = plain
        out: list[tuple[bytes, ...]] = []
        encrypted, nonce = devices[n % 2].encrypt(plain, rng, commitments_out=out)
        commitments[encrypted.ballot_id] = ProofCommitments(encrypted.ballot_id, tuple(out))
        if n in reveal_ids or n in decrypt_ids:
            submitted.append(SubmittedBallot(encrypted, "challenged"))
            if n in reveal_ids:
                reveals.append(reveal(plain, nonce))
            else:
                to_decrypt.append(encrypted)
            continue
        submitted.append(SubmittedBallot(encrypted, "cast"))
        for pc in plain.contests:
            description = next(c for c in manifest.contests if c.label == pc.label)
            if sum(pc.votes) <= description.selection_limit:  # an overvote counts as zeros (§3.3.7)
                expected[pc.label] = [a + b for a, b in zip(expected[pc.label], pc.votes, strict=True)]
    chains = tuple(d.close() for d in devices)
    encrypted_at = time.perf_counter()
    shares = {i: election.ceremony.key_shares[i] for i in present}
    keys, k, h_e, joint = (
        election.ceremony.public_keys,
        election.parameters.quorum,
        election.h_e,
        election.ceremony.joint_key,
    )
    encrypted_tally = aggregate(manifest, [s.ballot for s in submitted if s.state == "cast"])
    tally = decrypt_tally(h_e, joint, manifest, encrypted_tally, k, shares, keys, rng)
    decrypted = tuple(decrypt_ballot(h_e, joint, manifest, b, k, shares, keys, rng) for b in to_decrypt)
    done = time.perf_counter()
    record = ElectionRecord(
        parameters=election.parameters,
        manifest=manifest,
        parameter_base_hash=election.h_p,
        manifest_hash=election.h_m,
        base_hash=election.h_b,
        guardians=keys,
        joint_key=gr.elem_bytes(joint),
        extended_base_hash=h_e,
        ballots=tuple(submitted),
        devices=chains,
        encrypted_tally=encrypted_tally,
        tally=tally,
        challenged_decryptions=decrypted,
        challenged_reveals=tuple(reveals),
    )
    seconds = {"encrypt": encrypted_at - started, "tally_and_decrypt": done - encrypted_at}
    return BuiltElection(record, expected, plaintexts, seconds, commitments)
