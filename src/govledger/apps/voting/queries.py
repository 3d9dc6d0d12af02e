"""Read-only questions about elections; the node proves every key a query reads.

Each query reads only what its answer needs, key by key, and lists are complete by construction:
the election names its guardians, the ceremony counts its complaints, the counts record says how
many ballots exist (seq 1..ballots), the counting record says how many chunks there are. The one
scan (complaints of a round) reports whether it returned all of them.

A voter's lookup (`ballot_by_code`) reads the code index, the ballot, its credential and the
election: the answer (included, at which height, counted or not, why not) is proved against a
signed header like any other.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.voting import store
from govledger.apps.voting.model import (
    CAST,
    MAX_BALLOT_PAGE,
    MAX_HINT_PAGE,
    BallotEntry,
    BallotPage,
    BallotRef,
    BallotStatus,
    ByCode,
    ChunkRef,
    ChunkView,
    ComplaintEntry,
    Counts,
    Credential,
    CredentialRef,
    DecryptionView,
    Election,
    ElectionId,
    GuardianInfo,
    GuardiansView,
    PhaseInfo,
    SharesFor,
)
from govledger.codec import decode_trusted
from govledger.ledger.app import AppView, Query
from govledger.voting.records import DecryptedTally, EncryptedShare, EncryptedTally, ProofCommitments


def _valid_id(value: str) -> bool:
    """Queries answer None for ids that cannot exist rather than reading odd keys."""
    return 0 < len(value) <= 64 and value.isascii() and "/" not in value


def election(view: AppView, p: ElectionId) -> Election | None:
    return store.get_election(view, p.election_id) if _valid_id(p.election_id) else None


def phase(view: AppView, p: ElectionId) -> PhaseInfo | None:
    e = election(view, p)
    if e is None:
        return None
    return PhaseInfo(
        election_id=e.election_id,
        phase=e.phase,
        opens_ms=e.opens_ms,
        closes_ms=e.closes_ms,
        key_ready=bool(e.joint_key),
        opened_height=e.opened_height,
        closed_height=e.closed_height,
        tallied_height=e.tallied_height,
        failure=e.failure,
    )


def guardians(view: AppView, p: ElectionId) -> GuardiansView | None:
    """The current ceremony round: each guardian's key (if posted), progress, and the complaints."""
    e = election(view, p)
    if e is None:
        return None
    c = store.load_ceremony(view, e.election_id)
    infos = tuple(
        GuardianInfo(
            index=i,
            member_id=member,
            key=store.get_guardian_key(view, e.election_id, c.round, i) if i in c.keys else None,
            shares_posted=i in c.shares,
            confirmed=i in c.confirmed,
        )
        for i, member in enumerate(e.guardians, start=1)
    )
    rows = view.scan(store.complaints_prefix(e.election_id, c.round), limit=c.complaints)
    complaints = tuple(decode_trusted(v, ComplaintEntry) for _, v in rows)
    return GuardiansView(
        round=c.round,
        quorum=e.quorum,
        guardians=infos,
        complaints=complaints,
        complete=len(complaints) == c.complaints,
        joint_key=e.joint_key,
        extended_base_hash=e.extended_base_hash,
    )


def shares_for(view: AppView, p: SharesFor) -> list[EncryptedShare]:
    """The encrypted shares addressed to guardian `receiver` in the current round (what it decrypts)."""
    e = election(view, ElectionId(p.election_id))
    if e is None or not 1 <= p.receiver <= len(e.guardians):
        return []
    rnd = store.load_ceremony(view, e.election_id).round
    found = [store.get_share(view, e.election_id, rnd, s, p.receiver) for s in range(1, len(e.guardians) + 1)]
    return [s for s in found if s is not None]


def counts(view: AppView, p: ElectionId) -> Counts | None:
    return store.load_counts(view, p.election_id) if election(view, p) is not None else None


def _status(view: AppView, entry: BallotEntry) -> BallotStatus:
    e = store.get_election(view, entry.election_id)
    cred = store.get_credential(view, entry.election_id, entry.credential)
    assert e is not None and cred is not None, "a ballot's election and credential exist"
    b = entry.ballot
    return BallotStatus(
        election_id=entry.election_id,
        ballot_id=b.ballot_id,
        confirmation_code=b.confirmation_code,
        status=entry.status,
        counted=entry.status == CAST and cred.revoked_height == 0,
        seq=entry.seq,
        height=entry.height,
        time_ms=entry.time_ms,
        tx_id=entry.tx_id,
        replaced_by=entry.replaced_by,
        ended_height=entry.ended_height,
        election_phase=e.phase,
    )


def ballot_by_code(view: AppView, p: ByCode) -> BallotStatus | None:
    """A voter's check: is the ballot with this confirmation code on the ledger, and does it count?"""
    if len(p.code) != 32:
        return None
    ref = store.get_code(view, p.code)
    if ref is None:
        return None
    entry = store.get_ballot(view, ref.election_id, ref.ballot_id)
    assert entry is not None, "the code index points at stored ballots only"
    return _status(view, entry)


