"""Where logged files go: ``<root>/<experiment>/<run id>/<path>``, in a folder, on a server or on S3.

The artifact root is a local folder (or ``file://`` URI), the artifact route of a server
(``http(s)://host:port/api/mltrail/v1/artifacts``), or an S3 prefix (``s3://bucket/prefix``). With a
server as tracking URI and the artifact root left at its default, artifacts go to that server, as
MLflow's proxied artifacts do. S3 needs the ``aws`` extra; boto3 finds the endpoint, region and
credentials as usual (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, a profile, an instance role).
Each S3 object carries the SHA-256 of its bytes as the metadata ``sha256``, and :func:`download`
checks it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit
from uuid import UUID

from mltrail.config import DEFAULT_ARTIFACT_ROOT, Settings
from mltrail.core.errors import ConfigError, NotFoundError, StoreError, ValidationError
from mltrail.core.validation import artifact_path_parts
from mltrail.tracking.backends import SERVER_SCHEMES

log = logging.getLogger(__name__)

ARTIFACTS_PATH = "/api/mltrail/v1/artifacts"
"""The server's artifact route, under its base URL."""
S3_SCHEME = "s3"
MULTIPART_THRESHOLD = 8 * 1024 * 1024
"""Files of at least this many bytes are uploaded to S3 in parts (boto3's default)."""
MULTIPART_CHUNKSIZE = 8 * 1024 * 1024
"""The size of each part; boto3 raises it for files that would need more than 10,000 parts."""
SHA256_METADATA = "sha256"
"""The S3 object metadata key holding the hex SHA-256 of the object's bytes."""
_AWS_EXTRA = "pip install 'mltrail[aws]'"
_HASH_CHUNK = 1024 * 1024
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
    """Return the absolute folder, the server URL or the S3 URI that artifacts go to (once per process).

    Raises:
        ConfigError: If the root is neither a local folder, a ``file://`` URI, a server URL nor an
            ``s3://bucket/prefix`` URI, or if it is on S3 and boto3 is not installed.
    """
    root = settings.artifact_root
    parts = urlsplit(root)
    if parts.scheme in SERVER_SCHEMES:
        return root.rstrip("/")
    if parts.scheme == S3_SCHEME:
        if not parts.netloc or parts.query or parts.fragment:
            raise ConfigError(
                f"S3 artifact root {root!r} must look like s3://bucket or s3://bucket/prefix",
                key="artifact_root",
                value=root,
            )
        _import_boto3(root)
        return root.rstrip("/")
    tracking = urlsplit(settings.tracking_uri)
    if root == DEFAULT_ARTIFACT_ROOT and tracking.scheme in SERVER_SCHEMES:
        return settings.tracking_uri.rstrip("/") + ARTIFACTS_PATH
    if parts.scheme in ("", "file"):
        return Path(parts.path if parts.scheme == "file" else root).expanduser().resolve()
    if len(parts.scheme) == 1:  # a Windows drive letter
        return Path(root).resolve()
    raise ConfigError(
        f"unsupported artifact root {root!r}; use a local folder, a file:// URI, an mltrail server's URL "
        "or s3://bucket/prefix",
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
    fallback = LocalArtifacts(Path(DEFAULT_ARTIFACT_ROOT).resolve().joinpath(*names))
    if urlsplit(root).scheme == S3_SCHEME:
        return S3Artifacts("/".join([root, *names]), settings, fallback=fallback)
    return ServerArtifacts("/".join([root, *names]), settings, fallback=fallback)


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

        def send() -> None:
            for file in files:
                inside = file.relative_to(path).parts if path.is_dir() else ()
                upload("/".join([target, *(quote(name, safe="") for name in inside)]), file, self._settings)

        return _uploaded_or_kept(send, target, path, artifact_path, self._settings, self._fallback)


class S3Artifacts:
    """A run's artifact folder under an S3 prefix: files are uploaded with boto3, large ones in parts.

    Each object gets the SHA-256 of its bytes as the metadata ``sha256``. When a file cannot be
    uploaded, the file is copied to ``fallback`` (a local folder) with a warning naming it, so
    nothing is lost; in strict mode the error is raised instead.
    """

    def __init__(self, uri: str, settings: Settings, *, fallback: LocalArtifacts) -> None:
        self.uri = uri
        self._settings = settings
        self._fallback = fallback
        self._client: Any = None

    def __repr__(self) -> str:
        return f"S3Artifacts({self.uri!r})"

    def put(self, source: str | os.PathLike[str], artifact_path: str | None = None) -> str:
        """Upload a file, or every file of a folder; return the ``s3://`` URI of what was stored.

        Raises:
            ValidationError: If the source does not exist or ``artifact_path`` is not a plain path.
            StoreError: In strict mode, if S3 did not take a file.
        """
        path = _existing(source)
        names = artifact_path_parts(artifact_path) if artifact_path else (path.name,)
        target = "/".join([self.uri, *names])
        return _uploaded_or_kept(
            lambda: self.upload(path, artifact_path),
            target,
            path,
            artifact_path,
            self._settings,
            self._fallback,
        )

    def upload(self, source: str | os.PathLike[str], artifact_path: str | None = None) -> dict[str, str]:
        """Upload a file, or every file of a folder, with no local fallback.

        Returns:
            The ``s3://`` URI of each object written, with the hex SHA-256 of its bytes.

        Raises:
            ValidationError: If the source does not exist or ``artifact_path`` is not a plain path.
            StoreError: If S3 did not take a file (no such bucket, no credentials, no connection).
        """
        path = _existing(source)
        names = artifact_path_parts(artifact_path) if artifact_path else (path.name,)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        bucket, prefix = _split_s3(self.uri)
        if self._client is None:
            self._client = _s3_client(self.uri)
        config = _transfer_config()
        written: dict[str, str] = {}
        for file in files:
            inside = file.relative_to(path).parts if path.is_dir() else ()
            key = "/".join([prefix, *names, *inside]).lstrip("/")
            uri = f"s3://{bucket}/{key}"
            digest = _sha256(file)  # the metadata goes out with the first request, so it comes first
            with _s3_errors(f"artifact upload to {uri}"):
                self._client.upload_file(
                    str(file), bucket, key, ExtraArgs={"Metadata": {SHA256_METADATA: digest}}, Config=config
                )
            log.debug("mltrail uploaded %s to %s (sha256 %s)", file, uri, digest)
            written[uri] = digest
        return written


def download(uri: str, destination: str | os.PathLike[str]) -> Path:
    """Copy an artifact (a file or a folder) from an ``s3://`` or ``file://`` URI or a local path.

    ``destination`` becomes the file, or the folder, itself; its parent folders are created. An S3
    object with ``sha256`` metadata is checked against it, and a file that does not match is not kept.

    Returns:
        ``destination`` as a path.

    Raises:
        NotFoundError: If nothing is stored at ``uri``.
        StoreError: If a downloaded file does not match its ``sha256``, or S3 could not be read.
        ValidationError: If ``uri`` is neither on S3 nor local.
        ConfigError: If ``uri`` is on S3 and boto3 is not installed.
    """
    target = Path(destination)
    parts = urlsplit(uri)
    if parts.scheme == S3_SCHEME:
        _download_s3(uri, target)
        return target
    if parts.scheme not in ("", "file") and len(parts.scheme) != 1:
        raise ValidationError(f"cannot download {uri!r}: use an s3:// or file:// URI", field="uri", value=uri)
    source = Path(parts.path if parts.scheme == "file" else uri)
    if not source.exists():
        raise NotFoundError("artifact", uri)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
    return target


def _download_s3(uri: str, target: Path) -> None:
    bucket, key = _split_s3(uri)
    client = _s3_client(uri)
    with _s3_errors(f"artifact download from {uri}"):
        objects = [(key, target)] if _has_object(client, bucket, key) else []
        if not objects:  # a folder: every object under ``key/``
            folder = key.rstrip("/") + "/"
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=folder)
            for page in pages:
                for item in page.get("Contents", ()):
                    inside = artifact_path_parts(item["Key"].removeprefix(folder), field="key")
                    objects.append((item["Key"], target.joinpath(*inside)))
        if not objects:
            raise NotFoundError("artifact", uri)
        for name, path in objects:
            _get_verified(client, bucket, name, path)


