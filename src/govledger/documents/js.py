"""The few JavaScript semantics that OpenAttestation's hashes depend on, reproduced exactly.

OpenAttestation v2 hashes strings that JavaScript built: `String(n)` of a number inside each salted
value, `JSON.stringify` of `{path: saltedValue}` and of the sorted hash list. A verifier that formats
one number or escapes one character differently computes another hash and calls an authentic
document tampered. So this module pins down, and the tests cross-check against Node itself:

- `number_to_string(x)`: ECMAScript Number::toString(10). The digits are the shortest that round-trip
  (Python's `repr` computes the same digits), then JavaScript's layout rules: plain notation for
  decimal exponents -6 < n <= 21, otherwise `d.ddde+N`; `-0` is `0`; `5.0` is `5`. Integers beyond
  2^53 are rounded to the nearest double first, as `JSON.parse` does.
- `stringify_string(s)`: `JSON.stringify` of a string: the same escapes as Python's `json` (quote,
  backslash, control characters as `\\b \\f \\n \\r \\t` or lower-case `\\u00xx`), non-ASCII kept as is, and
  lone UTF-16 surrogates written as `\\udxxx` (well-formed JSON.stringify, Node >= 12).
- `stringify_leaf(value)`: `JSON.stringify` of a flattened leaf value (string, number, boolean, null,
  `{}` or `[]`).
- `parse_json(data)`: strict, bounded `JSON.parse`: duplicate keys keep the last value (as JavaScript
  does), `NaN`/`Infinity` literals are refused (they are not JSON), size and nesting are bounded.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
MAX_JSON_BYTES_DEFAULT = 4 * 1024 * 1024
MAX_DEPTH_DEFAULT = 64

_encode_basestring = json.encoder.encode_basestring
_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})
_REPR = re.compile(r"^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$")


class JsonError(ValueError):
    """Input that is not a JSON document within the bounds (the message says which rule)."""


def number_to_string(x: int | float) -> str:
    """ECMAScript `String(x)` for a number (`x` as JSON.parse would have produced it)."""
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(x, int):
        if -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
            return str(x)  # exact in a double, and below 1e21: JavaScript prints every digit
        try:
            x = float(x)  # nearest double, ties to even: the rounding JSON.parse applies
        except OverflowError:
            return "Infinity" if x > 0 else "-Infinity"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"  # -0 too
    sign = "-" if x < 0 else ""
    return sign + _layout(*_shortest_digits(abs(x)))


def _shortest_digits(x: float) -> tuple[str, int]:
    """(digits without leading/trailing zeros, n) with x = 0.digits * 10^n, shortest round-trip."""
    m = _REPR.match(repr(x))
    assert m is not None, f"unexpected float repr {x!r}"
    whole, frac, exp = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    digits = whole + frac
    point = len(whole) + exp
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    return stripped.rstrip("0"), point


def _layout(s: str, n: int) -> str:
    """Number::toString steps 6-10 for digits `s` (k of them) and decimal exponent `n`."""
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    e = n - 1
    exp = ("e+" if e >= 0 else "e-") + str(abs(e))
    return s + exp if k == 1 else s[0] + "." + s[1:] + exp


def stringify_string(s: str) -> str:
    """`JSON.stringify(s)` for a string."""
    out: str = _encode_basestring(s)
    if s.isascii():
        return out
    # Python keeps a surrogate pair typed as two code points apart; JavaScript sees one character.
    # Re-pair them first, then escape the lone ones as well-formed JSON.stringify does.
    if _SURROGATE.search(out) is None:
        return out
    paired = out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", paired)


def stringify_leaf(value: Any) -> str:
    """`JSON.stringify` of a flattened leaf value."""
    if isinstance(value, str):
        return stringify_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        s = number_to_string(value)
        return "null" if s in _NON_FINITE else s  # JSON.stringify(Infinity) is null
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, list) and not value:
        return "[]"
    raise TypeError(f"not a leaf value: {type(value).__name__}")


def utf8(s: str) -> bytes:
    """UTF-8 of a string that `stringify_*` produced (no lone surrogates remain)."""
    return s.encode("utf-8")


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def parse_json(
    data: bytes | bytearray | memoryview | str,
    max_bytes: int = MAX_JSON_BYTES_DEFAULT,
    max_depth: int = MAX_DEPTH_DEFAULT,
) -> Any:
    """Parse a JSON text as JSON.parse does, within bounds; raises JsonError, never anything else."""
    if isinstance(data, str):
        size = len(data)  # characters: at most 4 bytes each, checked again below
        text = data
    elif isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
        if size > max_bytes:
            raise JsonError(f"{size} bytes exceed the limit of {max_bytes}")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonError(f"not UTF-8: {exc}") from None
    else:
        raise JsonError(f"expected bytes or str, got {type(data).__name__}")
    if size > max_bytes:
        raise JsonError(f"{size} characters exceed the limit of {max_bytes}")
    if text.startswith("\ufeff"):
        raise JsonError("a byte-order mark is not JSON")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except JsonError:
        raise
    except RecursionError:
        raise JsonError(f"nesting exceeds the limit of {max_depth}") from None
    except ValueError as exc:  # JSONDecodeError, and int-digit limits
        raise JsonError(f"malformed JSON: {exc}") from None
    if depth(value, max_depth) > max_depth:
        raise JsonError(f"nesting exceeds the limit of {max_depth}")
    return value


def depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value (a scalar is 0), stopping early once above `limit`."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    deepest = 0
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        d += 1
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        stack.extend((c, d) for c in children if isinstance(c, dict | list))
    return deepest


_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_MAX_ARRAY_INDEX = 2**32 - 2


def js_key_order(keys: list[str]) -> list[str]:
    """The order of `Object.keys` for an object whose keys were inserted in `keys` order: array-index
    keys ascending numerically first, then the others in insertion order."""
    index_keys = [k for k in keys if _ARRAY_INDEX.match(k) and int(k) <= _MAX_ARRAY_INDEX]
    if not index_keys:
        return keys
    chosen = set(index_keys)
    return sorted(index_keys, key=int) + [k for k in keys if k not in chosen]
