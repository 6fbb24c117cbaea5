"""Downloads from the dock, driven through :class:`scene_picker.core.queue.DownloadQueue`.

The core queue persists the jobs (so they survive a QGIS restart and resume from their ``.part`` files)
and runs them on its bounded worker pool; jobs of kind ``"scene"`` download one scene with its
provider's Downloader, at most ``per_provider`` at once per provider. Every active job also has a
:class:`JobTask` in QGIS's task manager showing its progress. Cancel in the queue panel cancels the job.
QGIS cancels every task when it quits (File ▸ Exit, closing the window), so a cancel coming from the
task manager first interrupts the downloads (saved to resume at the next start, like after a crash) and
becomes a real cancel only when QGIS is still running a moment later (the user cancelled that task in
QGIS's task list). State changes reach the main thread through queued signals.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import (
    QCoreApplication,
    QObject,
    QStandardPaths,
    QThread,
    QThreadPool,
    QTimer,
    pyqtSignal,
)

from ..catalogs.download import download_scene
from ..core import queue as core_queue
from ..core.cancel import CancelToken
from ..core.naming import safe_name
from ..core.progress import Progress, ProgressCallback
from ..core.redact import feature_carries_secret
from ..core.scene import Scene
from . import settings
from .job_view import ACTIVE, CANCELLED, CANCELLING, DONE, FAILED, INTERRUPTED, QUEUED, JobView
from .messages import log
from .providers_info import job_provider_options, make_provider
from .queue_panel import job_title
from .results_model import scene_key
from .tasks import FunctionTask, TaskKeeper

KIND = "scene"
_WAIT_STEP = 0.1
#: How long QGIS must keep running after a task-manager cancel for it to be the user's, not a quit (ms).
QUIT_GRACE_MS = 1500


def default_state_file() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base) / "scene_picker" / "download_queue.sqlite"


class JobTask(QgsTask):
    """The task-manager face of one active job: mirrors its progress; cancelling it cancels the job."""

    def __init__(self, manager: DownloadManager, job_id: str, label: str) -> None:
        description = QCoreApplication.translate("JobTask", "Scene Picker: download {}").format(label)
        # no prompt when QGIS quits: the download is saved and resumes at the next start
        super().__init__(description, QgsTask.Flag.CanCancel | QgsTask.Flag.CancelWithoutPrompt)
        self.manager = manager
        self.job_id = job_id

    def cancel(self) -> None:  # main thread: QGIS's task list, or QGIS quitting (cancelAll)
        self.manager.task_cancelled(self.job_id)
        super().cancel()

    def run(self) -> bool:
        # the queue's threads download; this task only watches, asleep: its thread of QGIS's pool is given
        # back meanwhile, or a full pool (two threads on two cores) keeps Cancel, Retry, searches and
        # map rendering waiting until the download ends
        pool = QThreadPool.globalInstance()
        pool.releaseThread()
        try:
            return self._watch()
        finally:
            pool.reserveThread()

    def _watch(self) -> bool:
        # bounded by the job itself: it ends done, failed or cancelled (the engine's loops are bounded)
        while self.manager.live_state(self.job_id) in (QUEUED, ACTIVE):
            if self.isCanceled():
                self.manager.suspend()  # interrupted, saved to resume; a cancel only if QGIS stays up
                return False
            fraction = self.manager.live_fraction(self.job_id)
            if fraction is not None:
                self.setProgress(100.0 * fraction)
            self.manager.wait_state_change(self.job_id, _WAIT_STEP)
        return self.manager.live_state(self.job_id) == DONE


class DownloadManager(QObject):
    jobChanged = pyqtSignal(object)  # JobView
    jobFinished = pyqtSignal(object)  # JobView (done, failed or cancelled)
    _workerChange = pyqtSignal(object)  # core Job snapshot, emitted from the queue's threads

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
        self.per_provider = per_provider or settings.named_setting(settings.PER_PROVIDER)
        self._slots: dict[str, threading.Semaphore] = {}
        self._slots_lock = threading.Lock()
        self._live: dict[str, core_queue.Job] = {}  # latest snapshot per job, read by JobTasks
        self._speed: dict[str, tuple[float, float | None]] = {}
        self._cond = threading.Condition()
        self._tasks: dict[str, JobTask] = {}
        self._keeper = TaskKeeper()
        self._shutting_down = False
        self._suspend_lock = threading.Lock()
        self._life_lock = threading.Lock()  # shutdown() against a late _start_queue() of a background task
        self._held: set[str] = set()  # jobs whose task QGIS cancelled: decided by _decide_held
        self._held_level = 0
        self._decision = QTimer(self)
        self._decision.setSingleShot(True)
        self._decision.setInterval(QUIT_GRACE_MS)
        self._decision.timeout.connect(self._decide_held)
        self._workerChange.connect(self._on_change)
        self.queue = core_queue.DownloadQueue(
            self.state_file,
            workers or settings.named_setting(settings.WORKERS),
            handlers={KIND: self._run_job},
            on_change=self._from_worker,
        )
        jobs = self.queue.jobs()  # one read of the database (QGIS's start, main thread)
        self._interrupted = {j.id for j in jobs if j.state == QUEUED and j.done > 0}
        #: jobs of an earlier session that this one resumes (announced at start-up)
        self.resumed = [j.id for j in jobs if j.state == QUEUED] if resume else []
        self._cancelling: set[str] = set()
        self._live.update((job.id, job) for job in jobs)
        if resume:
            self._start_queue()

    # -- jobs -------------------------------------------------------------------------------------------
    def jobs(self) -> list[JobView]:
        return [self._view(job) for job in sorted(self.queue.jobs(), key=lambda j: j.created)]

    def job(self, job_id: str) -> JobView | None:
        try:
            return self._view(self.queue.get(job_id))
        except KeyError:
            return None

    def enqueue(
        self,
        scene: Scene,
        outdir: Path,
        assets: list[str] | None = None,
        members: list[str] | None = None,
        clip: dict | None = None,
    ) -> FunctionTask:
        """Queue a scene download (or its clip to an area: ``clip``, see ui/temporal.py); the job is
        saved (fsync) in a background task and shows up through ``jobChanged``. Returns that task (its
        ``done`` signal carries the job's view). The job keeps the provider's options of the settings
        now; options the settings refuse (a credential, an unknown option) raise a UsageError here."""
        options = job_provider_options(scene.provider)
        sizes = [a.size for k, a in scene.assets.items() if assets is None or k in assets]
        total = sum(sizes) if sizes and None not in sizes and not members else None
        feature = scene.to_feature()
        payload = {
            "provider": scene.provider,
            # the provider is built with these when the job runs or resumes, whatever the settings say then
            "options": options,
            "key": scene_key(scene),
            "scene_id": scene.id,
            # the queue file must not keep a credential: a scene whose hrefs are signed URLs is stored
            # by id and fetched again from its provider when the job runs
            "feature": None if feature_carries_secret(feature) else feature,
            "outdir": str(outdir),
            "assets": list(assets) if assets is not None else None,
            "members": list(members) if members else None,
            "total": total if not clip else None,
            "title": job_title(scene, assets, members),
            "clip": clip,
        }

        def add(_task) -> JobView:
            job = self.queue.add(KIND, payload, label=scene.id)
            self._start_queue()
            return self._view(job)

        return self._background(self.tr("Scene Picker: queue {}").format(scene.id), add)

    def cancel(self, job_id: str) -> FunctionTask:
        self._interrupted.discard(job_id)
        live = self._live.get(job_id)
        if live is not None and live.state == ACTIVE:
            # the engine stops at its next chunk (or when a stalled read times out): say so meanwhile
            self._cancelling.add(job_id)
            self.jobChanged.emit(self._view(live))
        return self._background(
            self.tr("Scene Picker: cancel a download"), lambda _t: self.queue.cancel(job_id)
        )

    def retry(self, job_id: str) -> FunctionTask:
        self._interrupted.discard(job_id)

        def again(_task) -> None:
            self.queue.retry(job_id)
            self._start_queue()

        return self._background(self.tr("Scene Picker: retry a download"), again)

    def _start_queue(self) -> None:
        """Start the queue's workers unless the manager was shut down: a Retry (or an enqueue) whose task
        ends after the panel closed leaves its job queued for the next start, not downloading."""
        with self._life_lock:
            if not self._shutting_down:
                self.queue.start()

    def _background(self, description: str, function) -> FunctionTask:
        """Queue-file writes (fsync) never run on the main thread."""
        task = FunctionTask(description, function)
        task.signals.done.connect(self._on_background_done)
        self._keeper.start(task)
        return task

    def _on_background_done(self, _result, error) -> None:
        if error is not None:
            log(f"download queue: {error}", Qgis.MessageLevel.Warning)

    def apply_settings(self) -> None:
        """Take the parallel-download settings as changed in the dialog (more workers start at once)."""
        workers = settings.named_setting(settings.WORKERS)
        per_provider = settings.named_setting(settings.PER_PROVIDER)
        if per_provider != self.per_provider:
            with self._slots_lock:
                self.per_provider = per_provider
                self._slots.clear()  # new caps for the jobs that start from now on
        if workers != self.queue.workers:
            self.queue.workers = workers
            self._start_queue()

    def clear_finished(self, on_removed=None) -> FunctionTask:
        """Forget the finished jobs (done, failed, cancelled; their files stay) in a background task;
        ``on_removed(job ids)`` on the main thread."""

        def clear(_task) -> list[str]:
            before = {job.id for job in self.queue.jobs()}
            self.queue.remove_finished()
            return sorted(before - {job.id for job in self.queue.jobs()})

        task = self._background(self.tr("Scene Picker: clear finished downloads"), clear)
        if on_removed is not None:
            task.signals.done.connect(lambda removed, error: on_removed(removed or []))
        return task

    def files_of(self, key: str) -> list[str]:
        """The files the finished jobs of scene ``key`` downloaded (that are still there)."""
        return [
            path
            for job in self.queue.jobs()
            if job.state == DONE and job.payload.get("key") == key
            for path in (job.result or {}).get("files", [])
            if Path(path).is_file()
        ]

    def local_file(self, key: str, asset_key: str) -> Path | None:
        """The downloaded file of ``asset_key`` of scene ``key`` (when a finished job holds it)."""
        for job in self.queue.jobs():
            if job.state != DONE or job.payload.get("key") != key:
                continue
            asset = ((job.payload.get("feature") or {}).get("assets") or {}).get(asset_key)
            if not asset:
                continue
            name = asset["href"].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            for path in (job.result or {}).get("files", []):
                if Path(path).name in (safe_name(name), f"{safe_name(asset_key)}_{safe_name(name)}"):
                    if Path(path).is_file():
                        return Path(path)
        return None

    # -- the job handler (a queue worker thread) ------------------------------------------------------------
    def _run_job(self, job: core_queue.Job, cancel: CancelToken, progress: ProgressCallback) -> dict:
        payload = job.payload
        name = payload["provider"]
        slot = self._slot(name)
        while not slot.acquire(timeout=_WAIT_STEP):  # per-provider cap, bounded by cancellation
            cancel.raise_if_cancelled(f"The download of {payload['scene_id']}")
        provider = None
        try:
            # a job queued by an older version keeps no options: the settings' ones
            provider = make_provider(name, payload.get("options"))
            if payload.get("feature"):
                scene = Scene.from_feature(payload["feature"])
            else:
                scene = provider.get(payload["scene_id"])
            downloader = provider.downloader(scene)
            report = self._aggregate(job.id, payload.get("total"), progress)
            result = download_scene(
                downloader,
                Path(payload["outdir"]),
                assets=payload.get("assets"),
                members=payload.get("members"),
                clip=payload.get("clip"),
                cancel=cancel,
                progress=report,
            )
        finally:
            slot.release()
            if provider is not None:
                provider.close()  # its HTTP sessions (no socket left for the garbage collector)
        return {"files": [str(p) for p in result.files], "bytes_fetched": int(result.bytes_fetched)}

    def _slot(self, provider: str) -> threading.Semaphore:
        with self._slots_lock:
            if provider not in self._slots:
                self._slots[provider] = threading.Semaphore(self.per_provider)
            return self._slots[provider]

    def _aggregate(self, job_id: str, total: int | None, progress: ProgressCallback) -> ProgressCallback:
        """One progress line for the whole job from the per-file events of the engine."""
        files: dict[str, tuple[int, int | None]] = {}
        lock = threading.Lock()

        def report(event: Progress) -> None:
            with lock:
                files[event.label] = (event.done, event.total)
                done = sum(d for d, _ in files.values())
                totals = [t for _, t in files.values()]
                whole = total or (sum(totals) if totals and None not in totals else None)
            eta = (whole - done) / event.speed if whole and event.speed > 0 else event.eta
            self._speed[job_id] = (float(event.speed), eta)
            progress(Progress(event.label, done, whole, event.speed, eta))

        return report

    # -- state changes --------------------------------------------------------------------------------------
    def _from_worker(self, job: core_queue.Job) -> None:
        with self._cond:
            self._live[job.id] = job
            self._cond.notify_all()
        try:
            self._workerChange.emit(job)
        except RuntimeError:  # the panel is gone (plugin unloaded while a worker finished): the file has it
            pass

    def live_state(self, job_id: str) -> str | None:
        job = self._live.get(job_id)
        if self._shutting_down:
            return None
        return job.state if job is not None else None

    def live_fraction(self, job_id: str) -> float | None:
        job = self._live.get(job_id)
        if job is None or not job.total:
            return None
        return min(1.0, job.done / job.total)

    def wait_state_change(self, job_id: str, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)

    def _on_change(self, job: core_queue.Job) -> None:  # main thread
        if job.state == ACTIVE:
            self._interrupted.discard(job.id)
            if job.id not in self._tasks and not self._shutting_down:
                task = JobTask(self, job.id, job.label)
                self._tasks[job.id] = task
                self._keeper.start(task)
        elif job.state != QUEUED:
            self._tasks.pop(job.id, None)
        view = self._view(job)
        self.jobChanged.emit(view)
        if job.state in (DONE, FAILED, CANCELLED) and not self._shutting_down:
            if job.state == FAILED:
                log(f"download of {view.scene_id} failed: {view.error}", Qgis.MessageLevel.Warning)
            self.jobFinished.emit(view)

    def _view(self, job: core_queue.Job) -> JobView:
        payload = job.payload
        result = job.result or {}
        speed, eta = self._speed.get(job.id, (0.0, None)) if job.state == ACTIVE else (0.0, None)
        state = INTERRUPTED if job.id in self._interrupted and job.state == QUEUED else job.state
        if job.state == ACTIVE and job.id in self._cancelling:
            state = CANCELLING
        elif job.state != ACTIVE:
            self._cancelling.discard(job.id)
        return JobView(
            id=job.id,
            state=state,
            key=payload.get("key", ""),
            provider=payload.get("provider", ""),
            scene_id=payload.get("scene_id", job.label),
            outdir=payload.get("outdir", ""),
            done=job.total if job.state == DONE and job.total else job.done,
            total=job.total or payload.get("total"),
            speed=speed,
            eta=eta,
            error=job.error,
            files=list(result.get("files", [])),
            bytes_fetched=int(result.get("bytes_fetched", 0)),
            title=payload.get("title", ""),
        )

    # -- QGIS's task manager cancels -----------------------------------------------------------------------
    def task_cancelled(self, job_id: str) -> None:
        """QGIS cancelled the job's task (main thread): hold the job and decide once QGIS is idle again."""
        self._tasks.pop(job_id, None)
        if self._shutting_down:
            return
        if not self._held:
            self._held_level = QThread.currentThread().loopLevel()
        self._held.add(job_id)
        self._decision.start()

    def suspend(self) -> None:
        """Interrupt every active job and stop the workers (any thread): the jobs are saved as queued."""
        with self._suspend_lock:
            self.queue.shutdown(cancel_active=True, timeout=30.0)

    def _decide_held(self) -> None:
        """QGIS is still running after it cancelled tasks: not a quit. The held jobs were the user's
        cancels in QGIS's task list: cancel them for good, and resume the others."""
        if self._shutting_down or not self._held:
            return
        if QThread.currentThread().loopLevel() > self._held_level or self._suspend_lock.locked():
            self._decision.start()  # still inside QGIS's quit (a "save the project?" dialog): wait
            return
        held, self._held = sorted(self._held), set()

        def work(_task) -> None:
            with self._suspend_lock:
                for job_id in held:
                    self.queue.cancel(job_id)
                self._start_queue()

        self._background(self.tr("Scene Picker: cancel a download"), work)

    # -- life cycle -------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> None:
        """QGIS closes or the plugin unloads: interrupt the active jobs; the queue saves them to resume."""
        with self._life_lock:
            self._shutting_down = True
        self._decision.stop()  # jobs held after a task-manager cancel stay queued: they resume
        with self._cond:
            self._cond.notify_all()
        for task in list(self._tasks.values()):
            try:
                task.cancel()
            except RuntimeError:
                pass
        self._tasks.clear()
        self.queue.shutdown(cancel_active=True, timeout=timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Spin the event loop until no job is active (tests, and closing); bounded by ``timeout``."""
        from qgis.core import QgsApplication

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            QgsApplication.processEvents()
            if not any(j.state == ACTIVE for j in self.queue.jobs()):
                return True
            time.sleep(0.01)
        return False
