"""The registrar's guide lists exactly the codes the app can raise, and every operation."""

from __future__ import annotations

import re
from pathlib import Path

from govledger.apps.vital.app import APP, DEFAULT_POLICIES
from govledger.apps.vital.errors import CODES

DOC = Path(__file__).resolve().parents[3] / "docs" / "apps" / "vital.md"


def test_the_guide_lists_every_code_and_operation() -> None:
    text = DOC.read_text()
    assert set(re.findall(r"^\| `(vital\.[a-z_]+)` \|", text, re.M)) == set(CODES)
    assert all(f"| `{op}` |" in text for op in APP.operations)
    assert sorted(DEFAULT_POLICIES) == sorted(f"vital.{op}" for op in APP.operations)
