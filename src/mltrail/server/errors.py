"""Errors as HTTP responses: each mltrail error class maps to one status code, here and only here.

Bodies have Marquez's shape, which its web UI parses: ``{"code": 404, "message": "…"}``, plus
``details`` naming the offending field, value, JSON paths or query position where known.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from mltrail.core.errors import (
    ConfigError,
    ConflictError,
    EventValidationError,
    MltrailError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1
"""What a 503 asks clients to wait before retrying."""


def error_response(
    status: int, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error body in Marquez's shape."""
    body: dict[str, Any] = {"code": status, "message": message}
    if details:
        body["details"] = details
    sent = dict(headers or {})
    if status == 503:
        sent["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(body, status_code=status, headers=sent or None)


def _status_and_details(exc: MltrailError) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, EventValidationError):
        return 422, {"field": exc.field, "errors": [{"path": p, "message": m} for p, m in exc.errors]}
    if isinstance(exc, QuerySyntaxError):
        return 400, {"field": exc.field, "text": exc.text, "position": exc.position, "reason": exc.reason}
    if isinstance(exc, ValidationError):
        return 400, {"field": exc.field, "value": _jsonable(exc.value)}
    if isinstance(exc, NotFoundError):
        return 404, {"kind": exc.kind, "id": _jsonable(exc.id)}
    if isinstance(exc, ConflictError):
        return 409, {"kind": exc.kind, "id": _jsonable(exc.id)}
    if isinstance(exc, StoreError | ConfigError):
        return 503, {}
    return 500, {}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


async def _mltrail_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MltrailError)
    status, details = _status_and_details(exc)
    details["error"] = type(exc).__name__
    if status >= 500:
        log.warning("request failed (%d): %s", status, exc)
    return error_response(status, str(exc), details)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


async def _request_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    message = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
    return error_response(400, f"invalid request: {message}", {"errors": problems})


def install_error_handlers(app: FastAPI) -> None:
    """Answer mltrail errors, HTTP errors and invalid parameters with JSON in Marquez's shape."""
    app.add_exception_handler(MltrailError, _mltrail_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)


__all__ = ["RETRY_AFTER_SECONDS", "error_response", "install_error_handlers"]
