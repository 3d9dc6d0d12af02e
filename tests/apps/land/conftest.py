"""Fixtures for the land app's tests: a populated in-memory ledger per test (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import LandChain, Ledger, fresh_world, genesis_bytes


@pytest.fixture
def led() -> Ledger:
    """Parties alice, bob, carol, dave, erin, bank-1; parcels P1 (alice) and P2 (alice 1/2, bob 1/2)."""
    return fresh_world()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[LandChain]:
    c = LandChain(tmp_path / "chain", genesis_bytes())
    yield c
    c.close()
