"""End open runs as Stopped when the process is told to terminate (SIGTERM), then let it terminate.

Schedulers stop tasks with SIGTERM (Kubernetes, Airflow's ``on_kill``, ``kill``). Without a handler
Python dies at once and a run stays InProgress for ever. The handler is installed only by the
main thread and only when nobody else handles SIGTERM, so a framework's own handler wins.
"""

from __future__ import annotations

import os
import signal
import threading
import weakref
from types import FrameType
from typing import Protocol

from mltrail.core.entities import RunStatus


class Stoppable(Protocol):
    """A run that can be ended."""

    def end(self, status: RunStatus | str = ..., *, error_message: str | None = ...) -> None:
        """End the run."""


_open: weakref.WeakSet[Stoppable] = weakref.WeakSet()
_installed = False


def track(run: Stoppable) -> None:
    """Remember a started run, and install the handler at the first one."""
    global _installed
    _open.add(run)
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    _installed = True
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def forget(run: Stoppable) -> None:
    """Forget a run that has ended."""
    _open.discard(run)


def _on_sigterm(signum: int, _frame: FrameType | None) -> None:
    from mltrail.tracking.api import flush

    for run in list(_open):
        run.end(RunStatus.STOPPED, error_message="terminated (SIGTERM)")
    flush()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
