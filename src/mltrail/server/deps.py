"""What handlers depend on: the store, and request bodies read within limits."""

from __future__ import annotations

import json
import zlib
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from mltrail.store import Store

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body accepted, after decompression (a batch of events; one event may be 5 MiB)."""


def get_store(request: Request) -> Store:
    """The store the app opened at start-up."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


async def json_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body, gunzipped when ``Content-Encoding: gzip``.

    Raises:
        HTTPException: 413 past ``limit`` bytes (compressed or not), 415 for another encoding,
            400 for a body that is not JSON (with the line and column).
    """
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise HTTPException(415, f"unsupported Content-Encoding {encoding!r}; send identity or gzip")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"request body larger than {limit:,} bytes")
    if encoding == "gzip":
        data = bytearray(_gunzip(bytes(data), limit))
    try:
        text = data.decode()  # JSON over HTTP is UTF-8 (RFC 8259)
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"body is not UTF-8 text: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HTTPException(
            400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise HTTPException(400, f"body is not valid gzip: {exc}") from exc
    if len(out) > limit:
        raise HTTPException(413, f"request body larger than {limit:,} bytes once decompressed")
    if not inflater.eof:
        raise HTTPException(400, "body is not valid gzip: truncated")
    return out


__all__ = ["MAX_BODY_BYTES", "StoreDep", "get_store", "json_body"]
