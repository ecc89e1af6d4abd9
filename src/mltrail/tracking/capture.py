"""Capture where a run's code came from (git) and the machine it runs on, cached per process."""

from __future__ import annotations

import functools
import http.client
import logging
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from mltrail.core.entities import CodeInfo, EnvironmentInfo

log = logging.getLogger(__name__)

_GIT_TIMEOUT = 2.0
"""Seconds one git subprocess may take before it is killed."""
_GIT_ENV_OVERRIDES: Mapping[str, str] = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
"""Never prompt for credentials, and let ``git status`` skip refreshing (and locking) the index."""
_GIT_ENV_DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
"""Inherited variables that would make git ignore the directory it is run in."""

_METADATA_TIMEOUT = 0.3
"""Seconds the whole instance-metadata lookup may take, all requests together."""
_METADATA_MAX_BYTES = 1024
_DMI_DIR = Path("/sys/devices/virtual/dmi/id")
_AWS_METADATA_BASE = "http://169.254.169.254"
_GCP_METADATA_BASE = "http://metadata.google.internal"
_AZURE_METADATA_BASE = "http://169.254.169.254"
_AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"
"""The DMI chassis asset tag every Azure VM carries; a local Hyper-V VM does not."""
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git"})

_Cloud: TypeAlias = Literal["aws", "gcp", "azure"]


@dataclass(frozen=True, slots=True)
class _GitInfo:
    """What git says about the checkout containing a directory."""

    root: str
    commit: str | None = None
    repo_url: str | None = None
    branch: str | None = None
    is_dirty: bool | None = None


def capture_code(entry_point: str | None = None) -> CodeInfo | None:
    """Describe the git checkout the running code comes from.

    The result is cached for the life of the process, keyed by the resolved entry point (and the git
    lookups by its directory), so the dirty flag reflects the tree as it was at the first call.

    Args:
        entry_point: A file or directory; defaults to ``sys.argv[0]``, else the ``__main__`` module's
            file, else the current directory.

    Returns:
        The commit, origin URL (credentials removed), branch (``None`` when HEAD is detached), dirty
        flag and entry point relative to the repository root, each ``None`` when git could not tell;
        ``None`` when the entry point is not in a git work tree or git is missing or too slow.
    """
    raw = entry_point if entry_point is not None else _default_entry_point()
    try:
        resolved = os.path.realpath(raw if raw is not None else os.getcwd())
    except (OSError, ValueError):
        return None
    return _capture_code_for(resolved)


def capture_environment(*, instance_type: str | None = None, cloud_metadata: bool = False) -> EnvironmentInfo:
    """Describe the host and interpreter; cached per argument pair for the life of the process.

    Args:
        instance_type: The machine type to record as is (the resolved ``MLTRAIL_INSTANCE_TYPE``
            setting); when empty, it may be looked up instead.
        cloud_metadata: Whether to ask the cloud's instance metadata service for the machine type,
            which happens only when the DMI data identifies an AWS, GCP or Azure VM and is bounded by
            a 0.3 s timeout.

    Returns:
        Host name, OS, Python version, usable CPU count, total memory in bytes and instance type,
        each ``None`` when unknown.
    """
    return _capture_environment(instance_type or None, cloud_metadata)


def _clear_caches() -> None:
    """Forget every cached capture (for tests, or after the working tree changed)."""
    _capture_code_for.cache_clear()
    _git_info.cache_clear()
    _capture_environment.cache_clear()


# --- code ---------------------------------------------------------------------------------------


