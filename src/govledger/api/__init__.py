"""The REST API edge: `create_app(node)` builds the FastAPI application serving /v1 and /health.

The package is imported lazily so that `govledger.api.models` (response shapes shared with the SDK)
can be used without importing FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govledger.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from govledger.api.app import create_app

        return create_app
    raise AttributeError(name)
