"""``scene-picker download --cluster``: the plan's jobs run on the workers of a Dask ``distributed`` cluster.

The command line stays the *driver*: it owns the queue database as in a local run. Each of its ``-j``
queue threads claims a job, sends it to the cluster (:func:`run_job` on a worker) and records its
result, so at most ``-j`` scenes are in flight cluster-wide and an interrupted run resumes like a local
one; the progress bar (worker events on a per-run topic) and the table are the local run's.

Workers download into the same output folder (shared storage, same path everywhere: checked once at
start by :func:`check_shared_folder`), under the engine's OS file locks and private ``.part`` names, so a
job retried on another worker after its worker died resumes the ``.part`` and no final file is written
twice. The per-host cap (``--per-host``) and the providers' caps and rate limits are cluster-wide
(:mod:`scene_picker.core.cluster`). Payloads hold no credential (signed scenes are queued by provider
and id and signed again on the worker); workers read credentials from their own keyring or environment,
and build each job's provider with the provider options it was queued with (``--option``, ``--url``).
``distributed`` is imported only here, and only when ``--cluster`` is given.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator, Optional

from ..core.cancel import CancelToken
from ..core.errors import CancelledError, NetworkError, OutputError, ScenePickerError, UsageError
from ..core.naming import private_dir
from ..core.progress import Progress
from ..core.queue import Job
from ..core.redact import redact
from .progress_view import ProgressView
from .scene_jobs import JobPools, ProviderPool, SceneJobs, run_scene

INSTALL_HINT = (
    "--cluster needs the optional package 'distributed': pip install 'scene-picker[cluster]' "
    "(or: pip install distributed), here and on every worker."
)
#: Seconds to reach a scheduler, and to wait for its first worker.
CONNECT_TIMEOUT = 30
#: Seconds between two looks at the cancel token while a job runs on the cluster.
_POLL = 0.5


def require_distributed() -> Any:
    """The ``distributed`` module, or a :class:`UsageError` saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return distributed


def parse_address(text: str) -> tuple[str, Any]:
    """``local:N`` → ``("local", N)``; ``tcp://HOST:PORT`` (or tls://, ws://…) → ``("remote", text)``."""
    if text.startswith("local:"):
        count = text[len("local:") :]
        if count.isdigit() and int(count) >= 1:
            return "local", int(count)
    elif "://" in text and text.split("://", 1)[1]:
        return "remote", text
    raise UsageError(f"--cluster {text}: give tcp://HOST:PORT of a Dask scheduler, or local:N (N workers).")


def check_cluster_option(text: str) -> None:
    """Refuse a malformed ``--cluster`` value, or a missing ``distributed``, before anything is done."""
    parse_address(text)
    require_distributed()