def _default_entry_point() -> str | None:
    """Return the script being run: ``sys.argv[0]`` when it is a file, else ``__main__.__file__``."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and os.path.isfile(argv0):
        return argv0
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if isinstance(main_file, str) and os.path.isfile(main_file):
        return main_file
    return None


@functools.lru_cache(maxsize=256)
def _capture_code_for(path: str) -> CodeInfo | None:
    """Build the ``CodeInfo`` for a resolved file or directory path."""
    is_dir = os.path.isdir(path)
    info = _git_info(path if is_dir else os.path.dirname(path))
    if info is None:
        return None
    entry: str | None = None
    if not is_dir:
        try:
            entry = Path(path).relative_to(info.root).as_posix()
        except ValueError:
            entry = None
    return CodeInfo(
        commit=info.commit,
        repo_url=info.repo_url,
        branch=info.branch,
        is_dirty=info.is_dirty,
        entry_point=entry,
    )


@functools.lru_cache(maxsize=64)
def _git_info(directory: str) -> _GitInfo | None:
    """Ask git about the work tree containing ``directory``; stop at the first timeout."""
    try:
        root = _run_git(["rev-parse", "--show-toplevel"], cwd=directory)
    except subprocess.TimeoutExpired:
        log.debug("git timed out in %s", directory)
        return None
    if not root:
        return None
    commit = branch = repo_url = None
    is_dirty: bool | None = None
    try:
        commit = _run_git(["rev-parse", "--verify", "--quiet", "HEAD"], cwd=root) or None
        branch = _run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=root) or None
        url = _run_git(["remote", "get-url", "origin"], cwd=root)
        repo_url = _strip_credentials(url) if url else None
        status = _run_git(["status", "--porcelain", "--untracked-files=no"], cwd=root)
        is_dirty = None if status is None else bool(status)
    except subprocess.TimeoutExpired:
        log.debug("git timed out in %s; keeping the fields read so far", root)
    return _GitInfo(root=root, commit=commit, repo_url=repo_url, branch=branch, is_dirty=is_dirty)


def _run_git(args: Sequence[str], *, cwd: str) -> str | None:
    """Run ``git args`` in ``cwd`` and return its stripped output, or ``None`` if it failed.

    Raises:
        subprocess.TimeoutExpired: git took longer than ``_GIT_TIMEOUT`` (the child is killed).
    """
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROPPED}
    env.update(_GIT_ENV_OVERRIDES)
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.debug("cannot run git %s in %s: %s", args[0], cwd, exc)
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _strip_credentials(url: str) -> str:
    """Remove ``user:password@`` from a URL remote; keep an ssh user name and scp-like remotes as is."""
    if "://" not in url:
        return url  # scp-like ``git@host:org/repo.git`` or a local path: no password possible
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    userinfo, sep, host = parts.netloc.rpartition("@")
    if not sep:
        return url
    user, has_password, _ = userinfo.partition(":")
    keep_user = parts.scheme.lower() in _SSH_SCHEMES and not has_password and user
    netloc = f"{user}@{host}" if keep_user else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# --- environment --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _capture_environment(instance_type: str | None, cloud_metadata: bool) -> EnvironmentInfo:
    """Build the ``EnvironmentInfo`` for one argument pair (see ``capture_environment``)."""
    if instance_type is None and cloud_metadata:
        instance_type = _lookup_instance_type(
            _DMI_DIR,
            aws_base=_AWS_METADATA_BASE,
            gcp_base=_GCP_METADATA_BASE,
            azure_base=_AZURE_METADATA_BASE,
            timeout=_METADATA_TIMEOUT,
        )
    return EnvironmentInfo(
        host=_hostname(),
        os=platform.platform(),
        python=platform.python_version(),
        cpu_count=_cpu_count(),
        memory_bytes=_memory_bytes(),
        instance_type=instance_type,
    )


def _hostname() -> str | None:
    """Return the host name, or ``None`` if the OS refuses."""
    try:
        return socket.gethostname() or None
    except OSError:
        return None


def _cpu_count() -> int | None:
    """Return the CPUs this process may run on (its affinity mask where supported)."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0)) or None
        except OSError:
            pass
    return os.cpu_count()


