"""The voting app's key space, and the only module that reads or writes it.

Key space (app-relative; election ids never contain '/', numbers are zero-padded so that byte order
is numeric order):

    election/<e>                                 -> Election
    ceremony/<e>                                 -> Ceremony          the current round's progress
    gkey/<e>/<round 4>/<i 2>                      -> GuardianPublicKey
    gshare/<e>/<round 4>/<sender 2>/<receiver 2>  -> EncryptedShare
    complaint/<e>/<round 4>/<sender 2>/<receiver 2> -> ComplaintEntry
    cred/<e>/<key hex>                           -> Credential
    ballot/<e>/<ballot id>                       -> BallotEntry
    hint/<e>/<ballot id>                         -> ProofCommitments  the device's, when the cast carried them
    seq/<e>/<seq 10>                             -> ballot id         admission order
    code/<confirmation code, 32 bytes>           -> CodeRef           the voter's lookup index
    counts/<e>                                   -> Counts
    agg/<e>/<contest 3>                          -> EncryptedTallyContest   running product of cast ballots
    tally/<e>                                    -> EncryptedTally    recorded when the poll closes
    counting/<e>                                 -> Counting
    dchunk|dchal|dres/<e>/<attempt 4>/<chunk 4>  -> ChunkState | ChunkChallenge | ChunkResult
    dshare|dresp/<e>/<attempt 4>/<chunk 4>/<i 2> -> DecryptionShare | DecryptionResponse
    result/<e>                                   -> DecryptedTally
    timer/<time ms 16>/<kind>/<e>                -> b""               what end_block does, in time order
    meter                                        -> BlockMeter

Rules kept here, so that no operation can forget them:
- the running aggregate `agg/<e>/<c>` is always the product of the ciphertexts of exactly the ballots
  whose status is `cast` (`count_ballot` and `uncount_ballot` are the only writers), so the tally
  recorded at close needs no scan of the ballots;
- a ballot's code, id and seq indexes are written together, once, and never deleted;
- every ElectionGuard record is stored as the core's own type, unchanged.
"""

from __future__ import annotations

from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    BallotEntry,
    BlockMeter,
    Ceremony,
    ChunkChallenge,
    ChunkResult,
    ChunkState,
    CodeRef,
    ComplaintEntry,
    Counting,
    Counts,
    Credential,
    Election,
)
from govledger.ledger.app import AppState, AppView
from govledger.voting.group import elem_bytes, from_bytes, inv_p, mul_p
from govledger.voting.records import (
    Ciphertext,
    DecryptedTally,
    DecryptionResponse,
    DecryptionShare,
    EncryptedBallot,
    EncryptedShare,
    EncryptedTally,
    EncryptedTallyContest,
    GuardianPublicKey,
    Manifest,
    ProofCommitments,
)

# --- keys ---------------------------------------------------------------------------------------------


def _k(*parts: str) -> bytes:
    return "/".join(parts).encode()


def election_key(e: str) -> bytes:
    return _k("election", e)


def ceremony_key(e: str) -> bytes:
    return _k("ceremony", e)


def guardian_key_key(e: str, rnd: int, i: int) -> bytes:
    return _k("gkey", e, f"{rnd:04d}", f"{i:02d}")


def share_key(e: str, rnd: int, sender: int, receiver: int) -> bytes:
    return _k("gshare", e, f"{rnd:04d}", f"{sender:02d}", f"{receiver:02d}")


def complaint_key(e: str, rnd: int, sender: int, receiver: int) -> bytes:
    return _k("complaint", e, f"{rnd:04d}", f"{sender:02d}", f"{receiver:02d}")


def complaints_prefix(e: str, rnd: int) -> bytes:
    return _k("complaint", e, f"{rnd:04d}") + b"/"


def credential_key(e: str, key: bytes) -> bytes:
    return _k("cred", e, key.hex())


def ballot_key(e: str, ballot_id: str) -> bytes:
    return _k("ballot", e, ballot_id)


def hint_key(e: str, ballot_id: str) -> bytes:
    return _k("hint", e, ballot_id)


