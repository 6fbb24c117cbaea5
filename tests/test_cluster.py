"""``scene-picker download --cluster``: a real ``dask scheduler`` and two ``dask worker`` processes on
loopback run a plan of 20 scenes served by a counting server (who asked, how many at once).

The scheduler hands the lease of a dead worker back after 2 s here (30 s by default), so the test of a
worker killed mid-plan does not wait long for the per-host slot that worker held.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import distributed  # noqa: F401 - dev/requirements-test.txt installs it (real scheduler and workers)
import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import load_credentials
from scene_picker.core.transfer import part_path

from support.cluster_tasks import take_slots, worker_account
from support.counting_server import CountingServer
from support.fixtures_engine import cli_command, cli_env, make_bytes, sha256
from support.ports import free_port

pytestmark = pytest.mark.slow

SCENES = 20
SIZE = 64 * 1024
BIG = "big.bin"
BIG_SIZE = 3 * (1 << 20)
WORKER_SECRET = "worker-only-secret-4e1f"
DASK_ENV = {
    # Workers read their account from their environment (the driver's keyring holds none).
    "PYTHON_KEYRING_BACKEND": "scene_picker.core.env_keyring.EnvironmentKeyring",
    "SCENE_PICKER_CDSE_USERNAME": "worker@example.org",
    "SCENE_PICKER_CDSE_SECRET": WORKER_SECRET,
    "DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_TIMEOUT": "2s",
    "DASK_DISTRIBUTED__SCHEDULER__LOCKS__LEASE_VALIDATION_INTERVAL": "200ms",
}


class DaskProcesses:
    """A scheduler and named workers, as separate processes; every one is killed at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.address = f"tcp://127.0.0.1:{free_port()}"
        env = cli_env()  # workers import scene_picker and the tasks of support.cluster_tasks
        self.env = dict(env, PYTHONPATH=f"{env['PYTHONPATH']}{os.pathsep}{Path(__file__).parent}", **DASK_ENV)
        self.workers: dict[str, subprocess.Popen] = {}
        self.log = open(tmp / "dask.log", "wb")  # noqa: SIM115 - closed in stop()
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._spawn(
            ["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], self.env
        )

    def _spawn(
        self, args: list[str], env: dict, prefix: list[str] = (), log: Any = "shared"
    ) -> subprocess.Popen:
        command = [*prefix, sys.executable, "-m", "dask", *args]
        out = self.log if log == "shared" else subprocess.DEVNULL
        return subprocess.Popen(command, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)

    def start_worker(
        self, name: str, prefix: list[str] = (), env: dict | None = None, log: Any = "shared"
    ) -> subprocess.Popen:
        local = self.tmp / f"worker-{name}"
        local.mkdir(exist_ok=True, mode=0o777)
        local.chmod(0o777)
        args = ["worker", self.address, "--name", name, "--nthreads", "2", "--no-nanny", "--no-dashboard"]
        args += ["--host", "127.0.0.1", "--local-directory", str(local)]
        self.workers[name] = self._spawn(args, env or self.env, prefix, log)
        return self.workers[name]

    def wait_for(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(count, timeout=60)

    def pids(self) -> set[int]:
        return {p.pid for p in self.workers.values() if p.poll() is None}

    def stop(self) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    processes = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        for name in ("w1", "w2"):
            processes.start_worker(name)
        processes.wait_for(2)
        yield processes
    finally:
        processes.stop()


@pytest.fixture
def two_workers(dask_cluster: DaskProcesses) -> DaskProcesses:
    """Both workers alive (one killed by an earlier test is started again)."""
    for name, process in list(dask_cluster.workers.items()):
        if process.poll() is not None:
            dask_cluster.start_worker(name)
    dask_cluster.wait_for(2)
    return dask_cluster


def _plan(tmp_path: Path, base_url: str, names: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "id": f"SCENE_{index:02d}",
            "geometry": {"type": "Point", "coordinates": [index, 0]},
            "properties": {"provider": "stac", "datetime": "2024-05-01T10:00:00Z"},
            "assets": {"data": {"href": f"{base_url}/{name}", "roles": ["data"]}},
        }
        for index, name in enumerate(names)
    ]
    path = tmp_path / "results.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _files(count: int) -> dict[str, bytes]:
    return {f"f{index:02d}.bin": make_bytes(SIZE, seed=index) for index in range(count)}


def _download(results: Path, out: Path, cluster: str, *extra: str, cwd=None) -> subprocess.CompletedProcess:
    command = cli_command("download", str(results), "--out", str(out), "--cluster", cluster, *extra)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=cli_env(), stdin=subprocess.DEVNULL, cwd=cwd
    )


