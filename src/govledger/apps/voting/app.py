"""Voting: ElectionGuard 2.0 elections run on the ledger, verifiable end to end by anyone.

Two rules for this package (as h11 states its own):
1. Everything that decides whether a voting transaction succeeds is in this package's pure functions;
   every proof is checked with the ElectionGuard core (`govledger.voting`) through `crypto.py`. The
   executor only adds the governance policy for "voting.<op>" and checks signatures beforehand.
2. The ledger never sees a voter's identity or a secret: voters appear as one-time credential keys,
   guardians publish only what ElectionGuard publishes, and nothing is ever decrypted but the tally.

Theory of operation
-------------------
An election moves through phases, each entered by a transaction or by block time (end_block):

    key_ceremony --(n-th confirm_shares)--> key_ready --(opens_ms)--> voting
        --(closes_ms)--> closed --(last chunk's k-th response)--> tallied
    key_ceremony --(closes_ms, no joint key)--> failed

1. The election official (role `election_official` of the authority organisation) creates the
   election: manifest, guardians, quorum k, voting window in block time. The ledger records H_P, H_M,
   H_B. The official registers one-time voting credentials (Ed25519 public keys, one per voter,
   issued off the ledger against the voter roll) per ballot style.
2. Guardians (governance members with role `guardian`) run the key ceremony as transactions: keys
   with Schnorr proofs (checked by validators), encrypted shares, complaints and their public
   adjudication, confirmations. The last confirmation records K and H_E (ops_ceremony.py).
3. Inside the window, a ballot signed by a registered credential is admitted only if its proofs
   verify; the credential's last cast ballot is the one counted (revoting), a challenged ballot is
   opened by its Benaloh reveal and never counted (ops_ballots.py). A running aggregate keeps the
   product of the counted ballots' ciphertexts.
4. At the window's end the aggregate is recorded as the encrypted tally; guardians post partial
   decryptions with proofs; any k suffice (Lagrange over those present) and the result is published
   with its proofs (ops_tally.py).
5. Voters look up their confirmation code (proved); anyone exports the ElectionGuard record from the
   ledger and checks it with the independent verifier (record.py, `govledger election verify`).

Operations, their signers and rules are in `ops_*.py` (each file starts with its rules), shared rules
in `rules.py`, the key layout in `store.py`, error codes in `errors.py`, the official's account in
docs/apps/voting.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.voting import ops_ballots, ops_ceremony, ops_election, ops_tally, queries, timers
from govledger.apps.voting.rules import GUARDIAN_ROLE, OFFICIAL_ROLE
from govledger.ledger.app import NOBODY_ELSE, App, HasRole, Operation, Requirement

NAME = "voting"
VOTING_ROLES = (OFFICIAL_ROLE, GUARDIAN_ROLE)

_OFFICIAL = HasRole(role=OFFICIAL_ROLE)
_GUARDIAN = HasRole(role=GUARDIAN_ROLE)

# The governance policies a network installs for this app (genesis `policies`), one per operation so
# that no "voting.*" catch-all applies by accident. The app adds its own, narrower requirement on top:
# an official of the election's authority organisation, the particular guardian, the credential.
# Ballots carry NOBODY_ELSE: the credential's signature is all there is, by design (no identity).
DEFAULT_POLICIES: dict[str, Requirement] = {
    "voting.create_election": _OFFICIAL,
    "voting.reschedule": _OFFICIAL,
    "voting.register_credentials": _OFFICIAL,
    "voting.revoke_credential": _OFFICIAL,
    "voting.restart_ceremony": _OFFICIAL,
    "voting.post_guardian_key": _GUARDIAN,
    "voting.post_shares": _GUARDIAN,
    "voting.complain_share": _GUARDIAN,
    "voting.answer_complaint": _GUARDIAN,
    "voting.confirm_shares": _GUARDIAN,
    "voting.cast_ballot": NOBODY_ELSE,
    "voting.challenge_ballot": NOBODY_ELSE,
    "voting.post_decryption_share": _GUARDIAN,
    "voting.post_decryption_response": _GUARDIAN,
    "voting.restart_decryption": _OFFICIAL,
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in DEFAULT_POLICIES.items()}


OPERATIONS: dict[str, Operation[Any]] = {
    **ops_election.OPERATIONS,
    **ops_ceremony.OPERATIONS,
    **ops_ballots.OPERATIONS,
    **ops_tally.OPERATIONS,
}

assert sorted(f"voting.{op}" for op in OPERATIONS) == sorted(DEFAULT_POLICIES), "a policy per operation"

APP = App(
    name=NAME,
    doc="Elections with ElectionGuard 2.0: key ceremony, one-time credentials, encrypted ballots with "
    "proofs, revoting, Benaloh challenges, homomorphic tally, k-of-n decryption, verifiable record.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
    end_block=timers.end_block,
)

__all__ = ["APP", "DEFAULT_POLICIES", "NAME", "VOTING_ROLES", "default_policies_json"]
