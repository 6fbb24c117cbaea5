"""Downloads from the dock: a persisted job list and one QgsTask per running job.

:class:`DownloadManager` keeps the jobs (queued / active / done / failed / cancelled / interrupted) in a
JSON state file, runs at most ``workers`` jobs at once and at most ``per_provider`` per provider, each
in a :class:`DownloadJobTask` (so QGIS's task manager shows them too). A job still active when QGIS
closes is marked *interrupted* and resumed by the next manager (the engine resumes from the ``.part``
file). Progress reaches the main thread through queued signals.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import QObject, QStandardPaths, pyqtSignal

from ..core.cancel import CancelToken
from ..core.errors import CancelledError, ScenePickerError
from ..core.progress import Progress
from ..core.redact import redact
from ..core.scene import Scene
from . import settings
from .messages import log
from .providers_info import make_provider, provider_name_of
from .results_model import scene_key
from .tasks import TaskKeeper

QUEUED, ACTIVE, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "active",
    "done",
    "failed",
    "cancelled",
    "interrupted",
)
FINAL_STATES = (DONE, FAILED, CANCELLED)


@dataclass
class Job:
    id: str
    key: str
    provider: str
    scene_id: str
    feature: dict[str, Any]
    outdir: str
    assets: list[str] | None = None
    members: list[str] | None = None
    state: str = QUEUED
    done: int = 0
    total: int | None = None
    speed: float = 0.0
    eta: float | None = None
    error: str | None = None
    files: list[str] = field(default_factory=list)
    bytes_fetched: int = 0
    created: float = field(default_factory=time.time)

    @property
    def folder(self) -> Path:
        from ..providers.base import safe_name

        return Path(self.outdir) / safe_name(self.scene_id)

    @property
    def fraction(self) -> float | None:
        if self.state == DONE:
            return 1.0
        return min(1.0, self.done / self.total) if self.total else None


def default_state_file() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base) / "scene_picker" / "download_queue.json"


class JobSignals(QObject):
    progress = pyqtSignal(str, int, object, float, object)  # job id, done, total, speed, eta


class DownloadJobTask(QgsTask):
    """Downloads one job's scene with the provider's Downloader; cancellable at any chunk."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"Scene Picker: download {job.scene_id}", QgsTask.Flag.CanCancel)
        self.job_id = job.id
        self.job = Job(**{**asdict(job)})  # the worker's own copy
        self.signals = JobSignals()
        self.result_files: list[str] = []
        self.bytes_fetched = 0
        self.error: BaseException | None = None
        self.ok = False
        self._files: dict[str, tuple[int, int | None]] = {}
        self._lock = threading.Lock()

    def run(self) -> bool:
        job = self.job
        cancel = CancelToken.from_callable(self.isCanceled)
        try:
            provider = make_provider(job.provider)
            scene = Scene.from_feature(job.feature)
            downloader = provider.downloader(scene)
            downloader.activate(cancel=cancel, progress=self._on_progress)
            result = downloader.download(
                Path(job.outdir),
                assets=job.assets,
                members=job.members,
                cancel=cancel,
                progress=self._on_progress,
            )
            self.result_files = [str(p) for p in result.files]
            self.bytes_fetched = int(result.bytes_fetched)
            return True
        except CancelledError as exc:
            self.error = exc
        except ScenePickerError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - shown to the user, never lost in the worker
            self.error = ScenePickerError(f"Unexpected download failure: {redact(repr(exc))}")
        return False

    def finished(self, ok: bool) -> None:  # main thread, before taskCompleted/taskTerminated
        self.ok = ok

    def _on_progress(self, event: Progress) -> None:
        with self._lock:
            self._files[event.label] = (event.done, event.total)
            done = sum(d for d, _ in self._files.values())
            totals = [t for _, t in self._files.values()]
            total = self.job.total or (sum(totals) if totals and None not in totals else None)
        if total:
            self.setProgress(min(100.0, 100.0 * done / total))
        eta = (total - done) / event.speed if total and event.speed > 0 else event.eta
        self.signals.progress.emit(self.job_id, done, total, float(event.speed), eta)


