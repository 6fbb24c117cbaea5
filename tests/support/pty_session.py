"""Running a command on a real pseudo-terminal (for prompts without echo and TTY-only output)."""

from __future__ import annotations

import os
import pty
import select
import time
from typing import Sequence


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # EIO: the child closed its terminal
        return b""


def run_in_pty(
    argv: Sequence[str],
    env: dict[str, str],
    answers: Sequence[tuple[bytes, bytes]] = (),
    timeout: float = 60.0,
) -> tuple[int, str]:
    """Run ``argv`` with a terminal as stdin/stdout/stderr; for each ``(prompt, reply)`` wait for the
    prompt, then type the reply. Returns the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execve(argv[0], list(argv), env)
    buffer = bytearray()
    deadline = time.monotonic() + timeout
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0] in buffer:
                os.write(fd, pending.pop(0)[1])
                continue
            ready, _, _ = select.select([fd], [], [], max(0.0, min(1.0, deadline - time.monotonic())))
            if not ready:
                continue
            chunk = _read(fd)
            if not chunk:
                break
            buffer.extend(chunk)
        else:
            os.kill(pid, 9)
            raise AssertionError(f"{argv[-1]!r} did not finish; the terminal showed {bytes(buffer)!r}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    if pending:
        raise AssertionError(f"never prompted {pending[0][0]!r}; the terminal showed {bytes(buffer)!r}")
    return os.waitstatus_to_exitcode(status), buffer.decode(errors="replace")
