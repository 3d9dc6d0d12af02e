"""Fixtures for the company app's tests: a populated in-memory ledger per test (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import CompanyChain, Ledger, fresh_world, genesis_bytes


@pytest.fixture
def led() -> Ledger:
    """Parties alice..frank; ACME with directors alice and bob, secretary carol; ORD alice 600, bob 400."""
    return fresh_world()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[CompanyChain]:
    c = CompanyChain(tmp_path / "chain", genesis_bytes())
    yield c
    c.close()