def _verify(out: Path, files: dict[str, bytes]) -> None:
    for index, (name, data) in enumerate(sorted(files.items())):
        assert sha256((out / f"SCENE_{index:02d}" / name).read_bytes()) == sha256(data), name


def test_plan_runs_on_the_workers_under_one_per_host_cap_then_skips(two_workers, tmp_path):
    files = _files(SCENES)
    with CountingServer(files, hold=0.1) as server:
        server.candidates = sorted(two_workers.pids())
        results = _plan(tmp_path, server.base_url, sorted(files))
        out = tmp_path / "out"
        run = _download(results, out, two_workers.address, "-j", "4", "--per-host", "2")
        assert run.returncode == 0, run.stderr
        _verify(out, files)
        assert run.stdout.count("done ") == SCENES
        assert len(server.requests) == SCENES
        # Every request came from a worker process (none from the command line), and from both.
        assert {r.pid for r in server.requests} == two_workers.pids()
        # Four jobs in flight on four worker threads, yet never more than two at the host at once.
        assert server.max_active == 2

        server.reset()
        # A relative --out means the driver's folder, whatever the workers' working folders are.
        again = _download(results, Path("out"), two_workers.address, "-j", "4", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert server.requests == []
        assert again.stdout.count("done ") == SCENES
        _verify(out, files)


def test_a_worker_killed_mid_plan_its_job_resumes_on_the_other(two_workers, tmp_path):
    files = _files(SCENES - 1)
    files[BIG] = make_bytes(BIG_SIZE, seed=99)
    names = sorted(files)
    with CountingServer(files, hold=0.05) as server:
        server.candidates = sorted(two_workers.pids())
        server.gate(BIG, after=2 * (1 << 20))
        results = _plan(tmp_path, server.base_url, names)
        out = tmp_path / "out"
        command = cli_command(
            "download", str(results), "--out", str(out), "--cluster", two_workers.address, "-j", "4",
            "--per-host", "3",
        )  # fmt: skip
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
        )
        try:
            assert server.gated.wait(120), "the big file was never asked for"
            part = part_path(out / f"SCENE_{names.index(BIG):02d}" / BIG)
            deadline = time.monotonic() + 60
            while not (part.exists() and part.stat().st_size >= 1 << 20) and time.monotonic() < deadline:
                time.sleep(0.05)  # bounded wait for the first MiB to reach the .part
            assert part.stat().st_size >= 1 << 20
            victim = server.gated_pid
            assert victim in two_workers.pids()
            os.kill(victim, signal.SIGKILL)
            server.release()
            stdout, stderr = process.communicate(timeout=240)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, stderr
        for index, name in enumerate(names):
            assert sha256((out / f"SCENE_{index:02d}" / name).read_bytes()) == sha256(files[name]), name
        big = [r for r in server.requests if r.path == BIG]
        assert len(big) == 2
        assert big[0].range is None and big[0].pid == victim
        # The survivor went on from the .part the dead worker left, not from byte 0.
        assert big[1].range is not None and int(big[1].range[6:].split("-")[0]) >= 1 << 20
        assert big[1].pid in two_workers.pids() - {victim}
        assert stdout.count("done ") == SCENES


