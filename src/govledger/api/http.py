"""Small HTTP helpers shared by the routes: msgspec JSON responses, bounded body reads, hex parsing."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from govledger.api.errors import ApiError
from govledger.codec import to_json

MSGPACK_TYPES = frozenset({"application/msgpack", "application/x-msgpack", "application/vnd.msgpack"})
JSON_TYPE = "application/json"
SINGLE_BODY_LIMIT = 1 << 20
BATCH_BODY_LIMIT = 64 << 20


class MsgspecJSONResponse(Response):
    """JSON rendered by msgspec: Records and Structs directly, bytes as base64."""

    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return to_json(content)


_BINARY = {"type": "string", "format": "binary"}


def body_doc(msgpack_desc: str, json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra` describing a request body read by hand (the routes parse bodies themselves)."""
    content: dict[str, Any] = {}
    if msgpack_desc:
        content["application/msgpack"] = {"schema": {**_BINARY, "description": msgpack_desc}}
    if json_schema is not None:
        content[JSON_TYPE] = {"schema": json_schema}
    return {"requestBody": {"required": True, "content": content}}


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content=to_json(content), status_code=status, media_type=JSON_TYPE, headers=headers)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def wants_msgpack(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(t in accept for t in MSGPACK_TYPES)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything larger than `limit` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError("request.invalid", "Content-Length is not a number") from None
        if size > limit:
            raise ApiError("request.too_large", f"request body of {size} bytes exceeds the limit of {limit}")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ApiError("request.too_large", f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_hash(value: str, what: str = "id") -> bytes:
    """A 32-byte hash given as 64 hex characters in a URL."""
    if len(value) != 64:
        raise ApiError("request.invalid", f"{what} must be 64 hex characters")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ApiError("request.invalid", f"{what} must be 64 hex characters") from None


def parse_hex(value: str, what: str, max_bytes: int) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ApiError("request.invalid", f"{what} must be hex") from None
    if len(raw) > max_bytes:
        raise ApiError("request.invalid", f"{what} is longer than {max_bytes} bytes")
    return raw
