"""A static file host for the file-based STAC providers, built from the generated test items of
:mod:`support.stac_items`: the items as NDJSON (``/items.ndjson``, the layout of pgstac's
``pypgstac load items`` input), the same items as a static catalog (``/static/catalog.json``), and their
assets (``/data/…``; the band ``B01`` holds the payload its ``file:checksum`` describes)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, spoil
from .stac_items import generate, write_static_catalog


class StacFilesEmulator(Emulator):
    """``with StacFilesEmulator() as emulator:`` … ``emulator.ndjson_url``, ``emulator.catalog_url``."""

    def __init__(self, items: list[dict[str, Any]] | None = None) -> None:
        self.server = EmulatorServer(_StacFilesHandler, self)
        self.servers = [self.server]
        #: Item ids whose B01 is served with one byte flipped (the checksum in the item then fails).
        self.corrupt: set[str] = set()
        collections, generated = generate()
        self.items = items if items is not None else generated
        for item in self.items:  # the generated hrefs name no host: serve the assets from here
            for asset in item["assets"].values():
                asset["href"] = asset["href"].replace("https://data.invalid", self.server.base_url + "/data")
        self.body = "".join(json.dumps(item) + "\n" for item in self.items).encode("utf-8")
        self.root = Path(tempfile.mkdtemp(prefix="stac-files-"))
        write_static_catalog(self.root, collections, self.items)

    @property
    def ndjson_url(self) -> str:
        return self.url_for("/items.ndjson")

    @property
    def catalog_url(self) -> str:
        return self.url_for("/static/catalog.json")

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.root, ignore_errors=True)

    def file_bytes(self, path: str) -> bytes | None:
        """What ``path`` holds: a static catalog file, or an asset under ``/data/<collection>/<item>/``."""
        parts = path.strip("/").split("/")
        if parts[0] == "static" and ".." not in parts:
            file = self.root.joinpath(*parts[1:])
            if not file.is_file():
                return None
            data = file.read_bytes()
            item_id = parts[-2] if len(parts) > 2 else ""
        elif parts[0] == "data" and len(parts) == 4 and any(i["id"] == parts[2] for i in self.items):
            item_id, name = parts[2], parts[3]
            data = f"{item_id} {name.split('.')[0]}".encode()
        else:
            return None
        return spoil(data, "corrupt" if path.endswith("/B01.tif") and item_id in self.corrupt else None)


class _StacFilesHandler(EmulatorHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path, _ = self.split()
        data = self.emulator.body if path == "/items.ndjson" else self.emulator.file_bytes(path)
        if data is None:
            self.send_text(404, "not found")
            return
        self.serve_bytes(data, "application/json" if path.endswith("json") else "application/octet-stream")

    do_HEAD = do_GET  # noqa: N815
