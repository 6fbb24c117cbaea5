"""The SQLite database behind :class:`scene_picker.core.queue.DownloadQueue`: one row per job.

One database file per output folder (WAL journal, ``synchronous=NORMAL``: a committed change survives
kill -9 of any process). The schema version is ``PRAGMA user_version``; a legacy ``queue.json`` beside
the database (the format before version 1) is imported once, its URLs redacted, then deleted.
Every change touches one row (or one batch, in one transaction). A job is claimed with
``BEGIN IMMEDIATE`` (SQLite's write lock), so exactly one worker of all processes gets it.

Each open store is an *owner*: it holds an OS lock on ``<database>.owners/<owner>.lock`` for as long
as it is open. A job stays ``active`` with its owner's name; when that lock is free (the process died)
:meth:`QueueStore.reclaim_orphans` queues the job again, so it resumes from its ``.part`` files.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from .errors import ScenePickerError
from .locks import held_elsewhere, hold
from .redact import redact, redact_url

SCHEMA_VERSION = 1
QUEUED, ACTIVE, DONE, FAILED, CANCELLED = "queued", "active", "done", "failed", "cancelled"
STATES = (QUEUED, ACTIVE, DONE, FAILED, CANCELLED)
FINISHED = (DONE, FAILED, CANCELLED)
COLUMNS = (
    "id",
    "kind",
    "payload",
    "label",
    "state",
    "error",
    "done",
    "total",
    "result",
    "created",
    "updated",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    key TEXT,
    payload TEXT NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    result TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key);
"""


_BUSY_TIMEOUT = 30.0


def _when_free(step: Callable[[], Any]) -> Any:
    """Run ``step``, again while SQLite answers "database is locked" without waiting: switching a new
    database to WAL while another process opens it at the same time does (no busy handler there)."""
    deadline = time.monotonic() + _BUSY_TIMEOUT
    delay = 0.01
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(0.5, delay * 2)


class QueueCorruptError(ScenePickerError):
    """A queue database (or legacy queue file) that cannot be read; the message says which and why."""


def database_path(state_file: Path) -> Path:
    """The database for ``state_file``: a ``.json`` name (the legacy format) maps to ``.sqlite``."""
    state_file = Path(state_file)
    return state_file.with_suffix(".sqlite") if state_file.suffix == ".json" else state_file