def _memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """Return total physical memory in bytes from ``meminfo``, else ``sysconf``, else ``None``."""
    try:
        with meminfo.open(encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    value, _, unit = line.split(":", 1)[1].strip().partition(" ")
                    return int(value) * (1024 if unit.strip().lower() == "kb" else 1)
    except (OSError, ValueError):
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def _lookup_instance_type(
    dmi_dir: Path, *, aws_base: str, gcp_base: str, azure_base: str, timeout: float
) -> str | None:
    """Ask the metadata service of the cloud named by ``dmi_dir`` for the machine type."""
    cloud = _detect_cloud(dmi_dir)
    if cloud is None:
        return None
    deadline = time.monotonic() + timeout
    try:
        if cloud == "aws":
            return _fetch_aws_instance_type(aws_base, deadline=deadline)
        if cloud == "gcp":
            return _fetch_gcp_machine_type(gcp_base, deadline=deadline)
        return _fetch_azure_vm_size(azure_base, deadline=deadline)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError and timeouts are OSError
        log.debug("no instance type from the %s metadata service: %s", cloud, exc)
        return None


def _detect_cloud(dmi_dir: Path) -> _Cloud | None:
    """Name the cloud whose VM this is, from the DMI (SMBIOS) strings in ``dmi_dir``."""
    sys_vendor = _read_dmi(dmi_dir, "sys_vendor")
    product_name = _read_dmi(dmi_dir, "product_name")
    if product_name == "Google Compute Engine":
        return "gcp"
    if "Amazon" in sys_vendor or "Amazon" in _read_dmi(dmi_dir, "board_vendor"):
        return "aws"
    if sys_vendor == "Microsoft Corporation":
        asset_tag = _read_dmi(dmi_dir, "chassis_asset_tag")
        if not asset_tag or asset_tag == _AZURE_ASSET_TAG:
            return "azure"
    return None


def _read_dmi(dmi_dir: Path, name: str) -> str:
    """Return one DMI string, stripped, or ``""`` when it cannot be read."""
    try:
        return (dmi_dir / name).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _fetch_aws_instance_type(base_url: str, *, deadline: float) -> str | None:
    """Get an IMDSv2 token, then the instance type, from the EC2 metadata service at ``base_url``."""
    token = _http_text(
        f"{base_url}/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        deadline=deadline,
    )
    if not token:
        return None
    return _http_text(
        f"{base_url}/latest/meta-data/instance-type",
        headers={"X-aws-ec2-metadata-token": token},
        deadline=deadline,
    )


def _fetch_gcp_machine_type(base_url: str, *, deadline: float) -> str | None:
    """Get the machine type (last segment of its resource path) from the GCE metadata server."""
    value = _http_text(
        f"{base_url}/computeMetadata/v1/instance/machine-type",
        headers={"Metadata-Flavor": "Google"},
        deadline=deadline,
    )
    if not value:
        return None
    return value.rsplit("/", 1)[-1] or None


def _fetch_azure_vm_size(base_url: str, *, deadline: float) -> str | None:
    """Get the VM size from the Azure instance metadata service at ``base_url``."""
    return _http_text(
        f"{base_url}/metadata/instance/compute/vmSize?api-version=2021-02-01&format=text",
        headers={"Metadata": "true"},
        deadline=deadline,
    )


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Metadata services are link-local: never route them through ``*_proxy`` (nor read those variables)."""


def _http_text(url: str, *, headers: Mapping[str, str], deadline: float, method: str = "GET") -> str | None:
    """Send one request with the time left before ``deadline`` and return the stripped body.

    Raises:
        OSError: The request failed or timed out (``URLError`` and ``HTTPError`` included).
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("instance metadata deadline passed")
    request = urllib.request.Request(url, headers=dict(headers), method=method)
    with _NO_PROXY_OPENER.open(request, timeout=remaining) as response:
        body: bytes = response.read(_METADATA_MAX_BYTES)
    text = body.decode("utf-8").strip()
    return text if text and text.isprintable() else None
