"""The apps installed in this build. Adding an app means adding it here; the core does not change.

Each entry names the pure state machine and, lazily by module path, its API router and CLI group,
so that importing the state machines pulls in no web or CLI code.
"""

from __future__ import annotations

from dataclasses import dataclass

from govledger.apps.attest.app import APP as ATTEST
from govledger.apps.company.app import APP as COMPANY
from govledger.apps.documents.app import APP as DOCUMENTS
from govledger.apps.governance.app import APP as GOVERNANCE
from govledger.apps.governance.app import AUTHORITY
from govledger.apps.identity.app import APP as IDENTITY
from govledger.apps.land.app import APP as LAND
from govledger.apps.privacy.app import APP as PRIVACY
from govledger.apps.vital.app import APP as VITAL
from govledger.apps.voting.app import APP as VOTING
from govledger.ledger.app import App, Authority


@dataclass(frozen=True)
class InstalledApp:
    app: App
    router: str = ""  # "module:attribute" of a FastAPI APIRouter, if the app has its own routes
    cli: str = ""  # "module:attribute" of a Typer app, if the app has its own CLI group


INSTALLED: tuple[InstalledApp, ...] = (
    InstalledApp(GOVERNANCE),
    InstalledApp(ATTEST),
    InstalledApp(LAND),
    InstalledApp(PRIVACY),
    InstalledApp(VITAL),
    InstalledApp(DOCUMENTS),
    InstalledApp(COMPANY),
    InstalledApp(IDENTITY, router="govledger.identity.api:router", cli="govledger.identity.cli:app"),
    InstalledApp(VOTING, cli="govledger.cli.election:app"),
)


def apps() -> dict[str, App]:
    return {i.app.name: i.app for i in INSTALLED}


def authority() -> Authority:
    return AUTHORITY