def seq_key(e: str, seq: int) -> bytes:
    return _k("seq", e, f"{seq:010d}")


def code_key(code: bytes) -> bytes:
    return b"code/" + code


def counts_key(e: str) -> bytes:
    return _k("counts", e)


def aggregate_key(e: str, contest: int) -> bytes:
    return _k("agg", e, f"{contest:03d}")


def tally_key(e: str) -> bytes:
    return _k("tally", e)


def counting_key(e: str) -> bytes:
    return _k("counting", e)


def chunk_key(kind: str, e: str, attempt: int, chunk: int) -> bytes:
    return _k(kind, e, f"{attempt:04d}", f"{chunk:04d}")


def guardian_chunk_key(kind: str, e: str, attempt: int, chunk: int, i: int) -> bytes:
    return _k(kind, e, f"{attempt:04d}", f"{chunk:04d}", f"{i:02d}")


def result_key(e: str) -> bytes:
    return _k("result", e)


TIMER_PREFIX = b"timer/"
METER_KEY = b"meter"


def timer_key(time_ms: int, kind: str, e: str) -> bytes:
    return TIMER_PREFIX + f"{time_ms:016d}/{kind}/{e}".encode()


def parse_timer_key(key: bytes) -> tuple[int, str, str]:
    time_ms, kind, e = key[len(TIMER_PREFIX) :].decode().split("/")
    return int(time_ms), kind, e


# --- reads ----------------------------------------------------------------------------------------------


def get_election(view: AppView, e: str) -> Election | None:
    return view.get_as(election_key(e), Election)


def load_election(view: AppView, e: str) -> Election:
    found = get_election(view, e)
    if found is None:
        fail("voting.unknown_election", f"no election {e!r}")
    return found


def load_ceremony(view: AppView, e: str) -> Ceremony:
    c = view.get_as(ceremony_key(e), Ceremony)
    assert c is not None, "every election has a ceremony record"
    return c


def get_guardian_key(view: AppView, e: str, rnd: int, i: int) -> GuardianPublicKey | None:
    return view.get_as(guardian_key_key(e, rnd, i), GuardianPublicKey)


def guardian_keys(view: AppView, e: str, rnd: int, n: int) -> list[GuardianPublicKey]:
    """The keys of guardians 1..n posted this round (call only when all are in)."""
    keys = [get_guardian_key(view, e, rnd, i) for i in range(1, n + 1)]
    assert all(k is not None for k in keys), "guardian_keys called before every key was posted"
    return [k for k in keys if k is not None]


def get_share(view: AppView, e: str, rnd: int, sender: int, receiver: int) -> EncryptedShare | None:
    return view.get_as(share_key(e, rnd, sender, receiver), EncryptedShare)


def get_complaint(view: AppView, e: str, rnd: int, sender: int, receiver: int) -> ComplaintEntry | None:
    return view.get_as(complaint_key(e, rnd, sender, receiver), ComplaintEntry)


def get_credential(view: AppView, e: str, key: bytes) -> Credential | None:
    return view.get_as(credential_key(e, key), Credential)


def get_ballot(view: AppView, e: str, ballot_id: str) -> BallotEntry | None:
    return view.get_as(ballot_key(e, ballot_id), BallotEntry)


def get_hint(view: AppView, e: str, ballot_id: str) -> ProofCommitments | None:
    return view.get_as(hint_key(e, ballot_id), ProofCommitments)


def ballot_id_at(view: AppView, e: str, seq: int) -> str | None:
    raw = view.get(seq_key(e, seq))
    return None if raw is None else raw.decode()


def get_code(view: AppView, code: bytes) -> CodeRef | None:
    return view.get_as(code_key(code), CodeRef)


def load_counts(view: AppView, e: str) -> Counts:
    c = view.get_as(counts_key(e), Counts)
    assert c is not None, "every election has a counts record"
    return c


def get_tally(view: AppView, e: str) -> EncryptedTally | None:
    return view.get_as(tally_key(e), EncryptedTally)


def get_counting(view: AppView, e: str) -> Counting | None:
    return view.get_as(counting_key(e), Counting)


