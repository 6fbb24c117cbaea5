"""A static file host serving STAC items as NDJSON (``/items.ndjson``), built from the generated test
items of :mod:`support.stac_items` (the layout of pgstac's ``pypgstac load items`` input files)."""

from __future__ import annotations

import json
from typing import Any

from .http_emulator import EmulatorHandler, EmulatorServer
from .stac_items import generate


class NdjsonEmulator:
    """``with NdjsonEmulator() as emulator:`` … ``emulator.url`` (the file), ``emulator.items``."""

    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        self.items = items if items is not None else generate()[1]
        self.body = "".join(json.dumps(item) + "\n" for item in self.items).encode("utf-8")
        self.server = EmulatorServer(_NdjsonHandler, self)

    @property
    def url(self) -> str:
        return self.server.base_url + "/items.ndjson"

    def __enter__(self) -> NdjsonEmulator:
        self.server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()


class _NdjsonHandler(EmulatorHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path, _ = self.split()
        if path != "/items.ndjson":
            self.send_text(404, "not found")
            return
        self.serve_bytes(self.emulator.body, "application/x-ndjson")

    do_HEAD = do_GET  # noqa: N815
