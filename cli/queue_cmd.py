"""``scene-picker queue [PATH]``: the state of a persisted download queue, read-only.

PATH is a download folder (its ``.scene-picker/queue.sqlite``, written by ``scene-picker download``), a
queue database (or a legacy ``queue.json``), or nothing: the current folder's queue if there is one,
else the plugin dock's queue; each job with the provider options it runs with. Exit code 0 when every
job is done, 1 when some failed or were cancelled or the queue is unreadable (the message says why), 0
with jobs still to run (``scene-picker download --resume --out FOLDER`` runs them).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..core.errors import UsageError
from ..core.queue_store import database_path
from ..core.queue_store import read_jobs as read_queue
from .command import add_command
from .download import queue_file
from .progress_view import human_bytes

STATES = ("queued", "active", "interrupted", "done", "failed", "cancelled")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "queue", run)
    parser.add_argument("path", nargs="?", type=Path, help="download folder or queue file")
    parser.add_argument("--json", action="store_true", help="print the jobs as JSON")


def dock_queue_file() -> Path:
    """The QGIS dock's queue (``QStandardPaths.GenericDataLocation/scene_picker/download_queue.sqlite``)."""
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "scene_picker" / "download_queue.sqlite"


def _or_legacy(database: Path) -> Path:
    """``database``, or the legacy JSON queue beside it when only that one exists (read as it is)."""
    legacy = database.with_suffix(".json")
    return legacy if not database.is_file() and legacy.is_file() else database


def resolve(path: Path | None) -> Path:
    if path is None:
        here = _or_legacy(queue_file(Path(".")))
        return here if here.is_file() else _or_legacy(dock_queue_file())
    if path.is_dir():
        return _or_legacy(queue_file(path))
    return path if path.exists() else database_path(path)


def read_jobs(path: Path) -> list[dict[str, Any]]:
    try:
        return read_queue(path)
    except FileNotFoundError:
        raise UsageError(f"No download queue at {path}.") from None


def _label(job: dict[str, Any]) -> str:
    return str(job.get("label") or job.get("scene_id") or job.get("id") or "?")


def run(args: argparse.Namespace) -> int:
    """show the state of a persisted download queue

    Show the jobs of a download queue: a download folder, a queue file, or by default the current folder's
    queue, else the plugin dock's queue.
    """
    path = resolve(args.path)
    jobs = read_jobs(path)
    if args.json:
        json.dump({"file": str(path), "jobs": jobs}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        counts = {state: sum(1 for j in jobs if j.get("state") == state) for state in STATES}
        summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "empty"
        print(f"{path}: {len(jobs)} jobs ({summary})" if jobs else f"{path}: no jobs")
        for job in jobs:
            total = job.get("total")
            done = job.get("done") or 0
            amount = (
                f"{human_bytes(done)}/{human_bytes(total)}" if total else human_bytes(done) if done else ""
            )
            print(f"  {str(job.get('state', '?')):<11} {amount:>21}  {_label(job)}")
            options = (job.get("payload") or {}).get("options")
            if options:  # what its provider is built with when it runs or resumes
                pairs = ", ".join(f"{key}={value}" for key, value in sorted(options.items()))
                print(f"  {'':<11} {'':>21}  options: {pairs}")
            if job.get("error"):
                print(f"  {'':<11} {'':>21}  error: {job['error']}")
    if any(j.get("state") in ("failed", "cancelled") for j in jobs):
        return 1
    return 0