def ballot(view: AppView, p: BallotRef) -> BallotEntry | None:
    """The ballot itself (encrypted, with its proofs; with its reveal if it was challenged)."""
    if not (_valid_id(p.election_id) and _valid_id(p.ballot_id)):
        return None
    return store.get_ballot(view, p.election_id, p.ballot_id)


def ballots(view: AppView, p: BallotPage) -> list[BallotEntry]:
    """Ballots in admission order, seq `start` .. (at most 50 of them); the count is in `counts`."""
    if election(view, ElectionId(p.election_id)) is None:
        return []
    total = store.load_counts(view, p.election_id).ballots
    first = max(1, p.start)
    last = min(total, first + min(max(p.limit, 1), MAX_BALLOT_PAGE) - 1)
    out = []
    for seq in range(first, last + 1):
        ballot_id = store.ballot_id_at(view, p.election_id, seq)
        assert ballot_id is not None, "seq 1..ballots are all written"
        entry = store.get_ballot(view, p.election_id, ballot_id)
        assert entry is not None
        out.append(entry)
    return out


def commitments(view: AppView, p: BallotPage) -> list[ProofCommitments]:
    """The devices' proof commitments of the ballots seq `start` .. (at most 20 ballots; those cast
    without them are skipped): the verifier's hint, never needed to verify."""
    if election(view, ElectionId(p.election_id)) is None:
        return []
    total = store.load_counts(view, p.election_id).ballots
    first = max(1, p.start)
    last = min(total, first + min(max(p.limit, 1), MAX_HINT_PAGE) - 1)
    out = []
    for seq in range(first, last + 1):
        ballot_id = store.ballot_id_at(view, p.election_id, seq)
        assert ballot_id is not None, "seq 1..ballots are all written"
        hint = store.get_hint(view, p.election_id, ballot_id)
        if hint is not None:
            out.append(hint)
    return out


def credential(view: AppView, p: CredentialRef) -> Credential | None:
    """A credential's status: registered, revoked, its counted ballot (a voter checks their own)."""
    if not _valid_id(p.election_id) or len(p.key) != 32:
        return None
    return store.get_credential(view, p.election_id, p.key)


def encrypted_tally(view: AppView, p: ElectionId) -> EncryptedTally | None:
    """The homomorphic aggregate of the cast ballots, recorded when the poll closed."""
    return store.get_tally(view, p.election_id) if _valid_id(p.election_id) else None


def result(view: AppView, p: ElectionId) -> DecryptedTally | None:
    """The decrypted tally with a Chaum-Pedersen proof per option, once k guardians have decrypted."""
    return store.get_result(view, p.election_id) if _valid_id(p.election_id) else None


def decryption(view: AppView, p: ElectionId) -> DecryptionView | None:
    """Counting progress of the current attempt: per chunk, who shared, the challenge, who answered."""
    if not _valid_id(p.election_id):
        return None
    counting = store.get_counting(view, p.election_id)
    if counting is None:
        return None
    chunks = []
    for n in range(counting.chunks):
        cs = store.get_chunk_state(view, p.election_id, counting.attempt, n)
        chunks.append(
            ChunkView(
                chunk=n,
                sharers=cs.sharers,
                responders=cs.responders,
                challenge=store.get_chunk_challenge(view, p.election_id, counting.attempt, n),
                done=n in counting.done,
            )
        )
    return DecryptionView(attempt=counting.attempt, targets=counting.targets, chunks=tuple(chunks))


def chunk_challenge(view: AppView, p: ChunkRef) -> ChunkView | None:
    """One chunk of the current attempt (what a guardian needs for round 3)."""
    d = decryption(view, ElectionId(p.election_id))
    if d is None or not 0 <= p.chunk < len(d.chunks):
        return None
    return d.chunks[p.chunk]


QUERIES: dict[str, Query[Any]] = {
    "election": Query(
        ElectionId, election, "An election: manifest, guardians, window, hashes, phase, K, H_E."
    ),
    "phase": Query(ElectionId, phase, "An election's phase and window."),
    "guardians": Query(ElectionId, guardians, "The key ceremony: guardian keys, progress, complaints."),
    "shares_for": Query(SharesFor, shares_for, "Encrypted shares addressed to one guardian."),
    "counts": Query(ElectionId, counts, "Credentials and ballots counted by status."),
    "ballot_by_code": Query(ByCode, ballot_by_code, "A voter's lookup by confirmation code."),
    "ballot": Query(BallotRef, ballot, "One encrypted ballot with its status (and reveal if challenged)."),
    "ballots": Query(BallotPage, ballots, "Ballots in admission order, 50 per page."),
    "commitments": Query(
        BallotPage, commitments, "The devices' proof commitments of ballots in admission order, 20 per page."
    ),
    "credential": Query(CredentialRef, credential, "A credential's status and counted ballot."),
    "encrypted_tally": Query(ElectionId, encrypted_tally, "The encrypted tally recorded at close."),
    "result": Query(ElectionId, result, "The decrypted tally with its proofs."),
    "decryption": Query(ElectionId, decryption, "Counting progress: chunks, shares, challenges, responses."),
    "chunk": Query(ChunkRef, chunk_challenge, "One decryption chunk of the current attempt."),
}
