"""Fixtures for the privacy app's tests (see harness.py)."""

from __future__ import annotations

import pytest

from .harness import Ledger


@pytest.fixture
def led() -> Ledger:
    return Ledger()
