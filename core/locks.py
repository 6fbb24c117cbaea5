"""Cross-process exclusive locks on files: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows.

:func:`exclusive` holds an OS lock on a small lock file for the duration of a ``with`` block, so two
processes (two command lines, QGIS and a command line) never write the same file at once; threads of
one process are serialised too (each acquisition opens its own descriptor). The lock is released by
the OS when the process dies (kill -9 included). A lock file removed by its holder (``remove=True``)
is detected by a waiter, which then locks the new file instead. :func:`hold` keeps a lock for the
life of an object (a process announcing it is alive); :func:`held_elsewhere` asks whether it still is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

from .cancel import CancelToken

log = logging.getLogger(__name__)

if sys.platform.startswith("win"):  # pragma: no cover - exercised on Windows only
    import msvcrt

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock on ``fd`` without waiting; False when another holder has it."""
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock on ``fd`` without waiting; False when another holder has it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


_POLL = 0.1
#: Seconds :func:`hold` waits for a fresh file that other processes are probing.
_HOLD_TIMEOUT = 10.0


@contextlib.contextmanager
def exclusive(
    path: Path,
    *,
    cancel: Optional[CancelToken] = None,
    on_wait: Optional[Callable[[], None]] = None,
    remove: bool = False,
    timeout: Optional[float] = None,
    on_timeout: Optional[Callable[[], BaseException]] = None,
) -> Iterator[int]:
    """Hold an exclusive lock on ``path`` (created if missing) inside the block; yields its descriptor.

    When another process (or thread) holds it, ``on_wait()`` is called once and the lock is waited
    for, checking ``cancel`` between tries: as long as it takes, or ``timeout`` seconds (0: not at
    all), then the exception ``on_timeout()`` returns is raised (:class:`TimeoutError` without one).
    ``remove`` deletes the lock file on release.
    """
    fd = _acquire(path, cancel, on_wait, timeout, on_timeout)
    try:
        yield fd
    finally:
        try:
            if remove:
                with contextlib.suppress(OSError):  # Windows cannot remove an open file
                    path.unlink()
            _unlock(fd)
        finally:
            os.close(fd)


def _acquire(
    path: Path,
    cancel: Optional[CancelToken] = None,
    on_wait: Optional[Callable[[], None]] = None,
    timeout: Optional[float] = None,
    on_timeout: Optional[Callable[[], BaseException]] = None,
) -> int:
    """The descriptor of ``path`` (created if missing) locked by us, once it is (see :func:`exclusive`).
    A lock taken on a file that was meanwhile removed (by its holder, or by :func:`held_elsewhere`
    probing a file just created) is dropped and the file at ``path`` locked instead."""
    warned = False
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the folder is missing, or was just tidied away by another process
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            if try_lock(fd):
                if _same_file(fd, path):
                    break
                _unlock(fd)  # its holder removed it meanwhile: lock the new one
            elif not warned and on_wait is not None:
                on_wait()
                warned = True
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if cancel is not None:
            cancel.raise_if_cancelled(f"Waiting for {path.name}")
        if deadline is not None and time.monotonic() >= deadline:
            raise on_timeout() if on_timeout else TimeoutError(f"{path} is locked by another process")
        time.sleep(_POLL)
    return fd


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino) or sys.platform.startswith("win")


class HeldLock:
    """An exclusive lock on a file held until :meth:`release` (or the process ends); see :func:`hold`."""

    def __init__(self, path: Path, fd: Optional[int]) -> None:
        self.path = path
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def hold(path: Path) -> HeldLock:
    """Lock ``path`` (a fresh, uniquely named file) until released: it tells other processes this
    one is alive (:func:`held_elsewhere`). Another process's :func:`held_elsewhere` may probe (lock,
    then remove) the file between its creation and our lock: we lock the file at ``path`` then."""
    return HeldLock(path, _acquire(path, timeout=_HOLD_TIMEOUT))


def held_elsewhere(path: Path) -> bool:
    """Whether some other process (or another open descriptor) holds the lock on ``path``; a lock file
    left by a dead process is removed."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        if not try_lock(fd):
            return True
        with contextlib.suppress(OSError):
            path.unlink()
        _unlock(fd)
        return False
    finally:
        os.close(fd)
