"""What handlers depend on: the store, access checks, and request bodies read within limits."""

from __future__ import annotations

import json
import time
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from mltrail.core.access import Role, TokenInfo
from mltrail.store import Store

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body accepted, after decompression (a batch of events; one event may be 5 MiB)."""


def get_store(request: Request) -> Store:
    """The store the app opened at start-up."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]

TOKENS_RECHECK_SECONDS = 2.0
"""How long the server trusts its last look at whether any token exists."""
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mltrail"'}


class Access:
    """A dependency that lets a request through if it may do what ``role`` may.

    While no active token exists, every request passes (the server then listens on loopback
    unless told otherwise, and warns). Once one exists, writes need a token of ``role``, and
    reads need a reader token if the server requires auth for reads.
    """

    def __init__(self, role: Role, *, read: bool = False) -> None:
        self.role = role
        self.read = read

    async def __call__(self, request: Request) -> TokenInfo | None:
        """Check the request's bearer token; 401 without a valid one, 403 for a too weak role."""
        app = request.app
        if self.read and not app.state.settings.require_auth_for_reads:
            return None
        store: Store = app.state.store
        if not await _tokens_required(app, store):
            return None
        found = await presented_token(request)
        if found is None:
            raise HTTPException(
                401, "authentication required: send Authorization: Bearer <token>", _CHALLENGE
            )
        if not found.role.allows(self.role):
            raise HTTPException(403, f"a {found.role} token may not do this; it needs {self.role} or above")
        return found


async def presented_token(request: Request) -> TokenInfo | None:
    """The request's bearer token, checked; ``None`` when the request sends none.

    Raises:
        HTTPException: 401 for a token that is unknown, revoked or expired.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    store: Store = request.app.state.store
    found = await run_in_threadpool(store.tokens.verify, token.strip())
    if found is None or not found.is_active(datetime.now(UTC)):
        raise HTTPException(401, "invalid, revoked or expired token", _CHALLENGE)
    return found


async def tokens_required(request: Request) -> bool:
    """Whether the server asks for tokens (any active token exists, as last checked)."""
    return await _tokens_required(request.app, request.app.state.store)


async def _tokens_required(app: Any, store: Store) -> bool:
    checked_at, required = getattr(app.state, "tokens_checked", (0.0, False))
    now = time.monotonic()
    if now - checked_at > TOKENS_RECHECK_SECONDS:
        required = await run_in_threadpool(store.tokens.any_active)
        app.state.tokens_checked = (now, required)
    return bool(required)


READ = Depends(Access(Role.READER, read=True))
"""Router dependency of read endpoints."""
WRITE = Depends(Access(Role.WRITER))
"""Router dependency of write endpoints."""


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


__all__ = [
    "MAX_BODY_BYTES",
    "READ",
    "WRITE",
    "Access",
    "StoreDep",
    "get_store",
    "json_body",
    "presented_token",
    "tokens_required",
]
