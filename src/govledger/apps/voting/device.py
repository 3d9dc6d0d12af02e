"""What a voter's device sends to the voting app: an encrypted ballot with its proof commitments, and
the `cast_ballot` / `challenge_ballot` bodies built from it.

The device computes every range proof's commitments anyway (to hash them); sending them with a cast
lets each validator check the ballot about 3.5 times faster (`crypto.check_ballot`). They double a
ballot's size, so `cast_body` leaves them out when they would not fit one transaction body: the
ballot is then checked the standard way, with the same verdict. A challenge never carries them (a
challenged ballot is opened by its reveal, not counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from govledger.apps.voting.model import CastBallot, ChallengeBallot
from govledger.codec import encode
from govledger.ledger.tx import MAX_BODY_BYTES
from govledger.voting.ballot import ElectionContext, device_aux0, encrypt_ballot, reveal
from govledger.voting.errors import SYSTEM_RANDOM, RandomSource
from govledger.voting.records import EncryptedBallot, PlaintextBallot, ProofCommitments


@dataclass(frozen=True, slots=True)
class DeviceBallot:
    """A ballot as the device holds it between encryption and the voter's cast-or-challenge decision.

    ``nonce`` (xi_B) opens the ballot: keep it only until the decision, publish it only to challenge.
    """

    plain: PlaintextBallot
    encrypted: EncryptedBallot
    nonce: bytes
    commitments: ProofCommitments


def encrypt(
    ctx: ElectionContext, plain: PlaintextBallot, *, device: str, rng: RandomSource = SYSTEM_RANDOM
) -> DeviceBallot:
    """Encrypt and prove a ballot for the ledger (no chaining: B_aux is the device's B_aux,0)."""
    out: list[tuple[bytes, ...]] = []
    encrypted, nonce = encrypt_ballot(
        ctx, plain, device=device, aux=device_aux0(device), rng=rng, commitments_out=out
    )
    return DeviceBallot(plain, encrypted, nonce, ProofCommitments(encrypted.ballot_id, tuple(out)))


def cast_body(
    election_id: str, credential: bytes, ballot: DeviceBallot, *, with_commitments: bool = True
) -> CastBallot:
    """The `cast_ballot` body: with the commitments when asked for and when they fit MAX_BODY_BYTES."""
    if with_commitments:
        body = CastBallot(election_id, credential, ballot.encrypted, ballot.commitments)
        if len(encode(body)) <= MAX_BODY_BYTES:
            return body
    return CastBallot(election_id, credential, ballot.encrypted)


def challenge_body(election_id: str, credential: bytes, ballot: DeviceBallot) -> ChallengeBallot:
    """The `challenge_ballot` body: the ballot and its Benaloh reveal (xi_B and the plaintext)."""
    return ChallengeBallot(election_id, credential, ballot.encrypted, reveal(ballot.plain, ballot.nonce))
