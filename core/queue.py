"""A persisted download queue: jobs with a state, worked by a bounded pool of threads.

Each job is ``queued`` → ``active`` → ``done`` | ``failed`` | ``cancelled``. The list of jobs is saved
atomically to a small JSON file (typically under the output folder) on every state change, so a
restarted QGIS or command line reloads it: jobs that were ``active`` when the process ended go back to
``queued`` and, through the ``.part`` files of :mod:`scene_picker.core.transfer`, resume where they
stopped. The built-in ``url`` job kind downloads one URL with
:func:`~scene_picker.core.transfer.download_file`; callers register other kinds (e.g. a provider's scene
download) as handlers. Payloads are saved as given: enqueue a scene id rather than a signed URL that
carries a credential.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from .cancel import CancelToken
from .checksums import Checksum
from .errors import CancelledError, ScenePickerError, UsageError
from .http import HttpClient
from .progress import Progress, ProgressCallback
from .redact import redact, redact_url, url_carries_secret
from .transfer import download_file

log = logging.getLogger(__name__)

QUEUED, ACTIVE, DONE, FAILED, CANCELLED = "queued", "active", "done", "failed", "cancelled"
STATES = (QUEUED, ACTIVE, DONE, FAILED, CANCELLED)
FINISHED = (DONE, FAILED, CANCELLED)
_FORMAT_VERSION = 1


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


#: A job handler: does the work, reports progress, honours the token; returns a JSON-able result.
JobHandler = Callable[[Job, CancelToken, ProgressCallback], Optional[dict]]


class DownloadQueue:
    """Jobs persisted in ``state_file``, run by at most ``workers`` threads once :meth:`start` is called.

    ``on_change(job)`` is called (from worker threads) after every state change and progress event,
    with a copy of the job.
    """

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
        self.state_file = Path(state_file)
        self.workers = workers
        self.http = http or HttpClient()
        self.handlers: dict[str, JobHandler] = {"url": self._download_url}
        self.handlers.update(handlers or {})
        self.on_change = on_change
        self._lock = threading.Condition()
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, CancelToken] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._interrupted: set[str] = set()  # active jobs stopped by shutdown(): queued again
        self._load()

    # -- adding and inspecting ------------------------------------------------------------------------
    def add(self, kind: str, payload: Mapping[str, Any], label: Optional[str] = None) -> Job:
        if kind not in self.handlers:
            raise UsageError(f"No handler for download jobs of kind '{kind}'.")
        json.dumps(payload)  # refuse what could not be saved, now rather than at the next save
        job = Job(uuid.uuid4().hex[:12], kind, dict(payload), label or kind)
        with self._lock:
            self._jobs[job.id] = job
            self._save_locked()
            self._lock.notify_all()
        self._notify(job)
        return _copy(job)

    def add_url(
        self,
        url: str,
        dest: Path,
        *,
        expected_size: Optional[int] = None,
        checksum: Optional[Checksum] = None,
        label: Optional[str] = None,
    ) -> Job:
        """Queue one download of ``url`` to ``dest``.

        A URL that carries a credential (user info, a signature or token in its query) is refused:
        the queue file would keep it. Queue such a scene by id with a provider's job kind instead.
        """
        if url_carries_secret(url):
            raise UsageError(
                f"Not queued: {redact_url(url)} carries a credential, which the queue file would keep. "
                "Queue the scene from its provider (it signs the link again when the job runs), or "
                "download it at once with: scene-picker fetch URL --out DIR."
            )
        payload: dict[str, Any] = {"url": url, "dest": str(dest), "expected_size": expected_size}
        if checksum is not None:
            payload["checksum"] = [checksum.algorithm, checksum.hexdigest]
        return self.add("url", payload, label or Path(dest).name)

    def jobs(self) -> list[Job]:
        with self._lock:
            return [_copy(job) for job in self._jobs.values()]

    def get(self, job_id: str) -> Job:
        with self._lock:
            return _copy(self._jobs[job_id])

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {state: sum(1 for j in self._jobs.values() if j.state == state) for state in STATES}

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

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job at once, or ask an active one to stop between chunks."""
        with self._lock:
            job = self._jobs[job_id]
            if job.state == QUEUED:
                self._set_locked(job, CANCELLED)
            elif job.state == ACTIVE:
                self._tokens[job_id].cancel()
        self._notify(job)

    def cancel_all(self) -> None:
        for job in self.jobs():
            if job.state in (QUEUED, ACTIVE):
                self.cancel(job.id)

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again (its ``.part`` makes it resume)."""
        with self._lock:
            job = self._jobs[job_id]
            if job.state in (FAILED, CANCELLED):
                job.error = None
                self._set_locked(job, QUEUED)
                self._lock.notify_all()
        self._notify(job)

    def remove_finished(self) -> None:
        with self._lock:
            self._jobs = {k: j for k, j in self._jobs.items() if j.state not in FINISHED}
            self._save_locked()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until no job is queued or active; False when ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while any(j.state in (QUEUED, ACTIVE) for j in self._jobs.values()):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._lock.wait(left if left is not None else 1.0)
        return True

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
        for thread in self._threads:
            thread.join(timeout=timeout)

    def __enter__(self) -> DownloadQueue:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(cancel_active=True)

    # -- workers ----------------------------------------------------------------------------------------
    def _next_job(self) -> Optional[Job]:
        with self._lock:
            while not self._stopping:
                for job in sorted(self._jobs.values(), key=lambda j: j.created):
                    if job.state == QUEUED:
                        self._tokens[job.id] = CancelToken()
                        self._set_locked(job, ACTIVE)
                        return job
                self._lock.wait(1.0)
            return None

    def _work(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            self._notify(job)
            token = self._tokens[job.id]
            handler = self.handlers.get(job.kind)
            state, error, result = DONE, None, None
            try:
                if handler is None:
                    raise UsageError(f"No handler for download jobs of kind '{job.kind}'.")
                result = handler(_copy(job), token, self._progress_for(job))
            except CancelledError:
                state = CANCELLED
            except ScenePickerError as exc:
                state, error = FAILED, str(exc)
            except Exception as exc:  # noqa: BLE001 - a worker must outlive any job; the error is recorded
                log.exception("download job %s failed unexpectedly", job.label)
                state, error = FAILED, redact(f"{type(exc).__name__}: {exc}")[:500]
            with self._lock:
                self._tokens.pop(job.id, None)
                job.result = result
                job.error = error
                if state == CANCELLED and job.id in self._interrupted:
                    state = QUEUED
                self._interrupted.discard(job.id)
                self._set_locked(job, state)
                self._lock.notify_all()
            self._notify(job)

    def _progress_for(self, job: Job) -> ProgressCallback:
        def report(progress: Progress) -> None:
            with self._lock:
                job.done = progress.done
                job.total = progress.total
            self._notify(job)

        return report

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

    # -- persistence ------------------------------------------------------------------------------------
    def _set_locked(self, job: Job, state: str) -> None:
        job.state = state
        job.updated = time.time()
        self._save_locked()

    def _notify(self, job: Job) -> None:
        if self.on_change is not None:
            with self._lock:
                snapshot = _copy(job)
            self.on_change(snapshot)

    def _save_locked(self) -> None:
        data = {"version": _FORMAT_VERSION, "jobs": [asdict(job) for job in self._jobs.values()]}
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_file)

    def _load(self) -> None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise UsageError(f"The download queue file {self.state_file} is unreadable: {exc}") from None
        for item in data.get("jobs", []) if isinstance(data, dict) else []:
            job = Job.from_dict(item)
            if job.state == ACTIVE:  # the previous process ended while working on it: resume
                job.state = QUEUED
            self._jobs[job.id] = job


def _copy(job: Job) -> Job:
    return Job.from_dict(asdict(job))
