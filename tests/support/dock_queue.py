"""The dock's own download queue (one SQLite database in QGIS's data folder) forgotten between tests."""

from __future__ import annotations

import shutil


def forget_dock_queue() -> None:
    """Remove the dock's queue database with its -wal/-shm files and owners folder (removing only the
    database file leaves its jobs in the -wal file for the next test)."""
    from scene_picker.ui.download_task import default_state_file

    state = default_state_file()
    for stale in state.parent.glob(state.name + "*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
