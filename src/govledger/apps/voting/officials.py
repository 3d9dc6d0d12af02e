"""What election officials and guardians (returning officers) send to the voting app, and what a
guardian keeps off the ledger between its steps.

A guardian's secrets (polynomial coefficients, the nonces of the shares it sent, the shares it
received, its key share P(i), its decryption nonces between rounds 1 and 3) live in a
`GuardianState`, sealed at rest under a passphrase (`crypto.keyfile.seal`: scrypt + AES-256-GCM).
The sealed file's public header names the election, the guardian index and the governance key it
belongs to, so a command given another guardian's file refuses it before asking for anything.

Every function here is pure: it takes the state and what the ledger answered (proof-verified by the
caller) and returns the body to submit and the state to write *before* submitting, so that a crash
between the two never loses a nonce the guardian may still need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from govledger.apps.voting import crypto
from govledger.apps.voting.model import (
    DISMISSED,
    OPEN,
    AnswerComplaint,
    ComplainShare,
    ComplaintEntry,
    ConfirmShares,
    CreateElection,
    Election,
    PostDecryptionResponse,
    PostDecryptionShare,
    PostGuardianKey,
    PostShares,
)
from govledger.codec import from_jsonable
from govledger.crypto.keyfile import DEFAULT_SCRYPT_N, seal, sealed_public, unseal
from govledger.errors import CodecError, GovledgerError
from govledger.voting import keyceremony
from govledger.voting.errors import SYSTEM_RANDOM, RandomSource
from govledger.voting.group import exp_bytes, from_bytes, mpz
from govledger.voting.records import (
    DecryptionChallenge,
    EncryptedShare,
    EncryptedTally,
    GuardianPublicKey,
    Manifest,
    ShareComplaint,
)
from govledger.voting.tally import GuardianNonces, decryption_response, decryption_share

STATE_LABEL = "govledger/guardian-state/v1"


# --- the guardian's state file ----------------------------------------------------------------------


class StateHeader(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Readable without the passphrase: whose file this is."""

    election_id: str
    guardian: int
    member_id: str
    key_id: str  # hex id of the governance key that signs this guardian's messages


class GuardianState(msgspec.Struct, forbid_unknown_fields=True):
    """Guardian i's secrets and progress. Never a wire type; never printed."""

    election_id: str
    guardian: int
    member_id: str
    key_id: str
    quorum: int
    parameter_base_hash: bytes
    coefficients: list[bytes]  # a_i,0 .. a_i,k-1, 32 bytes each
    public_key: GuardianPublicKey
    round: int
    share_nonces: dict[int, bytes] = msgspec.field(default_factory=dict)  # receiver -> xi_i,l
    received: dict[int, bytes] = msgspec.field(default_factory=dict)  # sender -> P_j(i)
    key_share: bytes = b""  # P(i), once confirmed
    decryption_nonces: dict[str, list[bytes]] = msgspec.field(default_factory=dict)  # "attempt/chunk"

    def __repr__(self) -> str:  # secrets must not reach logs or tracebacks
        return f"GuardianState(election={self.election_id!r}, guardian={self.guardian}, <secrets hidden>)"

    @property
    def header(self) -> StateHeader:
        return StateHeader(self.election_id, self.guardian, self.member_id, self.key_id)

    @property
    def secrets(self) -> keyceremony.GuardianSecrets:
        return keyceremony.GuardianSecrets(
            self.guardian, tuple(mpz(from_bytes(a)) for a in self.coefficients)
        )


