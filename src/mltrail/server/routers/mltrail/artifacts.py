"""Run artifacts as files under the server's artifact root: upload, download, list.

Paths are relative to the root (``<experiment>/<run id>/<path>``, as the SDK lays them out).
Every path is checked part by part before it touches the disk: no absolute paths, no ``.``,
``..`` or empty parts (percent-encoded or not), no backslashes or control characters, and
no symlink on the way that leads out of the root.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from mltrail.core.errors import ConfigError, NotFoundError, ValidationError
from mltrail.core.validation import artifact_path_parts
from mltrail.server.deps import READ, WRITE
from mltrail.server.paths import segment
from mltrail.tracking.artifacts import resolve_artifact_root

router = APIRouter(prefix="/artifacts", tags=["artifacts"])

INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv", "application/json"}
)
"""Types a browser may show in place; anything else (HTML and SVG included) downloads."""
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def _root(request: Request) -> Path:
    root = resolve_artifact_root(request.app.state.settings)
    if not isinstance(root, Path):
        message = "the server's artifact root must be a local folder"
        raise ConfigError(message, key="artifact_root", value=root)
    return root


def _target(request: Request, raw: str) -> tuple[Path, str]:
    """The file a raw route path names under the root, and the path as text; or a ValidationError."""
    names = [segment(part) for part in raw.split("/")]
    text = "/".join(names)
    if any("/" in name for name in names):
        raise ValidationError(f"path {text!r} has a part with an encoded '/'", field="path", value=text)
    root = _root(request)
    target = root.joinpath(*artifact_path_parts(text, field="path"))
    if not target.resolve().is_relative_to(root.resolve()):
        raise ValidationError(f"path {text!r} leads out of the artifact root", field="path", value=text)
    return target, text


@router.put("/{path:path}", status_code=201, dependencies=[WRITE])
async def put_artifact(path: str, request: Request) -> JSONResponse:
    """Store the request body as the file at ``path`` (replacing it): ``{"path": …, "size": …}``."""
    target, text = _target(request, path)
    if target.is_dir():
        raise ValidationError(f"path {text!r} is a folder", field="path", value=text)
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
                size += len(chunk)
        os.replace(temporary, target)  # readers see the old file or the whole new one
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return JSONResponse({"path": text, "size": size}, status_code=201)


@router.get("/{path:path}", dependencies=[READ], response_model=None)
def get_artifact(path: str, request: Request) -> FileResponse | JSONResponse:
    """A file's bytes, or a folder's entries ``{"files": [{"path", "is_dir", "size"}]}``."""
    target, text = _target(request, path)
    if target.is_dir():
        entries: list[dict[str, Any]] = [
            {
                "path": f"{text}/{child.name}",
                "is_dir": child.is_dir(),
                "size": None if child.is_dir() else child.stat().st_size,
            }
            for child in sorted(target.iterdir())
            if not child.name.startswith(".upload-")
        ]
        return JSONResponse({"files": entries})
    if not target.is_file():
        raise NotFoundError("artifact", text)
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    inline = media_type in INLINE_TYPES
    return FileResponse(
        target,
        media_type=media_type if inline else "application/octet-stream",
        filename=target.name,
        content_disposition_type="inline" if inline else "attachment",
        headers=_SAFE_HEADERS,
    )
