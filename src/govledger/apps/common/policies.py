"""How a registry app assembles its operation table against the governance policies it installs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from govledger.ledger.app import Operation, Requirement


def policies_json(policies: Mapping[str, Requirement]) -> dict[str, Any]:
    """Policies as genesis JSON (`app_state.governance.policies`)."""
    return {target: msgspec.to_builtins(req) for target, req in policies.items()}


def operations(
    app: str, policies: Mapping[str, Requirement], *tables: Mapping[str, Operation[Any]]
) -> dict[str, Operation[Any]]:
    """The app's operations, merged from its `ops_*` modules' tables in order, one policy for each
    (so that no "<app>.*" catch-all applies by accident)."""
    merged: dict[str, Operation[Any]] = {}
    for table in tables:
        merged.update(table)
    assert sorted(f"{app}.{op}" for op in merged) == sorted(policies), "a policy per operation"
    return merged
