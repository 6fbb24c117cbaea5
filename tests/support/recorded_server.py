"""Recorded answers of the real services, served on loopback as they were recorded.

The answers live under ``tests/fixtures/recorded/<provider>/`` (each folder's ``SOURCE.md`` names the
public repository, path and commit they come from). :class:`RecordedServer` answers each
``(method, path)`` it was given with the recorded bytes — the real host names inside them rewritten
to the loopback server, nothing else changed — and keeps every request it saw (method, path, query,
headers, body), so a test can check both what a provider makes of a real answer and that the
request it sent has the shape the real service expects.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .http_emulator import EmulatorHandler, EmulatorServer

RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


def recorded_text(provider: str, name: str) -> str:
    """The text of one recorded answer."""
    return (RECORDED / provider / name).read_text(encoding="utf-8")


def recorded_json(provider: str, name: str) -> Any:
    return json.loads(recorded_text(provider, name))


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(EmulatorHandler):
    def _answer(self) -> None:
        server: RecordedServer = self.emulator
        path, query = self.split()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server.remember(Seen(self.command, path, query, dict(self.headers.items()), body))
        answer = server.next_answer(self.command, path)
        if answer is None:
            self.send_json(404, {"error": f"nothing recorded for {self.command} {path}"})
            return
        self.send_body(answer.status, answer.body, answer.content_type, answer.headers)

    do_GET = _answer
    do_POST = _answer


class RecordedServer:
    """Serves recorded answers by ``(method, path)``, in the order given (the last one repeats)."""

    def __init__(self, hosts: tuple[str, ...] = ()) -> None:
        self._server = EmulatorServer(_Handler, self)
        #: Real base URLs (scheme + host [+ path prefix]) replaced by :attr:`url` in every answer.
        self.hosts = hosts
        self.seen: list[Seen] = []
        self._answers: dict[tuple[str, str], list[_Answer]] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._server.base_url

    def __enter__(self) -> RecordedServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def localise(self, text: str) -> str:
        """``text`` with the real hosts pointing at this server."""
        for host in self.hosts:
            text = text.replace(host, self.url)
        return text

    def add(
        self,
        method: str,
        path: str,
        body: Any,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer ``method path`` with ``body`` (recorded text, or an object dumped as JSON)."""
        text = body if isinstance(body, str) else json.dumps(body)
        answer = _Answer(status, self.localise(text).encode("utf-8"), content_type, dict(headers or {}))
        with self._lock:
            self._answers.setdefault((method, path), []).append(answer)

    def next_answer(self, method: str, path: str) -> _Answer | None:
        with self._lock:
            queue = self._answers.get((method, path))
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def remember(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and (path is None or s.path == path)
            ]
