"""A real STAC API for the tests: stac-fastapi-pgstac on Debian's PostgreSQL + PostGIS, on loopback.

:class:`StacServer` creates a throw-away PostgreSQL cluster in a temporary folder (owned by the
``postgres`` user when the tests run as root: PostgreSQL refuses to run as root), starts it on an
ephemeral 127.0.0.1 port with its socket inside that folder, installs pgstac with ``pypgstac migrate``,
loads the generated collections and items (``tests/support/stac_items.py``) with ``pypgstac load``, and
runs ``uvicorn`` (stac-fastapi-pgstac) on a socket bound to 127.0.0.1:0 and handed over with ``--fd``.
The server tools come from the separate venv ``.venv-stac`` (``make stac-venv``).

Tests use the session-scoped fixture :func:`stac_api` (import it into the test module); the bench
script starts its own :class:`StacServer` with 10 000 items.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import pytest

from . import stac_items
from .ports import free_port

ROOT = Path(__file__).resolve().parents[2]
STAC_VENV = Path(os.environ.get("SCENE_PICKER_STAC_VENV", ROOT / ".venv-stac"))


def _pg_bin() -> Path:
    """$SCENE_PICKER_PG_BIN, else the newest Debian PostgreSQL with initdb (/usr/lib/postgresql/N/bin)."""
    if os.environ.get("SCENE_PICKER_PG_BIN"):
        return Path(os.environ["SCENE_PICKER_PG_BIN"])
    found = [
        p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parent.parent.name.isdigit()
    ]
    if not found:
        return Path("/usr/lib/postgresql/<none installed>/bin")  # _check_tools names what is missing
    return max(found, key=lambda b: int(b.parent.name))


PG_BIN = _pg_bin()
START_TIMEOUT = 60.0


class StacServerError(RuntimeError):
    """The test STAC server could not be set up; the message says which step failed and its output."""


class StacServer:
    """PostgreSQL + pgstac + stac-fastapi on loopback; ``url`` is the API root once started."""

    def __init__(
        self,
        collections: Optional[dict[str, tuple[int, bool, str]]] = None,
        seed: int = 20231231,
        extra_env: Optional[dict[str, str]] = None,
    ) -> None:
        self.collections, self.items = stac_items.generate(collections, seed)
        self.extra_env = extra_env or {}
        self.url = ""
        self.workdir: Optional[Path] = None
        self._pg_port = 0
        self._uvicorn: Optional[subprocess.Popen] = None
        self._pg_started = False
        self._as_postgres = os.geteuid() == 0

    # -- helpers
    def _check_tools(self) -> None:
        missing = [
            str(p)
            for p in (
                PG_BIN / "initdb",
                PG_BIN / "pg_ctl",
                STAC_VENV / "bin/pypgstac",
                STAC_VENV / "bin/uvicorn",
            )
            if not p.exists()
        ]
        if missing:
            raise StacServerError(
                "The test STAC server needs PostgreSQL 15 + PostGIS (dev/install-system-deps.sh) and the "
                f"venv .venv-stac (make stac-venv); missing: {', '.join(missing)}"
            )

    def _run_pg(self, args: list[str]) -> None:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT, cwd="/")
        if done.returncode != 0:
            raise StacServerError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PGHOST="127.0.0.1",
            PGPORT=str(self._pg_port),
            PGUSER="postgres",
            PGPASSWORD="unused-trust-auth",
            PGDATABASE="postgres",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        env.update(self.extra_env)
        return env

    def _pypgstac(self, *args: str) -> None:
        cmd = [str(STAC_VENV / "bin/pypgstac"), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, env=self._env(), timeout=300)
        if done.returncode != 0:
            raise StacServerError(
                f"pypgstac {' '.join(args[:2])} failed: {done.stderr[-2000:] or done.stdout}"
            )

    # -- life cycle
    def start(self) -> StacServer:
        self._check_tools()
        self.workdir = Path(tempfile.mkdtemp(prefix="scene-picker-stac-"))
        if self._as_postgres:
            pg = pwd.getpwnam("postgres")
            os.chown(self.workdir, pg.pw_uid, pg.pw_gid)
        data = self.workdir / "pgdata"
        try:
            self._run_pg(
                ["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
            )
            for attempt in range(5):
                self._pg_port = free_port()
                options = (
                    f"-c listen_addresses=127.0.0.1 -p {self._pg_port} -k {self.workdir} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                )
                try:
                    self._run_pg(
                        [
                            "pg_ctl",
                            "-D",
                            str(data),
                            "-l",
                            str(self.workdir / "pg.log"),
                            "-w",
                            "-o",
                            options,
                            "start",
                        ]
                    )
                    self._pg_started = True
                    break
                except StacServerError:
                    if attempt == 4:
                        raise
            self._load()
            self._start_api()
        except BaseException:
            self.stop()
            raise
        return self

    def _load(self) -> None:
        assert self.workdir is not None
        self._pypgstac("migrate")
        # numberMatched in search answers (pgstac leaves the count off by default)
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                "INSERT INTO pgstac.pgstac_settings (name, value) VALUES ('context', 'on') "
                "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;",
            ],
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=60,
        )
        if done.returncode != 0:
            raise StacServerError(f"enabling the pgstac context failed: {done.stderr}")
        cols = self.workdir / "collections.ndjson"
        cols.write_text("".join(json.dumps(c) + "\n" for c in self.collections))
        items = self.workdir / "items.ndjson"
        items.write_text("".join(json.dumps(i) + "\n" for i in self.items))
        self._pypgstac("load", "collections", str(cols), "--method", "upsert")
        self._pypgstac("load", "items", str(items), "--method", "upsert")

    def add_items(self, items: list[dict[str, Any]]) -> None:
        """Load more items into the running server (``pypgstac load items --method upsert``)."""
        assert self.workdir is not None
        path = self.workdir / "more-items.ndjson"
        path.write_text("".join(json.dumps(i) + "\n" for i in items))
        self._pypgstac("load", "items", str(path), "--method", "upsert")
        self.items.extend(items)

    def _start_api(self) -> None:
        assert self.workdir is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        env = self._env()
        env.setdefault(
            "ENABLED_EXTENSIONS", "query,sort,fields,filter,free_text,pagination,collection_search"
        )
        log = open(self.workdir / "uvicorn.log", "wb")  # noqa: SIM115 - closed in stop()
        self._uvicorn_log = log
        try:
            self._uvicorn = subprocess.Popen(
                [
                    str(STAC_VENV / "bin/uvicorn"),
                    "--factory",
                    "stac_fastapi.pgstac.app:create_app",
                    "--fd",
                    str(sock.fileno()),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                pass_fds=(sock.fileno(),),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.workdir),
            )
        finally:
            sock.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # bounded by START_TIMEOUT
            if self._uvicorn.poll() is not None:
                raise StacServerError(f"uvicorn exited ({self._uvicorn.returncode}): {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/_mgmt/ping", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise StacServerError(
                    f"the STAC API did not answer within {START_TIMEOUT:.0f}s: {self.log_tail()}"
                )
            time.sleep(0.1)

    def log_tail(self) -> str:
        if self.workdir is None:
            return ""
        path = self.workdir / "uvicorn.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.terminate()
            try:
                self._uvicorn.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._uvicorn.kill()
                self._uvicorn.wait(timeout=10)
            self._uvicorn = None
            self._uvicorn_log.close()
        if self._pg_started and self.workdir is not None:
            try:
                self._run_pg(["pg_ctl", "-D", str(self.workdir / "pgdata"), "-m", "immediate", "-w", "stop"])
            except (StacServerError, subprocess.TimeoutExpired):
                pass  # the folder goes away below; a stray postmaster dies with its data
            self._pg_started = False
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> StacServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


_shared: Optional[StacServer] = None


@pytest.fixture(scope="session")
def stac_api():
    """The running test STAC API (a :class:`StacServer`): ``.url``, ``.items``, ``.collections``.

    Several test modules import this fixture; they share one server (started once per session).
    """
    global _shared
    if _shared is None:
        server = StacServer()
        try:
            server.start()
        except StacServerError as exc:
            pytest.fail(str(exc), pytrace=False)
        _shared = server
    yield _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
