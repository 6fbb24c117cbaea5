"""A loopback STAC API whose items link pre-signed asset URLs, like catalogs that sign their links per
request (a signature in the query string that the queue must never keep): a scene of it is queued by
provider and id and looked up again when its job runs, so that lookup shows the provider options the
job was built with.

- ``GET /``: a landing page advertising item search by GET and by POST (the STAC provider's default
  ``method=auto`` then searches by POST; ``method=GET`` by GET).
- ``GET /search?ids=A,B`` and ``POST /search {"ids": [...]}``: the items with those ids (every item, on
  one page, without ``ids``: a search).
- ``GET /files/NAME?X-Amz-Signature=SIG``: the file, with single-range support (RFC 9110); 403 without
  the emulator's signature. ``gate(name, after)`` makes the first GET of ``name`` send ``after`` bytes
  and then wait until :meth:`release` (``gated`` is set once those bytes are out).

Every request is logged in ``server.log`` (method, path, query, range): tests read which method the
provider searched with and the range a resumed download asked for.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, LoggedRequest


class SigningStac(Emulator):
    """``SigningStac({item id: {file name: bytes}})``; start with ``with`` or :meth:`start`."""

    def __init__(self, items: dict[str, dict[str, bytes]]) -> None:
        self.items = items
        self.files = {name: data for files in items.values() for name, data in files.items()}
        #: The signature every asset link carries (never to be found in a queue database).
        self.signature = f"SIG{secrets.token_hex(12)}"
        self.gated = threading.Event()
        self._gate: tuple[str, int] | None = None
        self._open = threading.Event()
        self.server = EmulatorServer(_Handler, self)
        self.servers = [self.server]

    def close(self) -> None:
        self._open.set()  # a held transfer ends before the server stops
        super().close()

    def gate(self, name: str, after: int) -> None:
        self._gate = (name, after)
        self.gated.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def searches(self) -> list[LoggedRequest]:
        """The item searches served (``GET`` or ``POST /search``), oldest first."""
        return self.server.requests_matching(lambda r: r.path == "/search")

    def downloads(self, name: str) -> list[LoggedRequest]:
        return self.server.requests_matching(lambda r: r.path == f"/files/{name}")

    def item(self, item_id: str, base: str) -> dict[str, Any]:
        index = sorted(self.items).index(item_id)
        ring = [[index, 0], [index + 1, 0], [index + 1, 1], [index, 1], [index, 0]]
        assets = {
            name.rsplit(".", 1)[0]: {
                "href": f"{base}/files/{name}?X-Amz-Signature={self.signature}",
                "roles": ["data"],
                "type": "application/octet-stream",
                "file:size": len(data),
            }
            for name, data in self.items[item_id].items()
        }
        return {
            "type": "Feature",
            "stac_version": "1.0.0",
            "id": item_id,
            "collection": "signed",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "bbox": [index, 0, index + 1, 1],
            "properties": {"datetime": "2024-05-01T10:00:00Z"},
            "assets": assets,
            "links": [],
        }

    def landing(self, base: str) -> dict[str, Any]:
        return {
            "type": "Catalog",
            "id": "signing",
            "description": "a STAC API with pre-signed asset links",
            "stac_version": "1.0.0",
            "conformsTo": [
                "https://api.stacspec.org/v1.0.0/core",
                "https://api.stacspec.org/v1.0.0/item-search",
            ],
            "links": [
                {"rel": "search", "href": f"{base}/search", "method": "GET"},
                {"rel": "search", "href": f"{base}/search", "method": "POST"},
            ],
        }


class _Handler(EmulatorHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path, query = self.split()
        base = self.server.base_url
        if path in ("", "/"):
            self.send_json(200, self.emulator.landing(base))
        elif path == "/search":
            ids = [i for value in query.get("ids", []) for i in value.split(",") if i]
            self._items(ids if "ids" in query else None)
        elif path.startswith("/files/"):
            self._file(path[len("/files/") :], query)
        else:
            self.send_json(404, {"code": "NotFound"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.split()[0] != "/search":
            self.send_json(404, {"code": "NotFound"})
            return
        self._items([str(i) for i in body["ids"]] if "ids" in body else None)

    def _items(self, ids: list[str] | None) -> None:
        base = self.server.base_url
        wanted = sorted(self.emulator.items) if ids is None else ids
        features = [self.emulator.item(i, base) for i in wanted if i in self.emulator.items]
        page = {
            "type": "FeatureCollection",
            "features": features,
            "links": [],
            "numberMatched": len(features),
        }
        self.send_json(200, page, "application/geo+json")

    def _file(self, name: str, query: dict[str, list[str]]) -> None:
        emulator = self.emulator
        data = emulator.files.get(name)
        if data is None:
            self.send_json(404, {"code": "NotFound"})
        elif query.get("X-Amz-Signature") != [emulator.signature]:
            self.send_json(403, {"code": "SignatureDoesNotMatch"})
        elif emulator._gate and emulator._gate[0] == name and not emulator.gated.is_set():
            after = emulator._gate[1]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            self.record(200, after)
            self._write_quietly(data[:after])
            emulator.gated.set()
            emulator._open.wait(60)  # bounded: the client is killed, or the test releases the gate
            self._write_quietly(data[after:])
        else:
            self.serve_bytes(data)
