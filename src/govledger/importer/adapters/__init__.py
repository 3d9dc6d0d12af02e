"""The registries the importer knows, by CLI name (`ADAPTERS`), and how to add one.

Adding a registry (the extension point) is one module and one line here: write `plan(fields,
custody) -> Plan` for a row (parse what the CSV can get wrong, build the app's body, name the state
key that proves the row is present and how to compare it), wrap it in an `Adapter` with its columns
and the app codes that mean "already registered", and list it below. The runner, checkpoint, report
and CLI need no change.

Births go through the vital app, which registers a birth only on a hospital notification (within
30 days) or a court order, with every person's commitment first registered in the privacy app: the
`births` adapter plans those registrations as prerequisites (`Plan.before`) and registers each birth
on the court order (or migration decree) named in its row.
"""

from __future__ import annotations

from govledger.importer.adapters import company, land, vital
from govledger.importer.adapters.base import Adapter, Plan, RowError

ADAPTERS: dict[str, Adapter] = {
    a.name: a for a in (land.PARTIES, land.PARCELS, company.PARTIES, company.COMPANIES, vital.BIRTHS)
}

__all__ = ["ADAPTERS", "Adapter", "Plan", "RowError"]
