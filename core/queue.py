"""A persisted download queue: jobs with a state, worked by bounded pools of threads in one or more
processes.

Each job is ``queued`` → ``active`` → ``done`` | ``failed`` | ``cancelled``. Jobs live in a SQLite
database (:mod:`.queue_store`; one per output folder, e.g. ``OUT/.scene-picker/queue.sqlite``; a
``.json`` path given by an older caller maps to ``.sqlite`` and a legacy JSON queue there is imported).
One row per job: an enqueue, a claim and a state change each touch one row in one transaction, so
10 000 jobs cost no more per job than 10. Several processes (two command lines, QGIS and a command
line) may open the same database: a queued job is claimed atomically by exactly one worker of one
process, and jobs left ``active`` by a process that died (even kill -9) are queued again when a
queue notices (on open and while waiting), to resume from their ``.part`` files.

API (used by the dock, the command line and builders of other front ends)::

    queue = DownloadQueue(path, workers=4, handlers={"scene": handler}, on_change=callback)
    job = queue.add("scene", payload, label="S2A_…", key="stable key")  # one job
    ids = queue.add_many("scene", [(payload, label, key), …])           # one transaction
    queue.start(); queue.wait(); queue.shutdown(); queue.close()
    queue.jobs(), queue.job_ids(state, kind), queue.get(id), queue.counts()
    queue.cancel(id), queue.retry(id), queue.retry_all(), queue.remove_finished()

A ``key`` makes enqueueing idempotent: the job with that key is reused (and queued again if it had
finished). ``handler(job, cancel_token, progress_callback)`` does the work and returns a JSON-able
result; the built-in ``url`` kind downloads one URL with :func:`~.transfer.download_file`.
``on_change(job)`` is called from worker threads with a copy of the job after each state change and
progress event. Progress is kept in memory and written to the database at most every
:data:`PROGRESS_EVERY` seconds by a background thread, so workers never wait on the database for it.
Cancelling an active job works for jobs of this process (another process's job is cancelled there).

Payloads are stored as given, so a payload holding a URL that carries a credential (a signature, a
token, user info), or provider ``options`` naming a credential (``password``, ``token``…), is refused:
queue such scenes by provider and id and sign their links again when the job runs (accounts live in the
keyring). Errors and results are stored redacted.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from .cancel import CancelToken
from .checksums import Checksum
from .errors import CancelledError, ScenePickerError, UsageError
from .http import HttpClient
from .progress import Progress, ProgressCallback
from .queue_store import (
    ACTIVE,
    CANCELLED,
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    STATES,
    QueueCorruptError,
    QueueStore,
    database_path,
    scrub,
)
from .redact import SECRET_OPTION_NAMES, redact, redact_url, url_carries_secret
from .transfer import download_file

__all__ = [
    "ACTIVE", "CANCELLED", "DONE", "FAILED", "FINISHED", "QUEUED", "STATES", "DownloadQueue", "Job",
    "JobHandler", "QueueCorruptError", "database_path",
]  # fmt: skip

log = logging.getLogger(__name__)

#: Seconds between two writes of a job's byte counts to the database.
PROGRESS_EVERY = 2.0
#: Seconds between two looks at the database while idle (jobs added or finished by other processes).
_POLL = 0.5


@dataclass
class Job:
    """One unit of work; ``payload`` is JSON-serialisable and interpreted by the handler of ``kind``."""

    id: str
    kind: str
    payload: dict[str, Any]
    label: str
    state: str = QUEUED
    error: Optional[str] = None
    done: int = 0
    total: Optional[int] = None
    result: Optional[dict[str, Any]] = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        job = cls(**known)
        if job.state not in STATES:
            job.state = QUEUED
        return job

    @classmethod
    def from_row(cls, row: tuple) -> Job:
        id_, kind, payload, label, state, error, done, total, result, created, updated = row
        return cls(
            id_, kind, json.loads(payload), label, state, error, done or 0, total,
            json.loads(result) if result else None, created, updated,
        )  # fmt: skip


#: A job handler: does the work, reports progress, honours the token; returns a JSON-able result.
JobHandler = Callable[[Job, CancelToken, ProgressCallback], Optional[dict]]


class DownloadQueue:
    """Jobs persisted in the database for ``state_file``, run by at most ``workers`` threads of this
    process once :meth:`start` is called (see the module docstring)."""

    def __init__(
        self,
        state_file: Path,
        workers: int = 2,
        *,
        http: Optional[HttpClient] = None,
        handlers: Optional[Mapping[str, JobHandler]] = None,
        on_change: Optional[Callable[[Job], None]] = None,
    ) -> None:
        if workers < 1:
            raise UsageError(f"A download queue needs at least one worker, not {workers}.")
        self.state_file = database_path(state_file)
        self.workers = workers
        self.http = http or HttpClient()
        self.handlers: dict[str, JobHandler] = {"url": self._download_url}
        self.handlers.update(handlers or {})
        self.on_change = on_change
        self._store = QueueStore(self.state_file)
        self._lock = threading.Condition()
        self._live: dict[str, Job] = {}  # jobs active in this process, with their latest progress
        self._tokens: dict[str, CancelToken] = {}
        self._pending: dict[str, tuple[int, Optional[int]]] = {}  # progress not yet in the database
        self._threads: list[threading.Thread] = []
        self._flusher: Optional[threading.Thread] = None
        self._stopping = False
        self._interrupted: set[str] = set()  # active jobs stopped by shutdown(): queued again
        self._last_reclaim = 0.0
        self._reclaim()

    # -- adding and inspecting ------------------------------------------------------------------------
    def add(
        self, kind: str, payload: Mapping[str, Any], label: Optional[str] = None, key: Optional[str] = None
    ) -> Job:
        """Queue one job (or reuse the job with the same ``key``)."""
        (job_id,) = self.add_many(kind, [(payload, label, key)])
        return self.get(job_id)

    def add_many(
        self, kind: str, entries: Iterable[tuple[Mapping[str, Any], Optional[str], Optional[str]]]
    ) -> list[str]:
        """Queue ``(payload, label, key)`` entries in one transaction (all or none); returns their job
        ids. ``entries`` may be a generator: it is consumed once, row by row."""
        if kind not in self.handlers:
            raise UsageError(f"No handler for download jobs of kind '{kind}'.")

        def rows() -> Iterable[dict[str, Any]]:
            for payload, label, key in entries:
                text = json.dumps(payload)  # refuse what could not be saved (TypeError), now
                _refuse_credentials(payload)
                yield {"id": uuid.uuid4().hex[:12], "kind": kind, "key": key, "payload": text,
                       "label": label or kind}  # fmt: skip

        ids = self._store.insert(rows())
        with self._lock:
            self._lock.notify_all()
        if self.on_change is not None:
            for job_id in ids:
                self._notify(self.get(job_id))
        return ids

    def add_url(
        self,
        url: str,
        dest: Path,
        *,
        expected_size: Optional[int] = None,
        checksum: Optional[Checksum] = None,
        label: Optional[str] = None,
    ) -> Job:
        """Queue one download of ``url`` to ``dest`` (a URL carrying a credential is refused)."""
        payload: dict[str, Any] = {"url": url, "dest": str(dest), "expected_size": expected_size}
        if checksum is not None:
            payload["checksum"] = [checksum.algorithm, checksum.hexdigest]
        return self.add("url", payload, label or Path(dest).name)

    def jobs(self) -> list[Job]:
        return [self._overlay(Job.from_row(row)) for row in self._store.rows()]

    def get(self, job_id: str) -> Job:
        """The job (KeyError when there is none with this id)."""
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                return _copy(live)
        rows = self._store.rows("WHERE id = ?", (job_id,))
        if not rows:
            raise KeyError(job_id)
        return Job.from_row(rows[0])

    def job_ids(self, state: Optional[str] = None, kind: Optional[str] = None) -> list[str]:
        """Ids of the jobs (in ``state``, of ``kind``), oldest first, without loading their payloads."""
        where = [f"{name} = ?" for name, value in (("state", state), ("kind", kind)) if value]
        args = [value for value in (state, kind) if value]
        sql = "SELECT id FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq"
        return [row[0] for row in self._store.query(sql, args)]

    def counts(self) -> dict[str, int]:
        found = dict(self._store.query("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES}

    # -- control ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker threads (idempotent)."""
        with self._lock:
            self._stopping = False
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._work, name=f"scene-picker-download-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            if self._flusher is None or not self._flusher.is_alive():
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="scene-picker-progress", daemon=True
                )
                self._flusher.start()

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job at once, or ask an active one of this process to stop between chunks."""
        with self._lock:
            token = self._tokens.get(job_id)
        if token is not None:
            token.cancel()
        elif self._store.set_state(job_id, CANCELLED, only_from=(QUEUED,)):
            self._changed(job_id)

    def cancel_all(self) -> None:
        for job in self.jobs():
            if job.state in (QUEUED, ACTIVE):
                self.cancel(job.id)

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again (its ``.part`` makes it resume)."""
        if self._store.set_state(job_id, QUEUED, only_from=(FAILED, CANCELLED), error=None):
            self._changed(job_id)

    def retry_all(self, kind: Optional[str] = None) -> int:
        """Queue every failed or cancelled job (of ``kind``) again, in one transaction."""
        where = "state IN (?, ?)" + (" AND kind = ?" if kind else "")
        with self._store.transaction() as db:
            count = db.execute(
                f"UPDATE jobs SET state = ?, error = NULL, updated = ? WHERE {where}",
                (QUEUED, time.time(), FAILED, CANCELLED, *([kind] if kind else [])),
            ).rowcount
        with self._lock:
            self._lock.notify_all()
        return count

    def remove_finished(self) -> None:
        """Forget finished jobs (except those another running process may still report)."""
        self._store.remove_finished()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until no job this queue can run is queued or active (in any process); False when
        ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        kinds = tuple(self.handlers)
        marks = ", ".join("?" * len(kinds))
        while True:
            self._reclaim()
            (left_jobs,) = self._store.query(
                f"SELECT COUNT(*) FROM jobs WHERE state IN (?, ?) AND kind IN ({marks})",
                (QUEUED, ACTIVE, *kinds),
            )[0]
            if not left_jobs:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            with self._lock:
                self._lock.wait(min(_POLL, left) if left is not None else _POLL)

    def shutdown(self, cancel_active: bool = False, timeout: float = 30.0) -> None:
        """Stop the workers after their current job, or interrupt it (``cancel_active``: it is saved as
        queued and resumes at the next start); queued jobs stay queued on disk."""
        with self._lock:
            self._stopping = True
            if cancel_active:
                for job_id, token in self._tokens.items():
                    self._interrupted.add(job_id)
                    token.cancel()
            self._lock.notify_all()
        for thread in [*self._threads, *([self._flusher] if self._flusher else [])]:
            thread.join(timeout=timeout)
        self._flush()

    def close(self) -> None:
        """Stop the workers (interrupting active jobs) and release the database."""
        self.shutdown(cancel_active=True)
        self._store.close()

    def __enter__(self) -> DownloadQueue:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(cancel_active=True)

    # -- workers ----------------------------------------------------------------------------------------
    def _next_job(self) -> Optional[Job]:
        while True:
            with self._lock:
                if self._stopping:
                    return None
            self._reclaim()
            row = self._store.claim(self.handlers)
            if row is not None:
                job = Job.from_row(row)
                job.state = ACTIVE
                with self._lock:
                    if self._stopping:  # claimed while stopping: give it back
                        self._store.set_state(job.id, QUEUED)
                        return None
                    self._tokens[job.id] = CancelToken()
                    self._live[job.id] = job
                return job
            with self._lock:
                if not self._stopping:
                    self._lock.wait(_POLL)

    def _work(self) -> None:
        while True:
            try:
                job = self._next_job()
            except QueueCorruptError as exc:  # e.g. the disk went away: keep the worker, try later
                log.warning("%s", exc)
                with self._lock:
                    self._lock.wait(5 * _POLL)
                continue
            if job is None:
                return
            self._notify(job)
            token = self._tokens[job.id]
            state, error, result = DONE, None, None
            try:
                result = self.handlers[job.kind](_copy(job), token, self._progress_for(job))
            except CancelledError:
                state = CANCELLED
            except ScenePickerError as exc:
                state, error = FAILED, redact(str(exc))
            except Exception as exc:  # noqa: BLE001 - a worker must outlive any job; the error is recorded
                log.exception("download job %s failed unexpectedly", job.label)
                state, error = FAILED, redact(f"{type(exc).__name__}: {exc}")[:500]
            with self._lock:
                self._tokens.pop(job.id, None)
                self._pending.pop(job.id, None)
                if state == CANCELLED and job.id in self._interrupted:
                    state = QUEUED
                self._interrupted.discard(job.id)
            saved = json.dumps(scrub(result)) if result is not None else None
            self._store.set_state(job.id, state, error=error, result=saved, done=job.done, total=job.total)
            with self._lock:
                self._live.pop(job.id, None)
                job.state, job.error, job.result, job.updated = state, error, result, time.time()
                self._lock.notify_all()
            self._notify(job)

    def _progress_for(self, job: Job) -> ProgressCallback:
        def report(progress: Progress) -> None:
            with self._lock:
                job.done = progress.done
                job.total = progress.total
                self._pending[job.id] = (progress.done, progress.total)
            self._notify(job)

        return report

    def _flush_loop(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                self._lock.wait(PROGRESS_EVERY)
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            try:
                self._store.save_progress(pending)
            except (QueueCorruptError, OSError) as exc:  # progress is advisory: never fail a worker
                log.debug("progress not saved: %s", exc)

    def _download_url(self, job: Job, cancel: CancelToken, progress: ProgressCallback) -> dict:
        payload = job.payload
        checksum = Checksum(*payload["checksum"]) if payload.get("checksum") else None
        result = download_file(
            payload["url"],
            Path(payload["dest"]),
            http=self.http,
            expected_size=payload.get("expected_size"),
            checksum=checksum,
            progress=progress,
            cancel=cancel,
        )
        return {
            "path": str(result.path),
            "size": result.size,
            "bytes_fetched": result.bytes_fetched,
            "skipped": result.skipped,
        }

    # -- helpers ----------------------------------------------------------------------------------------
    def _reclaim(self) -> None:
        now = time.monotonic()
        if now - self._last_reclaim < 2.0:
            return
        self._last_reclaim = now
        if self._store.reclaim_orphans():
            with self._lock:
                self._lock.notify_all()

    def _overlay(self, job: Job) -> Job:
        with self._lock:
            live = self._live.get(job.id)
            return _copy(live) if live is not None else job

    def _changed(self, job_id: str) -> None:
        with self._lock:
            self._lock.notify_all()
        if self.on_change is not None:
            self._notify(self.get(job_id))

    def _notify(self, job: Job) -> None:
        if self.on_change is not None:
            with self._lock:
                snapshot = _copy(job)
            self.on_change(snapshot)


def _refuse_credentials(payload: Any) -> None:
    """UsageError when a string of ``payload`` is a URL that carries a credential, or its provider
    ``options`` name one."""
    if isinstance(payload, str):
        if "://" in payload and url_carries_secret(payload):
            raise UsageError(
                f"Not queued: {redact_url(payload)} carries a credential, which the queue database would "
                "keep. Queue the scene from its provider (it signs the link again when the job runs), or "
                "download it at once with: scene-picker fetch URL --out DIR."
            )
    elif isinstance(payload, Mapping):
        options = payload.get("options")  # a scene job's provider options: text, never a credential
        for name in options if isinstance(options, Mapping) else ():
            if str(name).lower() in SECRET_OPTION_NAMES:
                raise UsageError(
                    f"Not queued: the provider option {name} is a credential, which the queue database "
                    "would keep. Store it in the keyring (scene-picker login PROVIDER)."
                )
        for value in payload.values():
            _refuse_credentials(value)
    elif isinstance(payload, (list, tuple)):
        for value in payload:
            _refuse_credentials(value)


def _copy(job: Job) -> Job:
    return Job.from_dict(asdict(job))