class QueueStore:
    """Thread-safe access to one queue database (one connection, serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = database_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._owners = self.path.with_name(self.path.name + ".owners")
        self._lock = threading.RLock()
        self._owner_lock = hold(self._owners / f"{self.owner}.lock")
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            _when_free(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            self._db.execute("PRAGMA synchronous=NORMAL")
            _when_free(self._migrate)
            for stale in self._owners.glob("*.lock"):  # files of processes gone (removed when free)
                held_elsewhere(stale)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise QueueCorruptError(f"The download queue {self.path} is unreadable: {exc}.") from None

    def close(self) -> None:
        with self._lock:
            db = getattr(self, "_db", None)
            if db is not None:
                db.close()
                self._db = None
            self._owner_lock.release()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: the database's write lock, across processes."""
        with self._lock:
            if self._db is None:
                raise QueueCorruptError(f"The download queue {self.path} is closed.")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        with self._lock:
            if self._db is None:
                raise QueueCorruptError(f"The download queue {self.path} is closed.")
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.DatabaseError as exc:
                raise QueueCorruptError(f"The download queue {self.path} is unreadable: {exc}.") from None

    # -- jobs ---------------------------------------------------------------------------------------
    def insert(self, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Insert jobs in one transaction; a row whose ``key`` matches an existing job reuses that job
        (queued again when it had finished). Returns the job ids, in order."""
        ids = []
        now = time.time()
        with self.transaction() as db:
            for row in rows:
                key = row.get("key")
                found = (
                    db.execute("SELECT id, state FROM jobs WHERE key = ?", (key,)).fetchone() if key else None
                )
                if found is not None:
                    if found[1] in FINISHED:
                        db.execute(
                            "UPDATE jobs SET state = ?, error = NULL, payload = ?, updated = ? WHERE id = ?",
                            (QUEUED, row["payload"], now, found[0]),
                        )
                    ids.append(found[0])
                    continue
                db.execute(
                    "INSERT INTO jobs (id, kind, key, payload, label, state, created, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (row["id"], row["kind"], key, row["payload"], row["label"], QUEUED, now, now),
                )
                ids.append(row["id"])
        return ids

    def rows(self, where: str = "", args: Iterable[Any] = ()) -> list[tuple]:
        return self.query(f"SELECT {', '.join(COLUMNS)} FROM jobs {where} ORDER BY seq", args)

    def set_state(self, job_id: str, state: str, *, only_from: tuple[str, ...] = (), **fields: Any) -> bool:
        """Set one job's state (and ``error``/``result``/``done``/``total``); False when it was not in
        ``only_from``. The owner is kept: it says which process may still report the job."""
        sets = ["state = ?", "updated = ?"] + [f"{name} = ?" for name in fields]
        values: list[Any] = [state, time.time(), *fields.values(), job_id]
        where = "id = ?"
        if only_from:
            where += f" AND state IN ({', '.join('?' * len(only_from))})"
            values += list(only_from)
        with self.transaction() as db:
            return db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE {where}", values).rowcount > 0

    def claim(self, kinds: Iterable[str]) -> Optional[tuple]:
        """Mark the oldest queued job of one of ``kinds`` active for this owner, atomically."""
        kinds = tuple(kinds)
        marks = ", ".join("?" * len(kinds))
        pick = f"FROM jobs WHERE state = ? AND kind IN ({marks}) ORDER BY seq LIMIT 1"
        if not self.query(f"SELECT 1 {pick}", (QUEUED, *kinds)):  # idle: no write lock taken
            return None
        with self.transaction() as db:
            row = db.execute(f"SELECT {', '.join(COLUMNS)} {pick}", (QUEUED, *kinds)).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET state = ?, owner = ?, updated = ? WHERE id = ?",
                (ACTIVE, self.owner, time.time(), row[0]),
            )
        return row

    def save_progress(self, progress: dict[str, tuple[int, Optional[int]]]) -> None:
        """Store several jobs' byte counts in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE jobs SET done = ?, total = ? WHERE id = ? AND state = ?",
                [(done, total, job_id, ACTIVE) for job_id, (done, total) in progress.items()],
            )

    def reclaim_orphans(self) -> int:
        """Queue again the active jobs of owners that no longer exist (killed processes)."""
        owners = [row[0] for row in self.query("SELECT DISTINCT owner FROM jobs WHERE state = ?", (ACTIVE,))]
        dead = [o for o in owners if o != self.owner and not self.is_alive(o)]
        if not dead:
            return 0
        with self.transaction() as db:
            marks = ", ".join("?" * len(dead))
            return db.execute(
                f"UPDATE jobs SET state = ?, updated = ? WHERE state = ? AND owner IN ({marks})",
                (QUEUED, time.time(), ACTIVE, *dead),
            ).rowcount

    def remove_finished(self) -> None:
        """Delete finished jobs, except those another live process ran (it may still report them)."""
        owners = {row[0] for row in self.query("SELECT DISTINCT owner FROM jobs WHERE owner IS NOT NULL")}
        keep = [o for o in owners if o != self.owner and self.is_alive(o)]
        marks = ", ".join("?" * len(keep))
        spared = f" AND (owner IS NULL OR owner NOT IN ({marks}))" if keep else ""
        with self.transaction() as db:
            db.execute(
                f"DELETE FROM jobs WHERE state IN (?, ?, ?){spared}",
                (*FINISHED, *keep),
            )

    def is_alive(self, owner: str) -> bool:
        return owner == self.owner or held_elsewhere(self._owners / f"{owner}.lock")

    # -- schema -------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueCorruptError(
                    f"The download queue {self.path} was written by a newer Scene Picker "
                    f"(schema {version}); update the plugin."
                )
            if version < 1:
                for statement in _SCHEMA.strip().split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        legacy = self.path.with_suffix(".json")
        if legacy != self.path and legacy.is_file():
            self._import_legacy(legacy)

    def _import_legacy(self, legacy: Path) -> None:
        """Import a ``queue.json`` of earlier versions (URLs redacted), then delete it."""
        try:
            data = json.loads(legacy.read_text(encoding="utf-8"))
            jobs = data["jobs"] if isinstance(data, dict) else None
            if not isinstance(jobs, list):
                raise ValueError("no 'jobs' list")
        except (OSError, ValueError, KeyError) as exc:
            raise QueueCorruptError(f"The download queue file {legacy} is unreadable: {exc}.") from None
        with self.transaction() as db:
            for item in jobs:
                if not isinstance(item, dict) or not item.get("id") or not item.get("kind"):
                    continue
                state = item.get("state") if item.get("state") in STATES else QUEUED
                db.execute(
                    "INSERT OR IGNORE INTO jobs (id, kind, key, payload, label, state, error, done, total, "
                    "result, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(item["id"]),
                        str(item["kind"]),
                        (item.get("payload") or {}).get("key"),
                        json.dumps(scrub(item.get("payload") or {})),
                        str(item.get("label") or item["kind"]),
                        QUEUED if state == ACTIVE else state,
                        redact(item["error"]) if item.get("error") else None,
                        int(item.get("done") or 0),
                        item.get("total"),
                        json.dumps(scrub(item["result"])) if item.get("result") is not None else None,
                        float(item.get("created") or time.time()),
                        float(item.get("updated") or time.time()),
                    ),
                )
        legacy.unlink()


def scrub(value: Any) -> Any:
    """``value`` with every string that is a URL redacted (recursively)."""
    if isinstance(value, str):
        return redact_url(value) if "://" in value else value
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def read_jobs(path: Path) -> list[dict[str, Any]]:
    """The jobs of a queue database (or legacy JSON queue file) as dicts, read-only: nothing is
    migrated, claimed or locked. Raises :class:`QueueCorruptError` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    with open(path, "rb") as handle:
        head = handle.read(16)
    if not head.startswith(b"SQLite format 3"):
        return _read_legacy(path)
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueCorruptError(f"{path} was written by a newer Scene Picker (schema {version}).")
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM jobs ORDER BY seq").fetchall()
        finally:
            db.close()
        jobs = []
        for row in rows:
            job = dict(zip(COLUMNS, row))
            job["payload"] = json.loads(job["payload"])
            job["result"] = json.loads(job["result"]) if job["result"] else None
            jobs.append(job)
        return jobs
    except (sqlite3.DatabaseError, ValueError) as exc:
        raise QueueCorruptError(f"{path} is not a readable download queue: {exc}.") from None


def _read_legacy(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise QueueCorruptError(f"{path} is not a readable download queue: {exc}.") from None
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list):
        raise QueueCorruptError(f"{path} is not a download queue file (no 'jobs' list).")
    return [scrub(job) for job in jobs if isinstance(job, dict)]
