"""Responses of mltrail's own API: JSON written by :mod:`mltrail.core.wire`, NaN and Infinity included."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from mltrail.core import wire


class WireResponse(JSONResponse):
    """JSON that keeps non-finite floats (metric values), which Starlette's default refuses."""

    def render(self, content: Any) -> bytes:
        """Encode JSON-ready content."""
        return wire.encode(content)


def wire_response(value: Any, kind: Any = None, *, status_code: int = 200) -> WireResponse:
    """An entity, request body or list of them as a response."""
    return WireResponse(wire.dump(value, kind), status_code=status_code)


__all__ = ["WireResponse", "wire_response"]