class DownloadManager(QObject):
    jobChanged = pyqtSignal(object)  # Job
    jobFinished = pyqtSignal(object)  # Job (done, failed or cancelled)

    def __init__(
        self,
        state_file: Path | None = None,
        workers: int | None = None,
        per_provider: int | None = None,
        resume: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state_file = Path(state_file) if state_file else default_state_file()
        self.workers = workers or settings.named_setting(settings.WORKERS)
        self.per_provider = per_provider or settings.named_setting(settings.PER_PROVIDER)
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, DownloadJobTask] = {}
        self._keeper = TaskKeeper()
        self._shutting_down = False
        self._load()
        if resume:
            self._schedule()

    # -- jobs -------------------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.created)

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def enqueue(
        self,
        scene: Scene,
        outdir: Path,
        assets: list[str] | None = None,
        members: list[str] | None = None,
    ) -> Job:
        sizes = [a.size for k, a in scene.assets.items() if assets is None or k in assets]
        total = sum(sizes) if sizes and None not in sizes and not members else None
        job = Job(
            id=uuid.uuid4().hex[:12],
            key=scene_key(scene),
            provider=provider_name_of(scene.provider),
            scene_id=scene.id,
            feature=scene.to_feature(),
            outdir=str(outdir),
            assets=list(assets) if assets is not None else None,
            members=list(members) if members else None,
            total=total,
        )
        self._jobs[job.id] = job
        self._save()
        self.jobChanged.emit(job)
        self._schedule()
        return job

    def cancel(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state in FINAL_STATES:
            return
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()  # the task ends, _on_task_finished marks the job cancelled
            return
        job.state = CANCELLED
        self._changed(job, final=True)

    def retry(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state not in (FAILED, CANCELLED, INTERRUPTED):
            return
        job.state = QUEUED
        job.error = None
        self._changed(job)
        self._schedule()

    def remove_finished(self) -> None:
        for job_id in [j.id for j in self._jobs.values() if j.state in FINAL_STATES]:
            del self._jobs[job_id]
        self._save()

    def active_count(self) -> int:
        return len(self._tasks)

    def local_file(self, key: str, asset_key: str) -> Path | None:
        """The downloaded file of ``asset_key`` of scene ``key`` (when a finished job holds it)."""
        for job in self._jobs.values():
            if job.key != key or job.state != DONE:
                continue
            asset = (job.feature.get("assets") or {}).get(asset_key)
            if not asset:
                continue
            name = asset["href"].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            for path in job.files:
                if Path(path).name in (name, f"{asset_key}_{name}") and Path(path).is_file():
                    return Path(path)
        return None

    # -- running ----------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        if self._shutting_down:
            return
        for job in self.jobs():
            if len(self._tasks) >= self.workers:
                break
            if job.state not in (QUEUED, INTERRUPTED):
                continue
            same = sum(1 for t in self._tasks.values() if t.job.provider == job.provider)
            if same >= self.per_provider:
                continue
            self._start(job)

    def _start(self, job: Job) -> None:
        job.state = ACTIVE
        job.error = None
        task = DownloadJobTask(job)
        task.signals.progress.connect(self._on_progress)
        task.taskCompleted.connect(lambda jid=job.id: self._on_task_finished(jid))
        task.taskTerminated.connect(lambda jid=job.id: self._on_task_finished(jid))
        self._tasks[job.id] = task
        self._changed(job)
        self._keeper.start(task)

    def _on_progress(self, job_id: str, done: int, total, speed: float, eta) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state != ACTIVE:
            return
        job.done, job.speed, job.eta = done, speed, eta
        if total:
            job.total = total
        self.jobChanged.emit(job)

    def _on_task_finished(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        job = self._jobs.get(job_id)
        if task is None or job is None:
            return
        if self._shutting_down:
            job.state = INTERRUPTED
            self._save()
            return
        if task.error is None and task.ok:
            job.state = DONE
            job.files = task.result_files
            job.bytes_fetched = task.bytes_fetched
            job.done = job.total or job.done
            job.eta = 0.0
        elif isinstance(task.error, CancelledError) or task.error is None:
            job.state = CANCELLED
            job.error = None
        else:
            job.state = FAILED
            job.error = redact(str(task.error)) if task.error else self.tr("The download failed.")
            log(f"download of {job.scene_id} failed: {job.error}", Qgis.MessageLevel.Warning)
        self._changed(job, final=True)
        self._schedule()

    def _changed(self, job: Job, final: bool = False) -> None:
        self._save()
        self.jobChanged.emit(job)
        if final:
            self.jobFinished.emit(job)

    def shutdown(self) -> None:
        """QGIS closes or the plugin unloads: stop the tasks, keep their jobs as *interrupted*."""
        self._shutting_down = True
        for job_id, task in list(self._tasks.items()):
            job = self._jobs.get(job_id)
            if job is not None:
                job.state = INTERRUPTED
            try:
                task.cancel()
            except RuntimeError:
                pass
        self._save()

    def wait_idle(self, timeout: float) -> bool:
        """Spin the event loop until no job task runs (used when closing, and by tests); bounded."""
        from qgis.core import QgsApplication

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            QgsApplication.processEvents()
            if not any(_task_alive(t) for t in self._tasks.values()):
                return True
            time.sleep(0.01)
        return False

    # -- persistence ------------------------------------------------------------------------------------
    def _save(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "jobs": [asdict(j) for j in self.jobs()]}
        part = self.state_file.with_name(self.state_file.name + ".tmp")
        with open(part, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        part.replace(self.state_file)

    def _load(self) -> None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log(f"The download queue {self.state_file} could not be read: {exc}", Qgis.MessageLevel.Warning)
            return
        known = set(Job.__dataclass_fields__)
        for entry in data.get("jobs", []):
            if not isinstance(entry, dict):
                continue
            try:
                job = Job(**{k: v for k, v in entry.items() if k in known})
            except TypeError:
                continue
            if job.state in (ACTIVE, QUEUED):
                job.state = INTERRUPTED  # QGIS closed while it ran or waited
            job.speed, job.eta = 0.0, None
            self._jobs[job.id] = job


def _task_alive(task: QgsTask) -> bool:
    try:
        return task.status() not in (QgsTask.TaskStatus.Complete, QgsTask.TaskStatus.Terminated)
    except RuntimeError:
        return False
