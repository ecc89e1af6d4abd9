"""Run artifacts as files under the server's artifact root: upload, download, list.

Paths are relative to the root (``<experiment>/<run id>/<path>``, as the SDK lays them out).
Every path is checked part by part before it touches the disk: no absolute paths, no ``.``,
``..`` or empty parts (percent-encoded or not), no backslashes or control characters, and
no symlink on the way that leads out of the root.

:func:`run_artifact_listing` maps a run's ``artifact_uri`` to its folder under the root, for
``GET /runs/{id}/artifacts``: a local path or ``file://`` URI under the root, or this server's
own artifact URL; anything else (``s3://``, a folder elsewhere) is not reachable from the server.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from mltrail.core.errors import ConfigError, NotFoundError, ValidationError
from mltrail.core.validation import artifact_path_parts
from mltrail.server.deps import READ, WRITE
from mltrail.server.paths import segment
from mltrail.tracking.artifacts import ARTIFACTS_PATH, resolve_artifact_root

router = APIRouter(prefix="/artifacts", tags=["artifacts"])

INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain", "text/csv", "application/json"}
)
"""Types a browser may show in place; anything else (HTML and SVG included) downloads."""
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
MAX_LISTED = 1000
"""Files a run's listing holds at most; past it the listing says it is truncated."""
_UPLOADING = ".upload-"


@dataclass(frozen=True, slots=True)
class ArtifactFile:
    """A file under the artifact root.

    Attributes:
        path: Relative to the root, ``/`` between names: ``GET /artifacts/{path}`` reads it.
        size: In bytes.
    """

    path: str
    size: int


@dataclass(frozen=True, slots=True)
class RunArtifactListing:
    """A run's artifact files as the server sees them.

    Attributes:
        artifact_uri: The run's artifact folder as it recorded it (``None`` if it has none).
        path: The folder relative to the artifact root, or ``None`` when the server cannot reach it.
        files: The files in the folder, then in its subfolders by name (at most :data:`MAX_LISTED`).
        is_truncated: Whether more files were left out.
        reason: Why the files are not listed, when ``path`` is ``None``.
    """

    artifact_uri: str | None
    path: str | None = None
    files: tuple[ArtifactFile, ...] = ()
    is_truncated: bool = False
    reason: str | None = None


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
            if not child.name.startswith(_UPLOADING)
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


def run_artifact_listing(request: Request, artifact_uri: str | None) -> RunArtifactListing:
    """List the files of a run's artifact folder, if it lies under the server's artifact root."""
    if not artifact_uri:
        return RunArtifactListing(artifact_uri, reason="the run has no artifact folder")
    root = resolve_artifact_root(request.app.state.settings)
    if not isinstance(root, Path):
        return RunArtifactListing(artifact_uri, reason="the server's artifact root is not a local folder")
    base = root.resolve()
    relative = _relative_path(artifact_uri, base)
    if relative is None:
        return RunArtifactListing(
            artifact_uri, reason=f"{artifact_uri} is not under the server's artifact root: not reachable here"
        )
    folder = base.joinpath(*relative)
    files, truncated = _files_under(folder, base) if folder.is_dir() else ([], False)
    return RunArtifactListing(artifact_uri, "/".join(relative), tuple(files), truncated)


def _relative_path(uri: str, root: Path) -> tuple[str, ...] | None:
    """The parts of a run folder's path under ``root``, from a local path, ``file://`` URI or server URL."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        _, marker, rest = parts.path.partition(ARTIFACTS_PATH + "/")
        if not marker:
            return None
        text = "/".join(unquote(name) for name in rest.strip("/").split("/"))
    elif parts.scheme in ("", "file") and not parts.query and not parts.fragment:
        local = Path(unquote(parts.path) if parts.scheme == "file" else uri)
        if not local.is_absolute():
            return None
        resolved = local.resolve()
        if not resolved.is_relative_to(root) or resolved == root:
            return None
        text = resolved.relative_to(root).as_posix()
    else:
        return None
    try:
        names = artifact_path_parts(text, field="artifact_uri")
    except ValidationError:
        return None
    return names if root.joinpath(*names).resolve().is_relative_to(root) else None


def _files_under(folder: Path, root: Path) -> tuple[list[ArtifactFile], bool]:
    """The files below ``folder`` (no symlinked folders followed, none leading out of ``root``)."""
    found: list[ArtifactFile] = []
    for current, folders, names in os.walk(folder):
        folders.sort()
        for name in sorted(names):
            file = Path(current, name)
            if name.startswith(_UPLOADING) or not file.resolve().is_relative_to(root) or not file.is_file():
                continue
            if len(found) == MAX_LISTED:
                return found, True
            found.append(ArtifactFile(file.relative_to(root).as_posix(), file.stat().st_size))
    return found, False
