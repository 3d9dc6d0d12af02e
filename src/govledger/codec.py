"""Canonical binary encoding: msgspec MessagePack with strict, canonical-only decoding.

Rules, so that one value has exactly one byte string and hashes are stable:
- every wire type derives from `Record` (frozen, unknown fields forbidden, encoded as a map in
  field-declaration order, so the same types also read naturally as JSON objects);
- `decode` rejects oversize input, unknown or missing fields, wrong types, trailing bytes, and any
  input that does not re-encode to the identical bytes (non-minimal integers, map key order);
- maps are encoded with sorted keys (`order="deterministic"`), floats never appear in wire types.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

import msgspec

from govledger.errors import CodecError

T = TypeVar("T")

MAX_DECODE_BYTES_DEFAULT = 1 << 20


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Base of every canonical wire type.

    Not tracked by the cyclic garbage collector (`gc=False`, inherited): records are immutable data
    that never form reference cycles, and a node creates several per transaction, each of which
    would otherwise count towards, and be scanned by, every collection.
    """


_encoder = msgspec.msgpack.Encoder(order="deterministic")
_decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}


def encode(value: Any) -> bytes:
    """Canonical bytes of a wire value."""
    return _encoder.encode(value)


def _decoder(type_: Any) -> msgspec.msgpack.Decoder[Any]:
    dec = _decoders.get(type_)
    if dec is None:
        dec = msgspec.msgpack.Decoder(type_, strict=True)
        _decoders[type_] = dec
    return dec


def decode(data: bytes, type_: type[T], max_bytes: int = MAX_DECODE_BYTES_DEFAULT) -> T:
    """Decode canonical bytes into `type_` or raise CodecError with a clear reason."""
    # Every transaction passes here three times: the checks are ordered and written for bytes.
    if type(data) is not bytes:
        if not isinstance(data, bytearray | memoryview):
            raise CodecError("codec.not_bytes", f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
    if len(data) > max_bytes:
        raise CodecError("codec.oversize", f"input of {len(data)} bytes exceeds the limit of {max_bytes}")
    dec = _decoders.get(type_) or _decoder(type_)
    try:
        value = dec.decode(data)
    except msgspec.ValidationError as exc:
        raise CodecError("codec.invalid", f"does not match {_type_name(type_)}: {exc}") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # msgspec surfaces invalid UTF-8 in map keys as UnicodeDecodeError, not DecodeError
        raise CodecError("codec.malformed", f"malformed MessagePack: {exc}") from None
    if _encoder.encode(value) != data:
        raise CodecError("codec.not_canonical", f"{_type_name(type_)} is not in canonical encoding")
    return value  # type: ignore[no-any-return]


def to_json(value: Any) -> bytes:
    """JSON for humans and the REST API (bytes as base64, as msgspec does)."""
    return msgspec.json.encode(value)


def from_jsonable(obj: Any, type_: type[T]) -> T:
    """Convert parsed JSON (dicts, lists, base64 strings) into a wire type, strictly."""
    try:
        return msgspec.convert(obj, type=type_, strict=False)
    except msgspec.ValidationError as exc:
        raise CodecError("codec.invalid", f"does not match {_type_name(type_)}: {exc}") from None


def decode_trusted(data: bytes, type_: type[T]) -> T:
    """Decode bytes this node wrote itself (its own state): typed, but without the canonical re-check.

    Only for storage reads; anything from the network goes through `decode`.
    """
    try:
        return _decoder(type_).decode(data)  # type: ignore[no-any-return]
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise CodecError(
            "codec.corrupt_state", f"stored {_type_name(type_)} does not decode: {exc}"
        ) from None


_SHARED_CACHE_MAX = 8192
_shared_cache: dict[tuple[Any, bytes], Any] = {}


def decode_shared(data: bytes, type_: type[T]) -> T:
    """Like `decode_trusted`, memoised by content: callers share one instance and must never mutate it
    (not even a list inside a frozen Record). It turns the thousands of identical governance lookups
    in a block (policies, members) into dictionary hits.
    """
    key = (type_, data)
    hit = _shared_cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = decode_trusted(data, type_)
    if len(data) <= 4096:
        if len(_shared_cache) >= _SHARED_CACHE_MAX:
            _shared_cache.clear()
        _shared_cache[key] = value
    return value


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hash_of(value: Any) -> bytes:
    """SHA-256 of the canonical encoding of a wire value."""
    return hashlib.sha256(_encoder.encode(value)).digest()


def _type_name(type_: Any) -> str:
    return getattr(type_, "__name__", repr(type_))
