"""Route on the raw request path, so that a percent-encoded ``/`` stays inside its path segment.

Marquez's web UI and marquez-python put namespaces such as ``s3://bucket`` into URL path segments
as ``s3%3A%2F%2Fbucket``. Starlette decodes the path before routing, which would turn that one
segment into several. :class:`RawPathRouting` gives the router the raw path with each segment
decoded except for ``/`` and ``%`` (kept as ``%2F`` and ``%25``); :func:`segment` restores a path
parameter's text.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Path
from pydantic import AfterValidator


class RawPathRouting:
    """ASGI middleware: route on segments decoded one by one (see the module's docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Hand the request on with ``scope["path"]`` built from the raw path."""
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw:
            text = raw.decode("latin-1").split("?", 1)[0]
            scope = dict(scope, path="/".join(_escaped(part) for part in text.split("/")))
        await self.app(scope, receive, send)


def _escaped(part: str) -> str:
    return unquote(part).replace("%", "%25").replace("/", "%2F")


def segment(value: str) -> str:
    """A path parameter's text, from the escaped form :class:`RawPathRouting` routes on."""
    return unquote(value)


PathText = Annotated[str, Path(), AfterValidator(segment)]
"""A path parameter that may contain ``/`` (sent as ``%2F``), e.g. a namespace ``s3://bucket``."""

__all__ = ["PathText", "RawPathRouting", "segment"]