def get_chunk_state(view: AppView, e: str, attempt: int, chunk: int) -> ChunkState:
    return view.get_as(chunk_key("dchunk", e, attempt, chunk), ChunkState) or ChunkState()


def get_chunk_challenge(view: AppView, e: str, attempt: int, chunk: int) -> ChunkChallenge | None:
    return view.get_as(chunk_key("dchal", e, attempt, chunk), ChunkChallenge)


def get_chunk_result(view: AppView, e: str, attempt: int, chunk: int) -> ChunkResult | None:
    return view.get_as(chunk_key("dres", e, attempt, chunk), ChunkResult)


def get_decryption_share(view: AppView, e: str, attempt: int, chunk: int, i: int) -> DecryptionShare | None:
    return view.get_as(guardian_chunk_key("dshare", e, attempt, chunk, i), DecryptionShare)


def get_decryption_response(
    view: AppView, e: str, attempt: int, chunk: int, i: int
) -> DecryptionResponse | None:
    return view.get_as(guardian_chunk_key("dresp", e, attempt, chunk, i), DecryptionResponse)


def get_result(view: AppView, e: str) -> DecryptedTally | None:
    return view.get_as(result_key(e), DecryptedTally)


def meter(view: AppView) -> BlockMeter:
    return view.get_as(METER_KEY, BlockMeter) or BlockMeter(height=0, ballots=0)


# --- writes ---------------------------------------------------------------------------------------------


def put_election(state: AppState, election: Election) -> None:
    state.put(election_key(election.election_id), election)


def put_ceremony(state: AppState, e: str, ceremony: Ceremony) -> None:
    state.put(ceremony_key(e), ceremony)


def put_guardian_key(state: AppState, e: str, rnd: int, key: GuardianPublicKey) -> None:
    state.put(guardian_key_key(e, rnd, key.index), key)


def put_share(state: AppState, e: str, rnd: int, share: EncryptedShare) -> None:
    state.put(share_key(e, rnd, share.sender, share.receiver), share)


def put_complaint(state: AppState, e: str, rnd: int, entry: ComplaintEntry) -> None:
    c = entry.complaint
    state.put(complaint_key(e, rnd, c.sender, c.receiver), entry)


def put_credential(state: AppState, e: str, cred: Credential) -> None:
    state.put(credential_key(e, cred.key), cred)


def put_counts(state: AppState, e: str, counts: Counts) -> None:
    state.put(counts_key(e), counts)


def add_ballot(state: AppState, entry: BallotEntry) -> None:
    """A newly admitted ballot: its record and its three indexes (id, seq, code), written once."""
    e, b = entry.election_id, entry.ballot
    assert state.get(ballot_key(e, b.ballot_id)) is None, "ballot ids are never reused"
    assert state.get(code_key(b.confirmation_code)) is None, "confirmation codes are never reused"
    state.put(ballot_key(e, b.ballot_id), entry)
    state.put(seq_key(e, entry.seq), b.ballot_id.encode())
    state.put(code_key(b.confirmation_code), CodeRef(election_id=e, ballot_id=b.ballot_id))


def put_hint(state: AppState, e: str, hint: ProofCommitments) -> None:
    """A cast ballot's proof commitments, kept apart from the ballot so that ballot reads stay small;
    written once, with the ballot, and only for the record export (the verifier's fast path)."""
    assert state.get(hint_key(e, hint.ballot_id)) is None, "ballot ids are never reused"
    state.put(hint_key(e, hint.ballot_id), hint)


def put_ballot(state: AppState, entry: BallotEntry) -> None:
    """Rewrite an existing ballot's record (its status changed)."""
    assert state.get(ballot_key(entry.election_id, entry.ballot.ballot_id)) is not None
    state.put(ballot_key(entry.election_id, entry.ballot.ballot_id), entry)


