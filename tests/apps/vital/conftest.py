"""Fixtures for the vital app's tests (see ../privacy/harness.py)."""

from __future__ import annotations

import pytest

from ..privacy.harness import Ledger


@pytest.fixture
def led() -> Ledger:
    return Ledger()
