"""Copy logged files into the artifact root: ``<root>/<experiment>/<run id>/<path>``."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from mltrail.core.errors import ConfigError, ValidationError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def resolve_artifact_root(root: str) -> Path:
    """Return the absolute folder an artifact root names (resolved once per process by the SDK).

    Raises:
        ConfigError: If the root is not a local folder or ``file://`` URI.
    """
    parts = urlsplit(root)
    if parts.scheme in ("", "file"):
        return Path(parts.path if parts.scheme == "file" else root).expanduser().resolve()
    if len(parts.scheme) == 1:  # a Windows drive letter
        return Path(root).resolve()
    raise ConfigError(
        f"unsupported artifact root {root!r}; use a local folder or file:// URI",
        key="artifact_root",
        value=root,
    )


def artifact_dir(base: Path, *, experiment: str, run_id: UUID) -> Path:
    """Return the folder a run's artifacts go to under a resolved root (not created)."""
    folder = _UNSAFE.sub("_", experiment).strip("._") or "experiment"
    return base / folder / str(run_id)


def copy_artifact(
    source: str | os.PathLike[str], destination_dir: Path, *, artifact_path: str | None = None
) -> Path:
    """Copy a file or folder under ``destination_dir`` and return where it landed.

    Args:
        source: The file or folder to copy.
        destination_dir: The run's artifact folder.
        artifact_path: Relative path inside the run's folder; the source's name by default.

    Raises:
        ValidationError: If the source does not exist or ``artifact_path`` escapes the run's folder.
    """
    path = Path(source)
    if not path.exists():
        raise ValidationError(f"artifact {str(path)!r} does not exist", field="artifact", value=str(path))
    relative = Path(artifact_path) if artifact_path else Path(path.name)
    target = (destination_dir / relative).resolve()
    if relative.is_absolute() or not target.is_relative_to(destination_dir.resolve()):
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
    return target
