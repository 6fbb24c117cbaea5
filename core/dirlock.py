"""An exclusive, OS-level lock on a folder: one process at a time works on it (``scene-picker sync``).

The lock is taken on ``<folder>/.scene-picker/<name>.lock`` with ``fcntl.flock`` (POSIX) or
``msvcrt.locking`` (Windows); the OS releases it when the process ends, even on kill -9, so a stale
lock file never blocks anyone. The holder's pid is written into the file for the message a second
process shows.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Optional

from .errors import BusyError
from .transfer import output_error

LOCK_DIR = ".scene-picker"
_POLL = 0.2


def _try_lock(handle: IO[str], block: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        mode = msvcrt.LK_LOCK if block else msvcrt.LK_NBLCK
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), mode, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextmanager
def folder_lock(folder: Path, name: str, wait: Optional[float] = 0.0, what: str = "") -> Iterator[Path]:
    """Hold the ``name`` lock of ``folder`` for the ``with`` block.

    ``wait``: 0 → raise :class:`BusyError` at once when another process holds it; N → wait up to N
    seconds; None → wait as long as it takes. ``what`` names the work in the message.
    """
    path = Path(folder) / LOCK_DIR / f"{name}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise output_error(exc, path) from None
    try:
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        while not _try_lock(handle, block=wait is None):
            if deadline is not None and time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise BusyError(
                    f"Another process{who} is already running {what or name} on {folder}; nothing done. "
                    "Try again later, or pass --wait to wait for it."
                )
            time.sleep(_POLL)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield path
    finally:
        handle.close()  # releases the lock
