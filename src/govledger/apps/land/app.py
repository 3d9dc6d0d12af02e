"""Land: a land register of parcels, titles and their rights, modelled on ISO 19152 LADM.

Two rules for this package (as h11 states its own):
1. Everything that decides whether a land transaction succeeds is in this package's pure functions:
   the executor only adds the governance policy for "land.<op>" and checks signatures beforehand.
2. The package never sees a document or a name: documents are SHA-256 digests, people are party ids
   bound to keys and to a commitment of their personal data held in the off-ledger vault.

Theory of operation
-------------------
A parcel has a spatial unit (`parcel/<id>`: boundary, legal area, land use, lineage) and a title, the
basic administrative unit: owners with exact rational shares summing to 1, the ids of its active
rights and restrictions (mortgages, caveats, leases, servitudes, in `rrr/<parcel>/<id>`), its
buildings, and at most one priority notice. Every change writes a new title version
`title/<parcel>/<v>` (never rewritten) and the same record at `title/<parcel>`, each version with an
entry saying which operation, which documents, which keys signed, at which height and block time.
That history is the register: nothing is deleted, ended RRRs keep their records with a status.

Who must sign is computed from state (`signers`), then ANDed by the executor with the governance
policy for "land.<op>" (`DEFAULT_POLICIES` below): the parcel's owners, the buyers, the lender come
from state; the notary, registrar, surveyor, court and bank roles come from governance. Signatures
are the executor's job; this package only names who.

Double selling is stopped twice: a transfer's sellers must be owners at execution time (so of two
sales of one parcel, in any order, in one block or many, the second fails `land.not_current_owner`),
and a notary's priority notice reserves the parcel for one buyer before the deed is signed (every
other disposition fails `land.priority_notice` until it is used or its block-time expiry passes).

Time comes only from the block. `end_block` sweeps due expiries (notices, leases) in key order.

Operations, their own signers, default policies and rules are in `ops_*.py` (each file starts with
its rules), the shared rules and blocking table in `rules.py`, the key layout in `store.py`, error
codes in `errors.py`, the human account in docs/apps/land.md.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.common.policies import operations, policies_json
from govledger.apps.land import ops_parties, ops_rrr, ops_spatial, ops_title, queries, timers
from govledger.ledger.app import NOBODY_ELSE, AllOf, App, HasRole, Operation, Requirement, Threshold

NAME = "land"
LAND_ROLES = ("registrar", "surveyor", "notary", "court", "bank")

_REGISTRAR = HasRole(role="registrar")
_SURVEYOR = HasRole(role="surveyor")
_NOTARY = HasRole(role="notary")
_COURT = HasRole(role="court")
_BANK = HasRole(role="bank")
_SURVEY = AllOf(of=[_SURVEYOR, _REGISTRAR])
_COURT_OR_REGISTRAR = Threshold(k=1, of=[_COURT, _REGISTRAR])

# The governance policies a network installs for this app (genesis `policies`), one per operation so
# that no "land.*" catch-all applies by accident. NOBODY_ELSE: the parties' own signatures suffice.
DEFAULT_POLICIES: dict[str, Requirement] = {
    "land.register_party": _REGISTRAR,
    "land.update_party": _REGISTRAR,
    "land.recover_party_keys": AllOf(of=[_REGISTRAR, _NOTARY]),
    "land.first_registration": _SURVEY,
    "land.transfer": _NOTARY,
    "land.place_priority_notice": _NOTARY,
    "land.cancel_priority_notice": _NOTARY,
    "land.succession": AllOf(of=[_REGISTRAR, Threshold(k=1, of=[_COURT, _NOTARY])]),
    "land.register_mortgage": _BANK,
    "land.release_mortgage": _BANK,
    "land.register_caveat": _COURT_OR_REGISTRAR,
    "land.remove_caveat": _COURT_OR_REGISTRAR,
    "land.register_lease": NOBODY_ELSE,
    "land.terminate_lease": NOBODY_ELSE,
    "land.register_servitude": _REGISTRAR,
    "land.release_servitude": _REGISTRAR,
    "land.subdivide": _SURVEY,
    "land.merge": _SURVEY,
    "land.register_building": _SURVEY,
    "land.demolish_building": _REGISTRAR,
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return policies_json(DEFAULT_POLICIES)


OPERATIONS: dict[str, Operation[Any]] = operations(
    NAME,
    DEFAULT_POLICIES,
    ops_parties.OPERATIONS,
    ops_title.OPERATIONS,
    ops_rrr.OPERATIONS,
    ops_spatial.OPERATIONS,
)

APP = App(
    name=NAME,
    doc="Land register (ISO 19152 LADM): parties, parcels, titles, transfers, mortgages, caveats, "
    "leases, servitudes, priority notices, subdivision, merge, succession, buildings.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
    end_block=timers.end_block,
)

certificate_data = queries.certificate_data

__all__ = ["APP", "DEFAULT_POLICIES", "LAND_ROLES", "NAME", "certificate_data", "default_policies_json"]
