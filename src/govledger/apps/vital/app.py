"""Vital records: births, deaths, marriages and divorces, after California SB 786, Ohio's Vital
Chain and Ghana's BNVM.

Two rules for this package (as h11 states its own):
1. Everything that decides whether a vital-records transaction succeeds is in this package's pure
   functions; the executor only adds the governance policy for "vital.<op>" and checks signatures.
2. The package never sees personal data: a person is a role, a pseudonym and the commitment of
   their data in the vault, and every commitment must be registered, current and not erased in the
   privacy app (read-only, across app spaces).

Theory of operation
-------------------
A birth is reported twice, by two independent parties: the hospital notifies it (`notify_birth`),
the registrar registers it (`register_birth`), and the registration must say exactly what the
notification said (the two-step check), or carry a court order (late registration, or a birth the
hospital never reported) that a `court` member co-signs. Deaths need a medical certifier and a
registrar; marriages both spouses' own keys, an officiant and a registrar; divorces a court.

A record is versioned: `record/<id>` is the current version, `version/<id>/<n>` every version.
Amendments (legal changes, with a document) and corrections (clerical, with a reason) write new
versions of the same people; voiding marks a record void and releases the person indexes that
stopped duplicates (one birth, one death, one current marriage per pseudonym). The ledger issues
registration numbers in order per kind (B-, D-, M-, V-00000001). Events carry the record id as their
subject (notifications: "notification:<id>"), so a record's history is one subject query away.

Time comes only from the block: an event may not be after the block time; a notification comes
within 30 days of the birth, a registration within a year of it unless a court orders it.

Who signs: body-derived signers (the spouses' keys, the court for a court order) are the app's own
requirement; roles are governance policies (`DEFAULT_POLICIES`), so a network can ask for more.
Rules per operation are at the top of `ops_birth.py`, `ops_civil.py`, `ops_amend.py`; the key space
in `store.py`; codes in `errors.py`; the registrar's guide in docs/apps/vital.md.
"""

from __future__ import annotations

from typing import Any

import msgspec

from govledger.apps.vital import ops_amend, ops_birth, ops_civil, queries
from govledger.ledger.app import AllOf, App, HasRole, Operation, Requirement

NAME = "vital"
VITAL_ROLES = ("hospital", "registrar", "medical_certifier", "officiant", "court")

_REGISTRAR = HasRole(role="registrar")
_COURT = HasRole(role="court")

# The governance policies a network installs for this app (genesis `policies`), one per operation so
# that no "vital.*" catch-all applies by accident.
DEFAULT_POLICIES: dict[str, Requirement] = {
    "vital.notify_birth": HasRole(role="hospital"),
    "vital.register_birth": _REGISTRAR,
    "vital.register_death": AllOf(of=[HasRole(role="medical_certifier"), _REGISTRAR]),
    "vital.register_marriage": AllOf(of=[HasRole(role="officiant"), _REGISTRAR]),
    "vital.register_divorce": _COURT,
    "vital.amend": _REGISTRAR,
    "vital.void": AllOf(of=[_REGISTRAR, _COURT]),
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in DEFAULT_POLICIES.items()}


OPERATIONS: dict[str, Operation[Any]] = {
    **ops_birth.OPERATIONS,
    **ops_civil.OPERATIONS,
    **ops_amend.OPERATIONS,
}

assert sorted(f"{NAME}.{op}" for op in OPERATIONS) == sorted(DEFAULT_POLICIES), "a policy per operation"

APP = App(
    name=NAME,
    doc="Vital records: birth notification and registration, deaths, marriages, divorces, amendments.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
)

certificate_data = queries.certificate_data

__all__ = ["APP", "DEFAULT_POLICIES", "NAME", "VITAL_ROLES", "certificate_data", "default_policies_json"]
