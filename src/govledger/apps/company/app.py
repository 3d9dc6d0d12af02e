"""Company: a commercial register of companies, their officers, shares, filings and trade licences.

Modelled on the registers that work: Dubai's unified commercial register (licences with activities,
renewed every term against a fee), the French greffes (registered office, articles, annual filings,
strike-off) and Delaware (share classes, record dates, stockholder votes, dissolution).

Two rules for this package (as h11 states its own):
1. Everything that decides whether a company transaction succeeds is in this package's pure functions:
   the executor only adds the governance policy for "company.<op>" and checks signatures beforehand.
2. The package never sees a document or a person's data: documents are SHA-256 digests; people are
   party ids bound to keys and to a commitment of their data in the off-ledger vault; the registered
   office is a commitment too. The company's name, legal form and capital are public registry data.

Theory of operation
-------------------
A company is incorporated by its founders and initial officers, each consenting with their own keys,
and a company registrar. Its register entry (`company/<id>`) is versioned like a land title: every
registrable act (incorporation, office, articles, officers, capital, filings, licences granted,
resolutions proposed and closed, strike-off notices, the end) writes version n+1 at
`company/<id>/v/<n+1>` with an entry naming the operation, the signers, the height and block time;
nothing is rewritten. Share transfers and votes are the members' register and the tally, kept in
their own keys; everything emits events whose subject is the company id, so the node's history of
that subject is the company's full lifecycle, and `history` returns every version.

Who must sign is computed from state at block time (`signers`): the board is a majority of the
directors serving at that time; a shareholder, founder or officer signs as its party. Governance adds
the policy for "company.<op>" (`DEFAULT_POLICIES`): the `company_registrar` and `licensing` roles.

Shares are conserved: a class's `issued` equals the sum of its holdings; only `issue_shares` and
`cancel_shares`, signed by the board, change it. Resolutions weigh votes by shares held at a record
height (copy-on-write snapshots in store.py) and close at their deadline in `end_block`, which also
renews or suspends licences at expiry and marks overdue annual returns, all from block time only.

Operations and their rules are in `ops_*.py` (each file starts with its rules), the shared rules in
`rules.py`, the key layout in `store.py`, the per-block rules in `timers.py`, error codes in
`errors.py`, the registrar's guide in docs/apps/company.md.
"""

from __future__ import annotations

from typing import Any

from govledger.apps.common.policies import operations, policies_json
from govledger.apps.company import (
    ops_closure,
    ops_company,
    ops_filings,
    ops_licences,
    ops_officers,
    ops_parties,
    ops_resolutions,
    ops_shares,
    queries,
    timers,
)
from govledger.apps.company.roles import COMPANY_REGISTRAR, COMPANY_ROLES, LICENSING
from govledger.ledger.app import NOBODY_ELSE, App, Operation, Requirement

NAME = "company"

# The governance policies a network installs for this app (genesis `policies`), one per operation so
# that no "company.*" catch-all applies by accident. NOBODY_ELSE: the company's own signers suffice
# (its board, officers, shareholders). Operations that need an official require it in the app too.
DEFAULT_POLICIES: dict[str, Requirement] = {
    "company.register_party": COMPANY_REGISTRAR,
    "company.rebind_party_keys": COMPANY_REGISTRAR,
    "company.incorporate": COMPANY_REGISTRAR,
    "company.change_registered_office": NOBODY_ELSE,
    "company.amend_articles": NOBODY_ELSE,
    "company.appoint_officer": NOBODY_ELSE,
    "company.end_appointment": NOBODY_ELSE,
    "company.create_share_class": NOBODY_ELSE,
    "company.issue_shares": NOBODY_ELSE,
    "company.cancel_shares": NOBODY_ELSE,
    "company.transfer_shares": NOBODY_ELSE,
    "company.file_annual_return": NOBODY_ELSE,
    "company.issue_licence": LICENSING,
    "company.pay_licence_fee": LICENSING,
    "company.suspend_licence": LICENSING,
    "company.reinstate_licence": LICENSING,
    "company.propose_resolution": NOBODY_ELSE,
    "company.cast_vote": NOBODY_ELSE,
    "company.give_strike_off_notice": COMPANY_REGISTRAR,
    "company.withdraw_strike_off_notice": COMPANY_REGISTRAR,
    "company.strike_off": COMPANY_REGISTRAR,
    "company.dissolve": COMPANY_REGISTRAR,
}


def default_policies_json() -> dict[str, Any]:
    """DEFAULT_POLICIES as genesis JSON (`app_state.governance.policies`)."""
    return policies_json(DEFAULT_POLICIES)


OPERATIONS: dict[str, Operation[Any]] = operations(
    NAME,
    DEFAULT_POLICIES,
    ops_parties.OPERATIONS,
    ops_company.OPERATIONS,
    ops_officers.OPERATIONS,
    ops_shares.OPERATIONS,
    ops_filings.OPERATIONS,
    ops_licences.OPERATIONS,
    ops_resolutions.OPERATIONS,
    ops_closure.OPERATIONS,
)

APP = App(
    name=NAME,
    doc="Company register: incorporation, officers, share classes and transfers, annual returns, trade "
    "licences with automatic renewal, shareholder resolutions, strike-off and dissolution.",
    operations=OPERATIONS,
    queries=queries.QUERIES,
    end_block=timers.end_block,
)

certificate_data = queries.certificate_data

__all__ = ["APP", "COMPANY_ROLES", "DEFAULT_POLICIES", "NAME", "certificate_data", "default_policies_json"]