def init_aggregate(state: AppState, e: str, manifest: Manifest) -> None:
    """(1, 1) per option of every contest: the encryption of zero, as `tally.aggregate` starts."""
    one = elem_bytes(1)
    for index, contest in enumerate(manifest.contests, start=1):
        cts = tuple(Ciphertext(one, one) for _ in contest.options)
        state.put(
            aggregate_key(e, index), EncryptedTallyContest(index=index, ciphertexts=cts, ballot_count=0)
        )


def _load_aggregate(view: AppView, e: str, index: int) -> EncryptedTallyContest:
    agg = view.get_as(aggregate_key(e, index), EncryptedTallyContest)
    assert agg is not None, "an aggregate exists for every manifest contest"
    return agg


def _fold(state: AppState, e: str, ballot: EncryptedBallot, sign: int) -> None:
    for contest in ballot.contests:
        agg = _load_aggregate(state, e, contest.index)
        assert len(agg.ciphertexts) == len(contest.selections), "ballot shape was verified at admission"
        cts = []
        for acc, sel in zip(agg.ciphertexts, contest.selections, strict=True):
            alpha, beta = from_bytes(sel.ciphertext.alpha), from_bytes(sel.ciphertext.beta)
            if sign < 0:
                alpha, beta = inv_p(alpha), inv_p(beta)
            cts.append(
                Ciphertext(
                    elem_bytes(mul_p(from_bytes(acc.alpha), alpha)),
                    elem_bytes(mul_p(from_bytes(acc.beta), beta)),
                )
            )
        count = agg.ballot_count + sign
        assert count >= 0, "an aggregate's ballot count went negative"
        state.put(
            aggregate_key(e, contest.index),
            EncryptedTallyContest(index=contest.index, ciphertexts=tuple(cts), ballot_count=count),
        )


def count_ballot(state: AppState, e: str, ballot: EncryptedBallot) -> None:
    """Multiply a ballot that became `cast` into the running aggregate (eq. 62, one ballot at a time)."""
    _fold(state, e, ballot, +1)


def uncount_ballot(state: AppState, e: str, ballot: EncryptedBallot) -> None:
    """Divide a ballot that stopped being `cast` (superseded, withdrawn) out of the running aggregate."""
    _fold(state, e, ballot, -1)


def record_tally(state: AppState, e: str, manifest: Manifest, cast: int) -> EncryptedTally:
    """At close: the running aggregate becomes the recorded encrypted tally (one read per contest)."""
    contests = tuple(_load_aggregate(state, e, i) for i in range(1, len(manifest.contests) + 1))
    tally = EncryptedTally(contests=contests, ballot_count=cast)
    state.put(tally_key(e), tally)
    return tally


def put_counting(state: AppState, e: str, counting: Counting) -> None:
    state.put(counting_key(e), counting)


def put_chunk_state(state: AppState, e: str, attempt: int, chunk: int, cs: ChunkState) -> None:
    state.put(chunk_key("dchunk", e, attempt, chunk), cs)


def put_chunk_challenge(state: AppState, e: str, attempt: int, chunk: int, ch: ChunkChallenge) -> None:
    state.put(chunk_key("dchal", e, attempt, chunk), ch)


def put_chunk_result(state: AppState, e: str, attempt: int, chunk: int, res: ChunkResult) -> None:
    state.put(chunk_key("dres", e, attempt, chunk), res)


def put_decryption_share(state: AppState, e: str, attempt: int, chunk: int, share: DecryptionShare) -> None:
    state.put(guardian_chunk_key("dshare", e, attempt, chunk, share.guardian), share)


def put_decryption_response(
    state: AppState, e: str, attempt: int, chunk: int, response: DecryptionResponse
) -> None:
    state.put(guardian_chunk_key("dresp", e, attempt, chunk, response.guardian), response)


def put_result(state: AppState, e: str, result: DecryptedTally) -> None:
    state.put(result_key(e), result)


def set_timer(state: AppState, time_ms: int, kind: str, e: str) -> None:
    state.put(timer_key(time_ms, kind, e), b"")


def clear_timer(state: AppState, time_ms: int, kind: str, e: str) -> None:
    state.delete(timer_key(time_ms, kind, e))


def put_meter(state: AppState, m: BlockMeter) -> None:
    state.put(METER_KEY, m)
