"""Every error the voting app raises: a stable code `voting.<reason>` and what it means.

The table is the contract (docs/apps/voting.md lists the same words); `fail` refuses codes that are
not in it, so a new rule cannot ship without its documented code. Failures of the ElectionGuard core
(`govledger.voting`, codes `voting.*` too) never escape this app raw: `crypto.py` turns them into one
of the codes below, so the executor only ever sees `AppError`s.
"""

from __future__ import annotations

from typing import NoReturn

from govledger.errors import AppError

CODES: dict[str, str] = {
    # shape of a body
    "voting.bad_identifier": "an id is not 1-64 of [A-Za-z0-9._:-] starting with a letter or digit",
    "voting.bad_time": "a time is out of range, in the past, in the wrong order or the window is too long",
    "voting.bad_vocabulary": "a value is not one of the documented choices (revocation reasons)",
    "voting.too_many": "a list exceeds its bound (guardians, credentials per transaction, ...)",
    "voting.bad_credential": "a credential is not a 32-byte Ed25519 public key, or is listed twice",
    "voting.extra_signers": "a ballot transaction carries a signature besides its credential's",
    # elections and their configuration
    "voting.unknown_election": "no election with that id",
    "voting.election_exists": "an election with that id already exists (ids are never reused)",
    "voting.bad_manifest": "the manifest breaks ElectionGuard §3.1.3 or the record limits",
    "voting.chaining_unsupported": "the manifest asks for device chaining, which revoting cannot keep",
    "voting.ballot_too_large": "an encrypted ballot of some style would not fit in one transaction",
    "voting.bad_guardians": "guardians are not 1..32 distinct members holding the guardian role",
    "voting.bad_quorum": "the quorum k is not 1 <= k <= n",
    "voting.unknown_member": "a named member does not exist in governance, or has no active key",
    "voting.unknown_org": "the authority organisation does not exist in governance",
    "voting.unknown_style": "no ballot style with that label or index in the manifest",
    "voting.wrong_phase": "the election is not in a phase that allows the operation",
    "voting.window_started": "voting has begun: the window can no longer be moved",
    # key ceremony
    "voting.not_guardian": "the index is not a guardian of the election",
    "voting.already_posted": "this guardian already posted that message in this ceremony round",
    "voting.bad_guardian_key": "commitments or Schnorr proofs of a guardian key do not verify",
    "voting.keys_incomplete": "not every guardian has posted its public key yet",
    "voting.bad_shares": "encrypted shares do not address each other guardian exactly once, or are malformed",
    "voting.shares_missing": "a share this guardian needs has not been posted",
    "voting.complaint_exists": "a complaint about that share already exists",
    "voting.no_complaint": "there is no open complaint for that (sender, receiver) pair",
    "voting.open_complaint": "the guardian has a complaint that is not yet answered",
    "voting.ceremony_faulted": "a guardian was found at fault: the official must restart the ceremony",
    "voting.already_confirmed": "the guardian has already confirmed its shares",
    # eligibility and ballots
    "voting.credential_exists": "the credential is already registered for this election",
    "voting.ineligible": "the credential is not registered for this election, or was revoked",
    "voting.wrong_style": "the ballot's style is not the one the credential was issued for",
    "voting.outside_window": "block time is outside the voting window [opens_ms, closes_ms)",
    "voting.key_not_ready": "the key ceremony has not produced the joint key yet",
    "voting.too_many_ballots": "the credential has reached its bound of cast or challenged ballots",
    "voting.block_full": "this block already holds its bound of ballots: submit again",
    "voting.duplicate_ballot": "a ballot with that id exists in this election",
    "voting.duplicate_code": "a ballot with that confirmation code exists",
    "voting.bad_device": "the device label is not an identifier, or B_aux is not the device's B_aux,0",
    "voting.bad_ballot": "the ballot's proofs, hashes or shape do not verify (the message names the step)",
    "voting.bad_reveal": "the Benaloh reveal does not re-encrypt to the ballot it opens",
    # counting
    "voting.not_closed": "the poll has not closed: decryption is accepted only on counting day",
    "voting.stale_attempt": "the decryption attempt is not the current one",
    "voting.unknown_chunk": "no such chunk of tally options in this attempt",
    "voting.quorum_reached": "k decryption shares are in for this chunk; no more are needed",
    "voting.bad_decryption_share": "a decryption share has the wrong shape or values outside the group",
    "voting.no_challenge": "the chunk has no joint challenge yet (fewer than k shares)",
    "voting.not_in_quorum": "the guardian is not among the k whose shares the challenge combines",
    "voting.bad_decryption_response": "a decryption response does not verify against the guardian's share",
    "voting.already_tallied": "the result is published; nothing more to decrypt",
}


def fail(code: str, message: str) -> NoReturn:
    assert code in CODES, f"undocumented error code {code}"
    raise AppError(code, message)
