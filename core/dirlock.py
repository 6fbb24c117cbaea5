"""An exclusive, OS-level lock on a folder: one process at a time works on it (``scene-picker sync``).

The lock is taken on ``<folder>/.scene-picker/<name>.lock`` with :func:`.locks.exclusive` (``fcntl.flock``
on POSIX, ``msvcrt.locking`` on Windows); the OS releases it when the process ends, even on kill -9, so a
stale lock file never blocks anyone. The holder's pid is written into the file for the message a second
process shows.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator, Optional

from .errors import BusyError
from .locks import exclusive
from .naming import private_dir
from .transfer import output_error


@contextlib.contextmanager
def folder_lock(folder: Path, name: str, wait: Optional[float] = 0.0, what: str = "") -> Iterator[Path]:
    """Hold the ``name`` lock of ``folder`` for the ``with`` block.

    ``wait``: 0 → raise :class:`BusyError` at once when another process holds it; N → wait up to N
    seconds; None → wait as long as it takes. ``what`` names the work in the message.
    """
    path = private_dir(folder) / f"{name}.lock"

    def busy() -> BusyError:
        try:
            holder = path.read_text(encoding="ascii", errors="replace").strip()[:64]
        except OSError:
            holder = ""
        who = f" (pid {holder})" if holder.isdigit() else ""
        return BusyError(
            f"Another process{who} is already running {what or name} on {folder}; nothing done. "
            "Try again later, or pass --wait to wait for it."
        )

    with contextlib.ExitStack() as stack:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = stack.enter_context(exclusive(path, timeout=wait, on_timeout=busy))
        except OSError as exc:
            raise output_error(exc, path) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield path
