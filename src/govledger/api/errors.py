"""Error mapping: every failure becomes `{"error": {"code", "message"}}` with a fitting HTTP status.

Owns the table from stable error codes to HTTP statuses and the FastAPI exception handlers:
- `GovledgerError` → 400, or the status its code maps to (404 unknown resource, 409 replay or
  duplicate, 413 too large, 429 mempool full with `Retry-After`, 503 server busy);
- FastAPI/Starlette validation errors → 400 `request.invalid`; unknown routes → 404 `request.not_found`;
- anything else → 500 `internal` with a generic message (the traceback goes to the log only).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from govledger.api.models import ErrorBody, ErrorEnvelope
from govledger.codec import to_json
from govledger.errors import GovledgerError
from govledger.ledger.mempool import FULL_CODES

log = logging.getLogger("govledger.api")

RETRY_AFTER_SECONDS = 1

STATUS_BY_CODE: dict[str, int] = {
    "request.not_found": 404,
    "request.method_not_allowed": 405,
    "request.unsupported_media_type": 415,
    "request.too_large": 413,
    "codec.oversize": 413,
    "mempool.batch_too_large": 413,
    "tx.not_found": 404,
    "block.not_found": 404,
    "app.unknown": 404,
    "query.unknown": 404,
    "query.unknown_height": 404,
    "chain.unknown_height": 404,
    "tx.replay": 409,
    "tx.duplicate": 409,
    "mempool.full": 429,
    "mempool.signer_limit": 429,
    "api.too_many_waiters": 503,
    "api.too_many_subscribers": 503,
}


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, 400)


def retry_headers(code: str) -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)} if code in FULL_CODES else {}


class ApiError(GovledgerError):
    """A GovledgerError raised by the API layer itself, optionally with an explicit status."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status if status is not None else status_for(code)


def error_response(code: str, message: str, status: int | None = None) -> Response:
    return Response(
        content=to_json(ErrorEnvelope(ErrorBody(code=code, message=message))),
        status_code=status if status is not None else status_for(code),
        media_type="application/json",
        headers=retry_headers(code),
    )


async def _govledger_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GovledgerError)
    status = exc.status if isinstance(exc, ApiError) else None
    return error_response(exc.code, exc.message, status)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid")))
    return error_response("request.invalid", "; ".join(parts) or "invalid request", 400)


_HTTP_CODES = {404: "request.not_found", 405: "request.method_not_allowed", 413: "request.too_large"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "request.invalid" if exc.status_code < 500 else "internal")
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return error_response(code, message, exc.status_code)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response("internal", "internal error; see the node log", 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GovledgerError, _govledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