def _get_verified(client: Any, bucket: str, key: str, path: Path) -> None:
    """Stream one object to ``path``, hashing it on the way; keep it only if it matches its ``sha256``.

    One ``GetObject`` gives both the bytes and the metadata, so they are those of the same version.
    """
    response = client.get_object(Bucket=bucket, Key=key)
    expected = response.get("Metadata", {}).get(SHA256_METADATA)
    digest = hashlib.sha256()
    partial = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(response["Body"]) as body, partial.open("wb") as out:
            for chunk in body.iter_chunks(_HASH_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if expected is not None and digest.hexdigest() != expected.lower():
            raise StoreError(
                f"s3://{bucket}/{key} is corrupt: its bytes have sha256 {digest.hexdigest()}, "
                f"but the object's sha256 metadata says {expected}"
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _has_object(client: Any, bucket: str, key: str) -> bool:
    """Whether there is an object at exactly ``key`` (not only objects under ``key/``)."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    if not key or key.endswith("/"):
        return False
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _split_s3(uri: str) -> tuple[str, str]:
    """Return the bucket and key (or prefix, maybe empty) of an ``s3://`` URI."""
    parts = urlsplit(uri)
    if not parts.netloc:
        raise ValidationError(f"S3 URI {uri!r} has no bucket", field="uri", value=uri)
    return parts.netloc, parts.path.lstrip("/")


def _import_boto3(uri: str) -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ConfigError(
            f"S3 artifacts need boto3, which is not installed: {_AWS_EXTRA}",
            key="artifact_root",
            value=uri,
        ) from exc
    return boto3


def _s3_client(uri: str) -> Any:
    """Return a new S3 client; boto3 reads endpoint, region and credentials from its usual places."""
    return _import_boto3(uri).session.Session().client("s3")


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig  # type: ignore[import-untyped]

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNKSIZE)


@contextmanager
def _s3_errors(action: str) -> Iterator[None]:
    """Turn boto3's failures (no bucket, no credentials, no connection, …) into ``StoreError``."""
    from boto3.exceptions import Boto3Error  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (Boto3Error, BotoCoreError, ClientError) as exc:
        raise StoreError(f"{action} failed: {exc}", cause=exc) from exc


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _uploaded_or_kept(
    send: Callable[[], object],
    target: str,
    path: Path,
    artifact_path: str | None,
    settings: Settings,
    fallback: LocalArtifacts,
) -> str:
    """``send()`` the artifact and return ``target``; if that fails, keep a local copy (unless strict)."""
    try:
        send()
    except StoreError as exc:
        if settings.strict:
            raise
        kept = fallback.put(path, artifact_path)
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
    "MULTIPART_CHUNKSIZE",
    "MULTIPART_THRESHOLD",
    "RunArtifacts",
    "S3Artifacts",
    "ServerArtifacts",
    "download",
    "resolve_artifact_root",
    "run_artifacts",
    "run_folder",
]
