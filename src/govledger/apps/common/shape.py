"""Shape predicates the registry apps share; each app raises its own code when one fails."""

from __future__ import annotations

import re

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*", re.ASCII)
_CODE_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def is_identifier(value: str, max_chars: int) -> bool:
    """1..`max_chars` of [A-Za-z0-9._:-] starting with a letter or digit (so never '/': ids go in keys)."""
    return len(value) <= max_chars and _IDENTIFIER.fullmatch(value) is not None


def is_code(value: str, max_chars: int) -> bool:
    """1..`max_chars` of [a-z0-9_]."""
    return 0 < len(value) <= max_chars and all(c in _CODE_CHARS for c in value)


def is_currency(value: str) -> bool:
    """An ISO 4217 code: three capital ASCII letters."""
    return len(value) == 3 and value.isascii() and value.isalpha() and value.isupper()
