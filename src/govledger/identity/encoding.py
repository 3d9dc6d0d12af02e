"""Strict decoders for the encodings credentials use: base64url, JSON, multibase.

Every decoder here is fed attacker-controlled text, so each one bounds its input and says exactly
why it refused it (`input.too_large`, `input.malformed`, `input.bad_json`):

- base64url: the unpadded URL-safe alphabet only (RFC 7515 §2); padding, whitespace or `+/` are
  refused rather than tolerated, so one token has one spelling.
- JSON: duplicate member names are refused (RFC 7519 §4 lets a parser reject them, and accepting the
  last one would let a claim hide behind another), as are NaN/Infinity and nesting deeper than
  `MAX_JSON_DEPTH` (checked by a linear scan before parsing, so no recursion error is possible).
- multibase: `z` (base58btc) and `u` (base64url, no padding) only: the two prefixes DIDs, Data
  Integrity proofs and Bitstring Status Lists use.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import base58

from govledger.identity.errors import fail

MAX_TOKEN_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, what: str = "value", max_chars: int = 4 * MAX_TOKEN_BYTES // 3 + 4) -> bytes:
    if not isinstance(text, str):
        fail("input.malformed", f"{what} is not a string")
    if len(text) > max_chars:
        fail("input.too_large", f"{what} is longer than {max_chars} characters")
    if len(text) % 4 == 1 or not _B64URL.match(text):
        fail("input.malformed", f"{what} is not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate member name {k!r}")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _depth(text: str) -> int:
    """Maximum bracket nesting, ignoring brackets inside strings (linear, no recursion).

    Most documents have fewer opening brackets than the bound, which settles it without a scan;
    otherwise strings are cut out with one regex and only the brackets are walked.
    """
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0
    depth = best = 0
    for ch in _BRACKETS.findall(_STRING.sub("", text)):
        if ch in "[{":
            depth += 1
            best = max(best, depth)
        else:
            depth -= 1
    return best


def json_loads(data: bytes | str, *, what: str = "JSON", max_bytes: int = MAX_TOKEN_BYTES) -> Any:
    """Parse JSON strictly (see the module docstring); never raises anything but CheckFailed."""
    if len(data) > max_bytes:
        fail("input.too_large", f"{what} is larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        fail("input.bad_json", f"{what} is not UTF-8")
    if _depth(text) > MAX_JSON_DEPTH:
        fail("input.bad_json", f"{what} nests deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        fail("input.bad_json", f"{what}: {exc}")


def json_object(data: bytes | str, *, what: str = "JSON", max_bytes: int = MAX_TOKEN_BYTES) -> dict[str, Any]:
    value = json_loads(data, what=what, max_bytes=max_bytes)
    if not isinstance(value, dict):
        fail("input.wrong_type", f"{what} is not a JSON object")
    return value


def json_dumps(value: Any) -> str:
    """Compact JSON (no spaces), UTF-8 kept as is: how this package serialises what it signs."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def multibase_decode(text: str, *, what: str = "multibase value", max_chars: int = 8192) -> bytes:
    if not isinstance(text, str) or len(text) < 2:
        fail("input.malformed", f"{what} is not a multibase string")
    if len(text) > max_chars:
        fail("input.too_large", f"{what} is longer than {max_chars} characters")
    prefix, body = text[0], text[1:]
    if prefix == "z":
        try:
            return base58.b58decode(body.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            fail("input.malformed", f"{what} is not base58btc")
    if prefix == "u":
        return b64url_decode(body, what=what, max_chars=max_chars)
    fail("input.malformed", f"{what} has an unsupported multibase prefix {prefix!r}")


def base58btc(data: bytes) -> str:
    """Multibase base58btc: `z` + base58 (Bitcoin alphabet)."""
    return "z" + base58.b58encode(data).decode("ascii")


def get_str(obj: dict[str, Any], name: str, what: str, *, required: bool = True) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        fail("input.wrong_type", f"{what}: `{name}` must be a non-empty string")
    return value


def get_int(obj: dict[str, Any], name: str, what: str, *, required: bool = True) -> int | None:
    value = obj.get(name)
    if value is None and not required:
        return None
    # bool is an int in Python; JSON true is not a number.
    if not isinstance(value, int) or isinstance(value, bool):
        fail("input.wrong_type", f"{what}: `{name}` must be an integer")
    return value
