"""Showing :class:`~scene_picker.core.progress.Progress` events on a terminal: a redrawn bar on a TTY,
plain throttled lines otherwise (logs, pipes, CI), so scripts never see carriage returns.
"""

from __future__ import annotations

import sys
import threading
from typing import Optional, TextIO

from ..core.progress import Progress

_BAR_WIDTH = 24


def human_bytes(count: Optional[float]) -> str:
    """``1536`` → ``"1.5 KiB"``; ``None`` → ``"?"``."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns


def _eta(seconds: Optional[float]) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f" ETA {seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f" ETA {seconds // 3600}h"


class ProgressView:
    """A progress callback writing to ``stream`` (stderr by default).

    ``tty`` forces the mode (bar or lines); by default it follows ``stream.isatty()``. In line mode a
    label gets a line when it starts, at each further ``step`` of its fraction, and when it completes.
    Thread-safe: concurrent downloads report through one view.
    """

    def __init__(
        self, stream: Optional[TextIO] = None, tty: Optional[bool] = None, step: float = 0.25
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty()) if tty is None else tty
        self.step = step
        self._lock = threading.Lock()
        self._reported: dict[str, float] = {}
        self._bar_open = False

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            if self.tty:
                self._draw_bar(progress)
            else:
                self._maybe_line(progress)

    def message(self, text: str) -> None:
        """A line of text that does not break a bar being drawn."""
        with self._lock:
            self._end_bar()
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        with self._lock:
            self._end_bar()

    # -- internals
    def _draw_bar(self, progress: Progress) -> None:
        fraction = progress.fraction
        if fraction is None:
            bar = "?" * _BAR_WIDTH
            percent = "  ?%"
        else:
            filled = int(fraction * _BAR_WIDTH)
            bar = "#" * filled + "." * (_BAR_WIDTH - filled)
            percent = f"{fraction * 100:3.0f}%"
        label = progress.label if len(progress.label) <= 40 else "…" + progress.label[-39:]
        text = (
            f"\r[{bar}] {percent} {human_bytes(progress.done)}/{human_bytes(progress.total)} "
            f"{human_bytes(progress.speed)}/s{_eta(progress.eta)} {label}"
        )
        self.stream.write(text.ljust(100))
        self.stream.flush()
        self._bar_open = True
        if fraction is not None and fraction >= 1.0:
            self._end_bar()

    def _end_bar(self) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_open = False

    def _maybe_line(self, progress: Progress) -> None:
        fraction = progress.fraction
        last = self._reported.get(progress.label)
        if fraction is None:
            if last is not None:
                return
            current = 0.0
        else:
            current = fraction
            if last is not None and current < 1.0 and current - last < self.step:
                return
            if last is not None and last >= 1.0:
                return
        self._reported[progress.label] = current
        percent = "" if fraction is None else f" {fraction * 100:.0f}%"
        self.stream.write(
            f"{progress.label}:{percent} {human_bytes(progress.done)} of {human_bytes(progress.total)}\n"
        )
        self.stream.flush()
