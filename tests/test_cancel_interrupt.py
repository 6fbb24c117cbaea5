"""Cancel interrupts a read blocked on a stalled server: the download or extraction ends within
moments of the cancel, not at the read timeout (60 s by default), and leaves what it promises (the
.part for a resume; no final file). The fault proxy stalls each answer far longer than the joins wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scene_picker.core import remotezip
from scene_picker.core.cancel import CancelToken
from scene_picker.core.errors import CancelledError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.remotezip import RemoteZip
from scene_picker.core.transfer import download_file, part_path

from support import zipgen

MEDIUM = "medium.bin"
MIB = 1 << 20
STALL = 30.0  # the proxy holds a stalled answer this long; every join below waits far less
JOIN = 10.0


@pytest.fixture(scope="module")
def archives(served_dir: Path) -> dict[str, list]:
    return zipgen.write_served_archives(served_dir)


def _run(target) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, outcome


def _wait_for_stall(proxy, at_least: int) -> None:
    """Until the proxy has sent ``at_least`` body bytes of one answer (then it holds it)."""
    for _ in range(400):  # bounded: 20 s
        if any(r.bytes_sent >= at_least for r in proxy.log):
            time.sleep(0.2)  # the client is now blocked in its next read
            return
        time.sleep(0.05)
    raise AssertionError(f"the proxy never sent {at_least} bytes: {proxy.log}")


def _download(proxy, dest: Path, token: CancelToken, http: HttpClient):
    return lambda: download_file(proxy.url(MEDIUM), dest, http=http, cancel=token)


@pytest.mark.parametrize("kind", ["cancel()", "from_callable"])
def test_cancel_ends_a_download_blocked_on_a_stalled_server(kind, proxy, sample_files, tmp_path):
    proxy.configure(stall_after=MIB, stall_timeout=STALL)
    flag = threading.Event()
    token = CancelToken() if kind == "cancel()" else CancelToken.from_callable(flag.is_set)
    dest = tmp_path / MEDIUM
    with HttpClient(timeout=(5.0, 60.0), retry=RetryPolicy(sleep=lambda s: None)) as http:
        thread, outcome = _run(_download(proxy, dest, token, http))
        _wait_for_stall(proxy, MIB)
        assert thread.is_alive()  # blocked in the read: the stall lasts STALL seconds
        token.cancel() if kind == "cancel()" else flag.set()
        thread.join(JOIN)
        assert not thread.is_alive(), "the cancel did not interrupt the blocked read"
    assert isinstance(outcome.get("error"), CancelledError), outcome
    assert ".part is kept" in str(outcome["error"])
    assert not dest.exists()
    part = part_path(dest)
    kept = part.stat().st_size
    assert kept >= MIB  # what came before the stall is kept for the resume
    assert part.read_bytes() == sample_files[MEDIUM][:kept]
    assert proxy.requests == 1  # no retry after the cancel

    proxy.configure()
    download_file(proxy.url(MEDIUM), dest, http=HttpClient())  # the resume completes it
    assert dest.read_bytes() == sample_files[MEDIUM]
    assert proxy.log[0].range == f"bytes={kept}-"


def test_cancel_ends_an_extraction_blocked_on_a_stalled_server(archives, proxy, tmp_path):
    remotezip.forget_range_modes()
    token = CancelToken()
    with HttpClient(timeout=(5.0, 60.0), retry=RetryPolicy(sleep=lambda s: None)) as http:
        archive = RemoteZip(proxy.url("bands.zip"), http, cancel=token)
        archive.members()  # the directory, read before the server starts stalling
        proxy.configure(stall_after=100_000, stall_timeout=STALL)
        out = tmp_path / "out"
        thread, outcome = _run(lambda: archive.extract(["*_B08_10m.jp2"], out))
        _wait_for_stall(proxy, 100_000)
        assert thread.is_alive()
        token.cancel()
        thread.join(JOIN)
        assert not thread.is_alive(), "the cancel did not interrupt the blocked read"
    assert isinstance(outcome.get("error"), CancelledError), outcome
    assert not [p for p in out.rglob("*") if p.is_file()]  # no member, not even a partial one
    assert proxy.requests == 1
    remotezip.forget_range_modes()


def test_interrupts_run_once_while_registered_and_at_once_when_already_cancelled():
    token = CancelToken()
    calls: list[str] = []
    with token.interrupting(lambda: calls.append("a")):
        pass
    token.cancel()
    assert calls == []  # left the block before the cancel: not called
    with token.interrupting(lambda: calls.append("b")):
        assert calls == ["b"]  # already cancelled: at once
    token.cancel()
    assert calls == ["b"]


def test_a_polled_token_runs_its_interrupt_when_the_callable_turns_true():
    flag = threading.Event()
    fired = threading.Event()
    token = CancelToken.from_callable(flag.is_set)
    with token.interrupting(fired.set):
        flag.set()
        assert fired.wait(JOIN)  # the watcher thread polled it, nobody called is_cancelled()
    assert token.is_cancelled()