@contextlib.contextmanager
def cluster_jobs(args: Any, pool: ProviderPool, view: ProgressView) -> Iterator[ClusterSceneJobs]:
    """Connect to (or start) the cluster of ``args.cluster``, check the output folder is shared and
    writable by every worker, and yield the job handler that runs scenes there."""
    distributed = require_distributed()
    kind, value = parse_address(args.cluster)
    level = logging.getLogger().getEffectiveLevel()  # -v: INFO, -vv: DEBUG, else warnings only
    logging.getLogger("distributed").setLevel(level)
    cluster = None
    try:
        if kind == "local":
            threads = max(1, -(-args.concurrency // value))
            cluster = distributed.LocalCluster(
                n_workers=value,
                threads_per_worker=threads,
                processes=True,
                dashboard_address=None,
                silence_logs=level,
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(value, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise NetworkError(f"Cannot reach the Dask scheduler at {value}: {exc}") from None
    jobs = None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            raise NetworkError(
                f"No worker joined the Dask scheduler at {value} within {CONNECT_TIMEOUT} s."
            ) from None
        check_shared_folder(client, args.out)
        jobs = ClusterSceneJobs(pool, view, args.per_host, client)
        yield jobs
    finally:
        if jobs is not None:
            jobs.close()
        client.close()
        if cluster is not None:
            cluster.close()


def check_shared_folder(client: Any, out: Path) -> None:
    """Refuse (:class:`OutputError`) unless every worker sees this process's probe file in ``out`` and
    can write there: the output folder must be one shared folder at the same path on every worker."""
    folder = private_dir(Path(out).resolve())
    folder.mkdir(parents=True, exist_ok=True)
    name, token = f"cluster-probe-{uuid.uuid4().hex}", uuid.uuid4().hex
    (folder / name).write_text(token, encoding="utf-8")
    try:
        answers = client.run(_probe, str(folder), name, token)
    finally:
        (folder / name).unlink()
    problems = [f"{worker} {problem}" for worker, problem in sorted(answers.items()) if problem]
    if problems:
        raise OutputError(
            f"The output folder {Path(out).resolve()} must be shared storage, mounted at the same path and "
            f"writable on every worker: {'; '.join(problems)}."
        )


def _probe(folder: str, name: str, token: str) -> Optional[str]:
    """On a worker: what is wrong with the shared folder, or None."""
    path = Path(folder)
    try:
        if (path / name).read_text(encoding="utf-8") != token:
            return "sees another folder at this path"
    except FileNotFoundError:
        return "does not see the same folder at this path (not shared storage)"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    mine = path / f"{name}.{socket.gethostname()}.{os.getpid()}"
    try:
        mine.write_bytes(b"probe")
        mine.unlink()
    except OSError as exc:
        return f"cannot write to it ({exc.strerror or exc})"
    return None


class ClusterSceneJobs(SceneJobs):
    """The ``scene`` job handler of a cluster run: each job runs on a worker; errors, messages and
    outcomes are kept here as in a local run."""

    def __init__(self, pool: ProviderPool, view: ProgressView, per_host: Optional[int], client: Any) -> None:
        super().__init__(pool, view, per_host)
        self.client = client
        self.topic = f"scene-picker-progress-{uuid.uuid4().hex}"
        self._reporters: dict[str, Any] = {}
        client.subscribe_topic(self.topic, self._on_progress)

    def close(self) -> None:
        self.client.unsubscribe_topic(self.topic)

    def _on_progress(self, event: tuple[float, dict]) -> None:
        message = event[1]
        report = self._reporters.get(message.get("job"))
        if report is not None:
            report(Progress(**message["progress"]))

    def execute(self, job: Job, cancel: CancelToken, report) -> dict[str, Any]:
        from distributed import KilledWorker

        settings = {"provider": self.default_provider, "per_host": self.per_host, "topic": self.topic}
        payload = {**job.payload, "out": str(Path(job.payload["out"]).resolve())}  # workers' cwd differ
        self._reporters[job.id] = report
        future = self.client.submit(
            run_job, job.id, payload, settings, key=f"scene-{job.id}-{uuid.uuid4().hex[:8]}", pure=False
        )
        done = threading.Event()  # not future.result(timeout): distributed's timed sync can lose the result
        future.add_done_callback(lambda _: done.set())
        try:
            while not done.wait(_POLL):
                if cancel.is_cancelled():
                    future.cancel()
                    raise CancelledError(f"{job.label}: cancelled.")
            try:
                answer = future.result()
            except KilledWorker:
                raise NetworkError(
                    f"{job.label}: the workers running it died several times; see the workers' logs."
                ) from None
        finally:
            self._reporters.pop(job.id, None)
        error = answer.get("error")
        if error is not None:
            exc = (CancelledError if error["cancelled"] else ScenePickerError)(error["message"])
            exc.exit_code = int(error["exit_code"])
            raise exc
        return answer["result"]


# -- on a worker --------------------------------------------------------------------------------------
_pools: dict[Optional[str], JobPools] = {}


def run_job(job_id: str, payload: dict, settings: dict) -> dict[str, Any]:
    """Run one scene job on this worker; ``{"result": …}`` or ``{"error": …}`` (redacted)."""
    from distributed import get_worker

    from ..core.cluster import install_worker_limits

    install_worker_limits()
    worker = get_worker()
    pools = _pools.setdefault(settings.get("provider"), JobPools(settings.get("provider")))

    last = [0.0]

    def report(event: Progress) -> None:  # through the scheduler: at most every _POLL s, and the end
        now = time.monotonic()
        if now - last[0] >= _POLL or (event.fraction or 0) >= 1:
            last[0] = now
            worker.log_event(settings["topic"], {"job": job_id, "progress": asdict(event)})

    try:
        pool = pools.for_job(payload)  # the job's queued provider options (one error if they no longer fit)
        result = run_scene(pool, payload, CancelToken(), report, settings.get("per_host"))
    except ScenePickerError as exc:
        cancelled = isinstance(exc, CancelledError)
        return {"error": {"message": redact(str(exc)), "exit_code": exc.exit_code, "cancelled": cancelled}}
    return {"result": result}
