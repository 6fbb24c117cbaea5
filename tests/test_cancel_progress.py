"""Cancel tokens and the progress meter."""

from __future__ import annotations

import threading

import pytest

from scene_picker.core.cancel import CancelToken
from scene_picker.core.errors import CancelledError
from scene_picker.core.progress import Progress, ProgressMeter


def test_token_cancel_and_raise():
    token = CancelToken()
    assert not token.is_cancelled()
    token.raise_if_cancelled()
    token.cancel()
    assert token.is_cancelled()
    with pytest.raises(CancelledError):
        token.raise_if_cancelled()


def test_wait_ends_early_when_cancelled_from_another_thread():
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    assert token.wait(30) is True


def test_from_callable():
    flag = {"stop": False}
    token = CancelToken.from_callable(lambda: flag["stop"])
    assert not token.is_cancelled()
    assert token.wait(0.01) is False
    flag["stop"] = True
    assert token.is_cancelled() and token.wait(5) is True


def test_meter_speed_eta_and_throttling():
    now = [0.0]
    events: list[Progress] = []
    meter = ProgressMeter("f", 1000, events.append, interval=1.0, clock=lambda: now[0])
    meter.add(100)  # too early: no event
    assert events == []
    now[0] = 1.0
    meter.add(100)
    assert events[-1].done == 200 and events[-1].speed == pytest.approx(200.0)
    assert events[-1].eta == pytest.approx(4.0)
    assert events[-1].fraction == pytest.approx(0.2)
    meter.finish()
    assert len(events) == 2
    assert Progress("x", 5, None, 0.0, None).fraction is None


def test_progress_follows_the_bytes_read_on_a_slow_link(tmp_path):
    """A 768 KiB band from a server pacing 64 KiB every 0.1 s: progress events come with the bytes as they
    arrive (several with a partial count and a speed), not once per 1 MiB read buffer (one at the end)."""
    from scene_picker.core.http import HttpClient
    from scene_picker.core.transfer import download_file
    from scene_picker.demo.server import RangeServer

    from support.fixtures_engine import make_bytes

    payload = make_bytes(768 * 1024, seed=3)
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "band.tif").write_bytes(payload)
    events: list[Progress] = []
    with RangeServer(tmp_path / "served") as server, HttpClient() as http:
        server.chunk_delay = 0.1
        download_file(
            server.url_for("band.tif"), tmp_path / "out" / "band.tif", http=http, progress=events.append
        )
    assert (tmp_path / "out" / "band.tif").read_bytes() == payload
    partial = [e for e in events if 0 < e.done < len(payload)]
    assert len(partial) >= 2, [e.done for e in events]
    assert all(e.speed > 0 for e in partial[1:])
    assert [e.done for e in partial] == sorted(e.done for e in partial)
