"""An exclusive, OS-level lock on a folder: one process at a time works on it (``scene-picker sync``).

The lock is taken on ``<folder>/.scene-picker/<name>.lock`` with :func:`.locks.try_lock` (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows); the OS releases it when the process ends, even on kill -9, so a stale
lock file never blocks anyone. The holder's pid is written into the file for the message a second
process shows.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from .errors import BusyError
from .locks import try_lock
from .transfer import output_error

LOCK_DIR = ".scene-picker"
_POLL = 0.2


@contextmanager
def folder_lock(folder: Path, name: str, wait: Optional[float] = 0.0, what: str = "") -> Iterator[Path]:
    """Hold the ``name`` lock of ``folder`` for the ``with`` block.

    ``wait``: 0 → raise :class:`BusyError` at once when another process holds it; N → wait up to N
    seconds; None → wait as long as it takes. ``what`` names the work in the message.
    """
    path = Path(folder) / LOCK_DIR / f"{name}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise output_error(exc, path) from None
    try:
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        while not try_lock(fd):
            if deadline is not None and time.monotonic() >= deadline:
                os.lseek(fd, 0, os.SEEK_SET)
                holder = os.read(fd, 64).decode("ascii", "replace").strip()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise BusyError(
                    f"Another process{who} is already running {what or name} on {folder}; nothing done. "
                    "Try again later, or pass --wait to wait for it."
                )
            time.sleep(_POLL)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield path
    finally:
        os.close(fd)  # releases the lock