def test_without_distributed_the_message_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    results = _plan(tmp_path, "http://127.0.0.1:9", ["a.bin"])
    code = main(["download", str(results), "--out", str(tmp_path / "out"), "--cluster", "local:1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "pip install 'scene-picker[cluster]'" in err
    assert not (tmp_path / "out").exists()


_NO_FILE_WRITES = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def test_a_worker_that_cannot_write_the_shared_folder_is_refused():
    """One worker may write no byte into any file (RLIMIT_FSIZE 0, as a full or read-only share would
    refuse it): the run is refused before any download, naming that worker alone."""
    files = _files(1)
    with tempfile.TemporaryDirectory() as tmp, CountingServer(files) as server:
        tmp_path = Path(tmp)
        out = tmp_path / "out"
        out.mkdir()
        processes = DaskProcesses(tmp_path)
        try:
            processes.start_worker("writer")
            # its output must not go to the shared log file, which it may not grow either
            processes.start_worker("reader", prefix=[sys.executable, "-c", _NO_FILE_WRITES], log=None)
            processes.wait_for(2)
            run = _download(_plan(tmp_path, server.base_url, sorted(files)), out, processes.address)
        finally:
            processes.stop()
        assert run.returncode == 9, run.stderr
        assert "must be shared storage" in run.stderr
        assert run.stderr.count("cannot write to it (File too large)") == 1, run.stderr  # the reader alone
        assert server.requests == []


# -- the limits shared by the workers (CDSE's sessions per account, request-rate windows) -------------
ACCOUNT = "cdse:someone@example.org"


def test_account_caps_and_rate_windows_hold_across_workers_and_free_when_a_worker_dies(two_workers):
    from distributed import Client

    with Client(two_workers.address, timeout=60) as client:
        first, second = sorted(client.scheduler_info()["workers"])
        # CDSE-like cap of one session for one account: the first worker holds it, the other waits.
        assert client.submit(take_slots, "cap", ACCOUNT, 1, 30, workers=[first], pure=False).result(60) == 1
        assert client.submit(take_slots, "cap", ACCOUNT, 1, 1.0, workers=[second], pure=False).result(60) == 0
        # A window of 3 requests per 600 s: both workers together get 3, not 3 each.
        takes = [
            client.submit(take_slots, "rate", "terrascope:host", 2, 2.0, workers=[w], pure=False)
            for w in (first, second)
        ]
        assert sum(f.result(60) for f in takes) == 3
        # The scheduler knows the caps by hashed names only: no account name in its state.
        names = client.run_on_scheduler(
            lambda dask_scheduler: sorted(dask_scheduler.extensions["semaphores"].max_leases)
        )
        assert names and not any("example.org" in name or "terrascope" in name for name in names)
        # The worker holding the account's session dies: its lease expires, the other worker gets it.
        holder = client.run(os.getpid, workers=[first])[first]
        os.kill(holder, signal.SIGKILL)
        assert client.submit(take_slots, "cap", ACCOUNT, 1, 60, workers=[second], pure=False).result(90) == 1


def test_workers_read_their_account_from_their_environment(two_workers):
    from distributed import Client

    assert load_credentials("cdse") is None  # nothing here: the account lives on the workers only
    expected = ("worker@example.org", sha256(WORKER_SECRET.encode()))
    with Client(two_workers.address, timeout=60) as client:
        workers = sorted(client.scheduler_info()["workers"])
        found = [client.submit(worker_account, "cdse", workers=[w], pure=False).result(60) for w in workers]
    assert found == [expected, expected]


def test_an_interrupted_cluster_run_exits_130_and_the_next_run_completes(two_workers, tmp_path):
    files = _files(SCENES - 1)
    files[BIG] = make_bytes(BIG_SIZE, seed=7)
    names = sorted(files)
    with CountingServer(files) as server:
        server.gate(BIG, after=1 << 20)
        results = _plan(tmp_path, server.base_url, names)
        out = tmp_path / "out"
        command = cli_command("download", str(results), "--out", str(out), "--cluster", two_workers.address)
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
        )
        try:
            assert server.gated.wait(120), "the big file was never asked for"
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=120)
        finally:
            server.release()
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 130, stderr
        assert "scene-picker download --resume" in stderr
        again = _download(results, out, two_workers.address)
        assert again.returncode == 0, again.stderr
        for index, name in enumerate(names):
            assert sha256((out / f"SCENE_{index:02d}" / name).read_bytes()) == sha256(files[name]), name


def test_per_host_cap_of_a_local_run(tmp_path):
    files = _files(8)
    with CountingServer(files, hold=0.1) as server:
        results = _plan(tmp_path, server.base_url, sorted(files))
        command = cli_command(
            "download", str(results), "--out", str(tmp_path / "out"), "-j", "4", "--per-host", "1"
        )
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env=cli_env(), stdin=subprocess.DEVNULL
        )
        assert run.returncode == 0, run.stderr
        assert len(server.requests) == len(files)
        assert server.max_active == 1
    _verify(tmp_path / "out", files)


def test_a_failed_scene_gives_the_exit_code_and_table_of_a_local_run(two_workers, tmp_path):
    files = _files(3)
    with CountingServer(files) as server:
        results = _plan(tmp_path, server.base_url, [*sorted(files), "missing.bin"])
        table = tmp_path / "table.json"
        run = _download(results, tmp_path / "out", two_workers.address, "--table", str(table))
    assert run.returncode == 4, run.stderr  # a network error (HTTP 404), as locally
    assert "1 of 4 scenes did not complete." in run.stderr
    rows = {row["scene_id"]: row for row in json.loads(table.read_text())}
    assert rows["SCENE_03"]["status"] == "failed" and "404" in rows["SCENE_03"]["error"]
    assert [rows[f"SCENE_{i:02d}"]["status"] for i in range(3)] == ["done"] * 3
