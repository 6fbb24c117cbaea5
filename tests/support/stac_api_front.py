"""The real STAC API (stac-fastapi-pgstac, :mod:`support.stac_server`) seen through the emulator base, with
its items' assets on a file host: what the provider contract needs of a row.

uvicorn keeps no request log, so :class:`StacApiFront` relays every request to the API unchanged (the
``Host`` header too: the API names its ``next`` links after the front) and is an
:class:`~support.http_emulator.Emulator` like the others: it counts the requests, their arrival times
and how many were in flight at once. The API answers every one of them itself.
"""

from __future__ import annotations

import contextlib
import http.client
from typing import Any, Iterator
from urllib.parse import urlsplit

from .http_emulator import Emulator, EmulatorHandler, EmulatorServer
from .stac_files_emulator import StacFilesEmulator
from .stac_items import generate
from .stac_server import StacServer

#: Headers of one hop only (RFC 9110 7.6.1) and those ``send_body`` writes itself.
_NOT_RELAYED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "content-length", "content-type"}
)


class StacApiFront(Emulator):
    """``StacApiFront(api_url).start()``; ``url`` is the API root as the clients reach it."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.server = EmulatorServer(_Relay, self)
        self.servers = [self.server]

    @property
    def url(self) -> str:
        return self.base_url


class _Relay(EmulatorHandler):
    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_RELAYED - {"content-type"}}
        api = http.client.HTTPConnection(*self.emulator.upstream, timeout=60)
        try:
            api.request(self.command, self.path, body=body, headers=headers)
            answer = api.getresponse()
            data = answer.read()
        finally:
            api.close()
        kept = {k: v for k, v in answer.getheaders() if k.lower() not in _NOT_RELAYED}
        self.send_body(answer.status, data, answer.getheader("Content-Type") or "application/json", kept)

    do_GET = do_POST = do_HEAD = _relay  # noqa: N815 - http.server API


@contextlib.contextmanager
def stac_api_with_assets(count: int = 15) -> Iterator[tuple[StacApiFront, StacFilesEmulator, StacServer]]:
    """A running STAC API holding ``count`` generated items (one collection, cloud cover, ``file:size``
    and ``file:checksum`` on band B01) whose assets the file host serves; the API behind its front."""
    collections, items = generate({"contract-s2": (count, True, "sentinel-2a")})
    with StacFilesEmulator(items) as files:  # points the items' hrefs at itself
        api = StacServer(collections={})
        api.collections, api.items = collections, files.items
        with api, StacApiFront(api.url) as front:
            yield front, files, api


def reset(*emulators: Any) -> None:
    """Forget what earlier tests did to shared emulators: logs, holds, corrupted assets."""
    for emulator in emulators:
        emulator.clear_logs()
        for server in emulator.servers:
            server.hold = 0.0
        getattr(emulator, "corrupt", set()).clear()
