"""pytest fixtures for the download engine's tests: nginx serving generated files, and the fault proxy.

Import them into a test module (``from support.fixtures_engine import *``) or list this module in
``pytest_plugins`` of a conftest. Session-scoped servers, function-scoped fault reset:

- ``served_dir``: the directory nginx serves (write more files into it at any time).
- ``nginx``: the :class:`~support.nginx.NginxServer` (``nginx.url("name")``).
- ``sample_files``: ``{name: bytes}`` of generated files already in ``served_dir``.
- ``proxy``: the session's :class:`~support.fault_proxy.FaultProxy` in front of nginx, with faults off
  and counters at zero at the start of each test.
- ``other_host_proxy``: a second proxy reached as ``localhost`` (another host name and port), for
  cross-host redirect tests; also reset per test.

Helpers: :func:`make_bytes`, :func:`sha256`, and :func:`run_cli` / :func:`cli_command` /
:func:`cli_env` to run ``scene-picker`` in a subprocess from this source tree.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from .fault_proxy import FaultProxy
from .nginx import NginxServer, nginx_available

SAMPLE_SIZES = {"small.bin": 100_000, "medium.bin": 3 * 1024 * 1024 + 123, "empty.bin": 0}


def make_bytes(size: int, seed: int = 1) -> bytes:
    """Deterministic pseudo-random bytes (incompressible, reproducible)."""
    return random.Random(seed).randbytes(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cli_command(*args: str) -> list[str]:
    """The argv that runs ``scene-picker ARGS`` from this source tree."""
    return [sys.executable, "-m", "scene_picker", *args]


def cli_env() -> dict[str, str]:
    """The environment in which :func:`cli_command` finds the package (build/pkgroot on the path)."""
    from conftest import PKG_PARENT

    return dict(os.environ, PYTHONPATH=str(PKG_PARENT))


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``scene-picker ARGS`` in a subprocess (text output captured, no stdin)."""
    return subprocess.run(
        cli_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
    )


__all__ = [
    "served_dir",
    "nginx",
    "sample_files",
    "proxy",
    "other_host_proxy",
    "session_fault_proxy",
    "session_other_host_proxy",
    "make_bytes",
    "sha256",
    "run_cli",
    "cli_command",
    "cli_env",
]


@pytest.fixture(scope="session")
def served_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("served")


@pytest.fixture(scope="session")
def nginx(served_dir: Path) -> Iterator[NginxServer]:
    if not nginx_available():
        pytest.skip("Debian's nginx is not installed here (apt-get install nginx)")
    with NginxServer(served_dir) as server:
        yield server


@pytest.fixture(scope="session")
def sample_files(served_dir: Path) -> dict[str, bytes]:
    files = {}
    for index, (name, size) in enumerate(sorted(SAMPLE_SIZES.items())):
        data = make_bytes(size, seed=index + 7)
        (served_dir / name).write_bytes(data)
        files[name] = data
    return files


@pytest.fixture(scope="session")
def session_fault_proxy(nginx: NginxServer) -> Iterator[FaultProxy]:
    with FaultProxy(nginx.base_url) as server:
        yield server


@pytest.fixture(scope="session")
def session_other_host_proxy(nginx: NginxServer) -> Iterator[FaultProxy]:
    with FaultProxy(nginx.base_url, host_name="localhost") as server:
        yield server


@pytest.fixture
def proxy(session_fault_proxy: FaultProxy) -> Iterator[FaultProxy]:
    session_fault_proxy.reset()
    yield session_fault_proxy
    session_fault_proxy.reset()


@pytest.fixture
def other_host_proxy(session_other_host_proxy: FaultProxy) -> Iterator[FaultProxy]:
    session_other_host_proxy.reset()
    yield session_other_host_proxy
    session_other_host_proxy.reset()
