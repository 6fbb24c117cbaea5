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
        self.server = EmulatorServer(_NdjsonHandler, self)
        #: Item ids whose data is served with one byte flipped (the checksum in the item then fails).
        self.corrupt: set[str] = set()
        self.items = items if items is not None else generate()[1]
        for item in self.items:  # the generated hrefs name no host: serve the assets from here
            for asset in item["assets"].values():
                asset["href"] = asset["href"].replace("https://data.invalid", self.server.base_url + "/data")
        self.body = "".join(json.dumps(item) + "\n" for item in self.items).encode("utf-8")

    def asset_bytes(self, path: str) -> bytes | None:
        """What ``/data/<collection>/<item>/<file>`` holds: the generated payload of the band (the one
        the item's ``file:checksum`` describes), small stand-ins for the others."""
        parts = path.split("/")
        if len(parts) != 5 or not any(i["id"] == parts[3] for i in self.items):
            return None
        item_id, name = parts[3], parts[4]
        if name != "B01.tif":
            return f"{item_id} {name}".encode()
        data = bytearray(f"{item_id} B01".encode())
        if item_id in self.corrupt:
            data[0] ^= 0xFF
        return bytes(data)

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
        if path == "/items.ndjson":
            self.serve_bytes(self.emulator.body, "application/x-ndjson")
            return
        data = self.emulator.asset_bytes(path) if path.startswith("/data/") else None
        if data is None:
            self.send_text(404, "not found")
            return
        self.serve_bytes(data)

    do_HEAD = do_GET  # noqa: N815
