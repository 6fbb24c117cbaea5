"""The "this process is alive" lock of a queue owner (:func:`hold`) against a probe of another process
(:func:`held_elsewhere` locks a lock file it finds free, then removes it): a probe that lands between
the file's creation and its lock must neither make :func:`hold` fail nor leave it holding a removed file
(the owner would then look dead and its active jobs would be queued again while it runs them)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from scene_picker.core import locks
from scene_picker.core.locks import held_elsewhere, hold, try_lock

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="flock semantics (POSIX)")


def test_hold_outlives_a_probe_between_creation_and_lock(tmp_path, monkeypatch):
    path = tmp_path / "owners" / "me.lock"
    path.parent.mkdir()
    refused = threading.Event()

    def observed_try_lock(fd: int) -> bool:  # the real lock, telling the test when hold() was refused
        taken = try_lock(fd)
        if not taken:
            refused.set()
        return taken

    monkeypatch.setattr(locks, "try_lock", observed_try_lock)
    # the probing process: it found the fresh, still unlocked file and locked it first
    probe = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    assert try_lock(probe)
    held: list = []
    taker = threading.Thread(target=lambda: held.append(hold(path)))
    taker.start()
    try:
        assert refused.wait(60), "hold() never met the probe's lock"
        # ... and, finding it free, removes it, then lets go (what held_elsewhere does)
        path.unlink()
    finally:
        os.close(probe)
    taker.join(timeout=60)
    assert not taker.is_alive() and len(held) == 1, "hold() failed against the probe"
    assert path.exists() and held_elsewhere(path)  # a lock on the file others look at, not a removed one
    held[0].release()
    assert not path.exists() and not held_elsewhere(path)
