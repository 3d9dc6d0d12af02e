"""The governance roles the company app names, and the requirements built from them.

`company_registrar` (not `registrar`): a land registrar must not be able to incorporate or strike off
companies just because both registries call their clerks registrars. `licensing`: the economic
department that issues trade licences and confirms the fees it received.

Operations that no party of the company signs (strike-off, licence decisions, key rebinding) require
the role in the app itself, on top of any governance policy: if a network forgot the policy, they
would otherwise need nobody at all (fail closed, as land does for first registration).
"""

from __future__ import annotations

from govledger.ledger.app import HasRole

COMPANY_REGISTRAR_ROLE = "company_registrar"
LICENSING_ROLE = "licensing"
COMPANY_ROLES = (COMPANY_REGISTRAR_ROLE, LICENSING_ROLE)

COMPANY_REGISTRAR = HasRole(role=COMPANY_REGISTRAR_ROLE)
LICENSING = HasRole(role=LICENSING_ROLE)