def seal_state(state: GuardianState, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> bytes:
    return seal(
        msgspec.msgpack.encode(state),
        passphrase,
        label=STATE_LABEL,
        public=msgspec.json.encode(state.header),
        scrypt_n=scrypt_n,
    )


def state_header(data: bytes) -> StateHeader:
    """Whose state file this is, without the passphrase (`keyfile.malformed` if it is not one)."""
    return _decode_header(sealed_public(data, label=STATE_LABEL))


def _decode_header(raw: bytes) -> StateHeader:
    try:
        return msgspec.json.decode(raw, type=StateHeader)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise GovledgerError("keyfile.malformed", f"not a guardian state file: {exc}") from None


def unseal_state(data: bytes, passphrase: str) -> GuardianState:
    """The state in a sealed file (`keyfile.wrong_passphrase`, `keyfile.malformed` otherwise)."""
    public, secret = unseal(data, passphrase, label=STATE_LABEL)
    try:
        state = msgspec.msgpack.decode(secret, type=GuardianState)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise GovledgerError("keyfile.malformed", f"not a guardian state: {exc}") from None
    if state.header != _decode_header(public):
        raise GovledgerError("keyfile.malformed", "the state does not match its file's header")
    return state


def check_owner(header: StateHeader, election_id: str, key_id: str) -> None:
    """Refuse a state file of another election or another guardian's key."""
    if header.election_id != election_id:
        raise GovledgerError(
            "election.wrong_state_file",
            f"the state file is for election {header.election_id!r}, not {election_id!r}",
        )
    if header.key_id != key_id:
        raise GovledgerError(
            "election.wrong_state_file",
            f"the state file belongs to guardian {header.guardian} ({header.member_id}), "
            "not to the holder of this key",
        )


# --- the official ---------------------------------------------------------------------------------


def parse_time_ms(value: Any, what: str) -> int:
    """Milliseconds since 1970 (an integer) or an ISO 8601 time with a zone ("2026-11-28T08:00:00Z")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return int(parsed.timestamp() * 1000)
    raise GovledgerError(
        "election.bad_manifest_file", f"{what} is milliseconds since 1970 or an ISO 8601 time with a zone"
    )


def create_body(doc: Any) -> CreateElection:
    """The `create_election` body from the official's election file (see docs/apps/voting.md)."""
    if not isinstance(doc, dict):
        raise GovledgerError("election.bad_manifest_file", "the election file is a JSON object")
    required = ("election_id", "authority_org", "guardians", "quorum", "opens", "closes", "manifest")
    missing = [name for name in required if name not in doc]
    if missing:
        raise GovledgerError("election.bad_manifest_file", f"the election file lacks {', '.join(missing)}")
    unknown = sorted(set(doc) - set(required))
    if unknown:
        raise GovledgerError("election.bad_manifest_file", f"unknown field(s) {', '.join(unknown)}")
    raw_manifest = doc["manifest"]
    if isinstance(raw_manifest, dict):
        # the ledger refuses device chaining (docs/apps/voting.md): make the default the one that works
        raw_manifest = {"chain_confirmation_codes": False, **raw_manifest}
    try:
        manifest = from_jsonable(raw_manifest, Manifest)
        guardians = from_jsonable(doc["guardians"], tuple[str, ...])
        quorum = from_jsonable(doc["quorum"], int)
        election_id = from_jsonable(doc["election_id"], str)
        org = from_jsonable(doc["authority_org"], str)
    except CodecError as exc:
        raise GovledgerError("election.bad_manifest_file", exc.message) from None
    return CreateElection(
        election_id=election_id,
        authority_org=org,
        manifest=manifest,
        guardians=guardians,
        quorum=quorum,
        opens_ms=parse_time_ms(doc["opens"], "opens"),
        closes_ms=parse_time_ms(doc["closes"], "closes"),
    )


# --- the key ceremony --------------------------------------------------------------------------------


def guardian_index(election: Election, member_id: str) -> int:
    if member_id not in election.guardians:
        raise GovledgerError(
            "voting.not_guardian",
            f"member {member_id!r} is not a guardian of election {election.election_id!r}",
        )
    return election.guardians.index(member_id) + 1


def new_state(
    election: Election, member_id: str, key_id: str, round_: int, rng: RandomSource = SYSTEM_RANDOM
) -> GuardianState:
    """Step 1, off the ledger: the k secret coefficients and their commitments with Schnorr proofs."""
    index = guardian_index(election, member_id)
    h_p = election.parameter_base_hash
    secrets, public = keyceremony.generate_guardian(index, election.quorum, h_p, rng)
    return GuardianState(
        election_id=election.election_id,
        guardian=index,
        member_id=member_id,
        key_id=key_id,
        quorum=election.quorum,
        parameter_base_hash=h_p,
        coefficients=[exp_bytes(a) for a in secrets.coefficients],
        public_key=public,
        round=round_,
    )


def key_body(state: GuardianState) -> PostGuardianKey:
    return PostGuardianKey(state.election_id, state.public_key)


def enter_round(state: GuardianState, round_: int) -> bool:
    """The official restarted the ceremony: the guardian keeps its polynomial and starts over with
    the messages (the old round's shares and nonces mean nothing any more). True if it changed."""
    if state.round == round_:
        return False
    state.round = round_
    state.share_nonces.clear()
    state.received.clear()
    state.key_share = b""
    return True


def shares_body(
    state: GuardianState, keys: Mapping[int, GuardianPublicKey], rng: RandomSource = SYSTEM_RANDOM
) -> PostShares:
    """Step 2: P_i(l) encrypted to every other guardian l; the nonces are kept in `state`."""
    secrets = state.secrets
    shares: list[EncryptedShare] = []
    for index in sorted(keys):
        if index == state.guardian:
            continue
        share, nonce = keyceremony.encrypt_share(state.parameter_base_hash, secrets, keys[index], rng)
        state.share_nonces[index] = exp_bytes(nonce)
        shares.append(share)
    return PostShares(state.election_id, state.guardian, tuple(shares))


def receive_shares(
    state: GuardianState,
    shares: Sequence[EncryptedShare],
    keys: Mapping[int, GuardianPublicKey],
    complaints: Sequence[ComplaintEntry],
) -> list[ComplainShare]:
    """Step 3: decrypt and check every share addressed to this guardian. Good ones (and shares the
    ledger revealed when it dismissed this guardian's complaint) go into `state`; the bodies of the
    complaints to post come back. Shares already under complaint are left alone."""
    mine = {c.complaint.sender: c for c in complaints if c.complaint.receiver == state.guardian}
    secrets = state.secrets
    out: list[ComplainShare] = []
    for share in shares:
        sender = share.sender
        if sender in state.received or sender == state.guardian:
            continue
        entry = mine.get(sender)
        if entry is not None:
            if entry.status == DISMISSED and entry.reveal is not None:
                state.received[sender] = entry.reveal.share
            continue
        outcome = keyceremony.receive_share(state.parameter_base_hash, secrets, keys[sender], share)
        if isinstance(outcome, ShareComplaint):
            out.append(ComplainShare(state.election_id, outcome))
        else:
            state.received[sender] = exp_bytes(outcome)
    return out


def answer_bodies(state: GuardianState, complaints: Sequence[ComplaintEntry]) -> list[AnswerComplaint]:
    """Step 4, the accused: reveal P_i(l) and the nonce for every open complaint about our shares."""
    out = []
    for entry in complaints:
        c = entry.complaint
        if c.sender != state.guardian or entry.status != OPEN:
            continue
        nonce = state.share_nonces.get(c.receiver)
        if nonce is None:
            raise GovledgerError(
                "election.state_incomplete",
                f"the state file has no nonce for the share sent to guardian {c.receiver}: cannot answer",
            )
        reveal = keyceremony.reveal_share(state.secrets, c.receiver, from_bytes(nonce))
        out.append(AnswerComplaint(state.election_id, reveal))
    return out


def confirm_body(state: GuardianState, guardians: int) -> ConfirmShares:
    """Step 5: with every other guardian's share in hand, compute and keep P(i), then confirm."""
    missing = sorted(set(range(1, guardians + 1)) - {state.guardian} - set(state.received))
    if missing:
        raise GovledgerError(
            "election.shares_unchecked",
            f"no verified share from guardian(s) {missing} yet: run `election guardian check` first",
        )
    received = {s: from_bytes(v) for s, v in state.received.items()}
    state.key_share = exp_bytes(keyceremony.key_share(state.secrets, received))
    return ConfirmShares(state.election_id, state.guardian)


# --- counting day -----------------------------------------------------------------------------------


def _slot(attempt: int, chunk: int) -> str:
    return f"{attempt}/{chunk}"


def _key_share(state: GuardianState) -> int:
    if not state.key_share:
        raise GovledgerError(
            "election.state_incomplete", "the state file holds no key share: this guardian never confirmed"
        )
    return from_bytes(state.key_share)


def decryption_share_body(
    state: GuardianState, tally: EncryptedTally, attempt: int, chunk: int, rng: RandomSource = SYSTEM_RANDOM
) -> PostDecryptionShare:
    """Round 1 for one chunk: M_i and the commitments; the nonces u_i are kept in `state`."""
    targets = crypto.chunk_targets(tally, chunk)
    share, nonces = decryption_share(state.guardian, _key_share(state), targets, rng)
    state.decryption_nonces[_slot(attempt, chunk)] = [exp_bytes(u) for u in nonces.nonces]
    return PostDecryptionShare(state.election_id, attempt, chunk, share)


def forget_other_attempts(state: GuardianState, attempt: int) -> bool:
    """Drop round-1 nonces of earlier decryption attempts (the official restarted): they can never
    answer a challenge any more. True if any were dropped."""
    stale = [slot for slot in state.decryption_nonces if not slot.startswith(f"{attempt}/")]
    for slot in stale:
        del state.decryption_nonces[slot]
    return bool(stale)


def decryption_response_body(
    state: GuardianState, attempt: int, chunk: int, challenge: DecryptionChallenge
) -> PostDecryptionResponse:
    """Round 3 for one chunk: v_i = u_i - c w_i P(i). The nonces are used up (removed from `state`)."""
    raw = state.decryption_nonces.pop(_slot(attempt, chunk), None)
    if raw is None:
        raise GovledgerError(
            "election.state_incomplete",
            f"the state file has no round-1 nonces for attempt {attempt}, chunk {chunk}: "
            "the official must restart the decryption",
        )
    nonces = GuardianNonces(guardian=state.guardian, nonces=[from_bytes(u) for u in raw])
    response = decryption_response(state.guardian, _key_share(state), nonces, challenge)
    return PostDecryptionResponse(state.election_id, attempt, chunk, response)
