"""The rules every voting operation shares: shapes, who signs, and the phase table.

Who signs (the app's own requirement; the executor ANDs it with governance's policy for the op):

| signer             | requirement                                                               |
|--------------------|---------------------------------------------------------------------------|
| the official       | one member of the election's `authority_org` holding `election_official`  |
| guardian i         | one active key of the governance member named as guardian i               |
| a voter            | the credential key named in the body (and nobody else: `extra_signers`)   |

`PHASE_ALLOWS[op]` lists the phases in which an operation may run; the voting window itself is
checked against block time directly (`opens_ms <= time < closes_ms`), so a rule never waits for
end_block to have written the phase.
"""

from __future__ import annotations

from collections.abc import Mapping

from govledger.apps.governance.app import get_member
from govledger.apps.voting.errors import fail
from govledger.apps.voting.model import (
    CLOSED,
    FAILED,
    KEY_CEREMONY,
    KEY_READY,
    MAX_ID_CHARS,
    MAX_TIME_MS,
    MAX_WINDOW_MS,
    TALLIED,
    VOTING,
    Election,
)
from govledger.crypto.signatures import PublicKey, Scheme
from govledger.ledger.app import AppView, HasRole, Requirement, SignedBy, Threshold

OFFICIAL_ROLE = "election_official"
GUARDIAN_ROLE = "guardian"

PHASE_ALLOWS: Mapping[str, tuple[str, ...]] = {
    "reschedule": (KEY_CEREMONY, KEY_READY),
    "register_credentials": (KEY_CEREMONY, KEY_READY, VOTING),
    "revoke_credential": (KEY_CEREMONY, KEY_READY, VOTING),
    "restart_ceremony": (KEY_CEREMONY,),
    "post_guardian_key": (KEY_CEREMONY,),
    "post_shares": (KEY_CEREMONY,),
    "complain_share": (KEY_CEREMONY,),
    "answer_complaint": (KEY_CEREMONY,),
    "confirm_shares": (KEY_CEREMONY,),
    "cast_ballot": (KEY_READY, VOTING),
    "challenge_ballot": (KEY_READY, VOTING),
    "post_decryption_share": (CLOSED,),
    "post_decryption_response": (CLOSED,),
    "restart_decryption": (CLOSED,),
}


# --- shape ---------------------------------------------------------------------------------------------


def identifier(value: str, what: str) -> None:
    ok = (
        0 < len(value) <= MAX_ID_CHARS
        and value.isascii()
        and value[0].isalnum()
        and all(c.isalnum() or c in "._:-" for c in value)
    )
    if not ok:
        fail("voting.bad_identifier", f"{what} {value!r} must be 1-{MAX_ID_CHARS} of [A-Za-z0-9._:-]")


def window(opens_ms: int, closes_ms: int, now_ms: int) -> None:
    """A future voting window of at most MAX_WINDOW_MS."""
    if not now_ms < opens_ms < closes_ms <= MAX_TIME_MS:
        fail("voting.bad_time", f"need now ({now_ms}) < opens_ms ({opens_ms}) < closes_ms ({closes_ms})")
    if closes_ms - opens_ms > MAX_WINDOW_MS:
        fail("voting.bad_time", f"a voting window lasts at most {MAX_WINDOW_MS // 86_400_000} days")


def credential_key(key: bytes) -> PublicKey:
    if len(key) != 32:
        fail("voting.bad_credential", "a credential is a 32-byte Ed25519 public key")
    return PublicKey(scheme=Scheme.ED25519, key=key)


# --- phases --------------------------------------------------------------------------------------------


def phase(election: Election, op: str) -> None:
    if election.phase not in PHASE_ALLOWS[op]:
        if election.phase == TALLIED and op.startswith(("post_decryption", "restart_decryption")):
            fail("voting.already_tallied", f"election {election.election_id!r}: the result is published")
        if op.startswith(("post_decryption", "restart_decryption")) and election.phase != FAILED:
            fail("voting.not_closed", f"election {election.election_id!r} is in phase {election.phase!r}")
        allowed = ", ".join(PHASE_ALLOWS[op])
        fail("voting.wrong_phase", f"{op} needs phase {allowed}; election is {election.phase!r}")


def before_close(election: Election, now_ms: int) -> None:
    if now_ms >= election.closes_ms:
        fail("voting.outside_window", f"the poll closed at {election.closes_ms} (block time {now_ms})")


def key_ready(election: Election) -> bool:
    return bool(election.joint_key)


def voting_started(election: Election, now_ms: int) -> bool:
    """Ballots could have been cast: the key is ready and the window has opened."""
    return key_ready(election) and now_ms >= election.opens_ms


# --- who signs -----------------------------------------------------------------------------------------


def official(org: str) -> Requirement:
    return HasRole(role=OFFICIAL_ROLE, org=org)


def member_keys(view: AppView, member_id: str) -> Requirement:
    """One active key of a governance member (any of them: members rotate keys)."""
    member = get_member(view, member_id)
    active = sorted(member.active_key_ids()) if member is not None else []
    if not active:
        fail("voting.unknown_member", f"member {member_id!r} does not exist or has no active key")
    return Threshold(k=1, of=[SignedBy(k) for k in active])


def guardian_member(election: Election, index: int) -> str:
    if not 1 <= index <= len(election.guardians):
        fail("voting.not_guardian", f"guardian index {index} is not in 1..{len(election.guardians)}")
    return election.guardians[index - 1]


def guardian(view: AppView, election: Election, index: int) -> Requirement:
    return member_keys(view, guardian_member(election, index))


def is_guardian_member(view: AppView, member_id: str) -> bool:
    member = get_member(view, member_id)
    return member is not None and GUARDIAN_ROLE in member.roles


def credential(key: bytes) -> Requirement:
    return SignedBy(credential_key(key).key_id())
