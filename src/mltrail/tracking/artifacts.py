"""Where logged files go: ``<root>/<experiment>/<run id>/<path>``, in a folder or on an ``mltrail server``.

The artifact root is a local folder (or ``file://`` URI), or the artifact route of a server
(``http(s)://host:port/api/mltrail/v1/artifacts``). With a server as tracking URI and the
artifact root left at its default, artifacts go to that server, as MLflow's proxied artifacts do.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit
from uuid import UUID

from mltrail.config import DEFAULT_ARTIFACT_ROOT, Settings
from mltrail.core.errors import ConfigError, StoreError, ValidationError
from mltrail.core.validation import artifact_path_parts
from mltrail.tracking.backends import SERVER_SCHEMES

log = logging.getLogger(__name__)

ARTIFACTS_PATH = "/api/mltrail/v1/artifacts"
"""The server's artifact route, under its base URL."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class RunArtifacts(Protocol):
    """A run's artifact folder: its URI, and a way to put files in it."""

    @property
    def uri(self) -> str:
        """The folder's URI, recorded as the run's ``artifact_uri``."""
        ...

    def put(self, source: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Store a file or folder at ``artifact_path`` (its own name by default); return its URI."""
        ...


def resolve_artifact_root(settings: Settings) -> Path | str:
    """Return the absolute folder, or the server URL, that artifacts go to (resolved once per process).

    Raises:
        ConfigError: If the root is neither a local folder, a ``file://`` URI nor a server URL.
    """
    root = settings.artifact_root
    parts = urlsplit(root)
    if parts.scheme in SERVER_SCHEMES:
        return root.rstrip("/")
    tracking = urlsplit(settings.tracking_uri)
    if root == DEFAULT_ARTIFACT_ROOT and tracking.scheme in SERVER_SCHEMES:
        return settings.tracking_uri.rstrip("/") + ARTIFACTS_PATH
    if parts.scheme in ("", "file"):
        return Path(parts.path if parts.scheme == "file" else root).expanduser().resolve()
    if len(parts.scheme) == 1:  # a Windows drive letter
        return Path(root).resolve()
    raise ConfigError(
        f"unsupported artifact root {root!r}; use a local folder, a file:// URI or an mltrail server's URL",
        key="artifact_root",
        value=root,
    )


def run_folder(experiment: str, run_id: UUID) -> tuple[str, str]:
    """The two folder names of a run under the root: its experiment's (made safe) and its id."""
    return _UNSAFE.sub("_", experiment).strip("._") or "experiment", str(run_id)


def run_artifacts(root: Path | str, settings: Settings, *, experiment: str, run_id: UUID) -> RunArtifacts:
    """Return the artifact folder of a run under a resolved root."""
    names = run_folder(experiment, run_id)
    if isinstance(root, Path):
        return LocalArtifacts(root.joinpath(*names))
    fallback = Path(DEFAULT_ARTIFACT_ROOT).resolve().joinpath(*names)
    return ServerArtifacts("/".join([root, *names]), settings, fallback=LocalArtifacts(fallback))


@dataclass(frozen=True, slots=True)
class LocalArtifacts:
    """A run's artifact folder on this machine (or a mounted volume)."""

    folder: Path

    @property
    def uri(self) -> str:
        """The folder's ``file://`` URI."""
        return self.folder.as_uri()

    def put(self, source: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Copy a file or folder into the run's folder; return the copy's ``file://`` URI.

        Raises:
            ValidationError: If the source does not exist or ``artifact_path`` leaves the folder.
        """
        path = _existing(source)
        names = artifact_path_parts(artifact_path) if artifact_path else (path.name,)
        target = self.folder.joinpath(*names)
        if not target.resolve().is_relative_to(self.folder.resolve()):  # a symlinked folder on the way
            raise ValidationError(
                f"artifact_path {artifact_path!r} must stay inside the run's folder",
                field="artifact_path",
                value=artifact_path,
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
        else:
            shutil.copy2(path, target)
        return target.as_uri()


class ServerArtifacts:
    """A run's artifact folder on an ``mltrail server``: files are uploaded with ``PUT``.

    When the server cannot take a file, the file is copied to ``fallback`` (a local folder) with a
    warning naming it, so nothing is lost; in strict mode the error is raised instead.
    """

    def __init__(self, url: str, settings: Settings, *, fallback: LocalArtifacts) -> None:
        self.uri = url
        self._settings = settings
        self._fallback = fallback

    def __repr__(self) -> str:
        return f"ServerArtifacts({self.uri!r})"

    def put(self, source: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Upload a file, or every file of a folder; return the URL of what was stored.

        Raises:
            ValidationError: If the source does not exist or ``artifact_path`` is not a plain path.
            StoreError: In strict mode, if the server did not take a file.
        """
        from mltrail.tracking.backends.http import upload

        path = _existing(source)
        names = artifact_path_parts(artifact_path) if artifact_path else (path.name,)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        target = "/".join([self.uri, *(quote(name, safe="") for name in names)])
        try:
            for file in files:
                inside = file.relative_to(path).parts if path.is_dir() else ()
                upload("/".join([target, *(quote(name, safe="") for name in inside)]), file, self._settings)
        except StoreError as exc:
            if self._settings.strict:
                raise
            kept = self._fallback.put(path, artifact_path)
            log.warning("mltrail could not upload artifact %s (kept at %s): %s", path, kept, exc)
            return kept
        return target


def _existing(source: str | os.PathLike[str]) -> Path:
    path = Path(source)
    if not path.exists():
        raise ValidationError(f"artifact {str(path)!r} does not exist", field="artifact", value=str(path))
    return path


__all__ = [
    "ARTIFACTS_PATH",
    "LocalArtifacts",
    "RunArtifacts",
    "ServerArtifacts",
    "resolve_artifact_root",
    "run_artifacts",
    "run_folder",
]
