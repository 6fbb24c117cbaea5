"""Progress on the command line: a redrawn bar on a TTY, plain throttled lines otherwise."""

from __future__ import annotations

import io
import threading

from scene_picker.cli.progress_view import ProgressView, human_bytes
from scene_picker.core.progress import Progress


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def events(label: str, total: int | None, steps: int):
    for i in range(steps + 1):
        done = (total or 1000) * i // steps
        yield Progress(label, done, total, speed=2048.0, eta=(total - done) / 2048.0 if total else None)


def test_human_bytes():
    assert human_bytes(None) == "?"
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(5 * 1024**3) == "5.0 GiB"


def test_plain_lines_when_not_a_terminal_are_throttled_and_end_at_100_percent():
    stream = io.StringIO()
    view = ProgressView(stream)
    assert view.tty is False
    for event in events("a.zip", 100_000, 100):
        view(event)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "a.zip: 0% 0 B of 97.7 KiB"
    assert lines[-1] == "a.zip: 100% 97.7 KiB of 97.7 KiB"
    assert len(lines) == 5  # 0, 25, 50, 75, 100 %
    view(Progress("a.zip", 100_000, 100_000, 0.0, None))  # a repeated final event adds nothing
    assert len(stream.getvalue().splitlines()) == 5


def test_unknown_total_gets_one_line():
    stream = io.StringIO()
    view = ProgressView(stream, tty=False)
    for event in events("stream", None, 10):
        view(event)
    assert stream.getvalue().splitlines() == ["stream: 0 B of ?"]


def test_bar_on_a_terminal_redraws_one_line_and_closes_it():
    stream = FakeTty()
    view = ProgressView(stream)
    assert view.tty is True
    for event in events("b.tif", 4096, 4):
        view(event)
    text = stream.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and text.count("\n") == 1
    last = text.rsplit("\r", 1)[1]
    assert "[########################] 100%" in last and "4.0 KiB/4.0 KiB" in last and "b.tif" in last
    view.message("done")
    assert stream.getvalue().endswith("\ndone\n")


def test_message_breaks_an_open_bar_cleanly():
    stream = FakeTty()
    view = ProgressView(stream)
    view(Progress("c", 10, 100, 1.0, 90.0))
    assert "ETA 1:30" in stream.getvalue()
    view.message("warning")
    assert stream.getvalue().endswith("\nwarning\n")
    view.close()
    assert stream.getvalue().endswith("\nwarning\n")


def test_threads_reporting_at_once_do_not_interleave_lines():
    stream = io.StringIO()
    view = ProgressView(stream, tty=False, step=0.01)

    def report(label: str) -> None:
        for event in events(label, 10_000, 200):
            view(event)

    threads = [threading.Thread(target=report, args=(f"file{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    lines = stream.getvalue().splitlines()
    assert all(line.split(":", 1)[0] in {f"file{i}" for i in range(4)} for line in lines)
    assert sum(line.endswith("9.8 KiB of 9.8 KiB") for line in lines) == 4
