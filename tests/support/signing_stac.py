"""A loopback STAC API whose items link pre-signed asset URLs, like catalogs that sign their links per
request (a signature in the query string that the queue must never keep): a scene of it is queued by
provider and id and looked up again when its job runs, so that lookup shows the provider options the
job was built with.

- ``GET /``: a landing page advertising item search by GET and by POST (the STAC provider's default
  ``method=auto`` then searches by POST; ``method=GET`` by GET).
- ``GET /search?ids=A,B`` and ``POST /search {"ids": [...]}``: the items with those ids (every item, on
  one page, without ``ids``: a search).
- The asset files (``files``: name → bytes) are served by a
  :class:`~support.counting_server.CountingServer` (``asset_server``: ranges, and ``asset_server.gate(name,
  after)`` to hold the first transfer of a file after ``after`` bytes), at links signed with
  ``?X-Amz-Signature=`` :attr:`SigningStac.signature`.

The API's requests are logged in ``server.log`` (method, path, query): tests read which method the
provider searched with; :meth:`SigningStac.downloads` says which ranges the downloads asked for.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from .counting_server import CountingServer, Request
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, LoggedRequest
from .stac_faulty import DEFAULT_CONFORMANCE, search_landing


class SigningStac(Emulator):
    """``SigningStac({item id: {file name: bytes}})``; start with ``with`` or :meth:`start`."""

    def __init__(self, items: dict[str, dict[str, bytes]]) -> None:
        self.items = items
        self.files = {name: data for files in items.values() for name, data in files.items()}
        self.asset_server = CountingServer(self.files)
        #: The signature every asset link carries (never to be found in a queue database).
        self.signature = f"SIG{secrets.token_hex(12)}"
        self.server = EmulatorServer(_Handler, self)
        self.servers = [self.server]

    def start(self) -> SigningStac:
        self.asset_server.__enter__()
        return super().start()

    def close(self) -> None:
        super().close()
        self.asset_server.__exit__(None, None, None)

    def clear_logs(self) -> None:
        super().clear_logs()
        self.asset_server.reset()

    def searches(self) -> list[LoggedRequest]:
        """The item searches served (``GET`` or ``POST /search``), oldest first."""
        return self.server.requests_matching(lambda r: r.path == "/search")

    def downloads(self, name: str) -> list[Request]:
        return [r for r in self.asset_server.requests if r.path == name]

    def item(self, item_id: str) -> dict[str, Any]:
        index = sorted(self.items).index(item_id)
        ring = [[index, 0], [index + 1, 0], [index + 1, 1], [index, 1], [index, 0]]
        assets = {
            name.rsplit(".", 1)[0]: {
                "href": f"{self.asset_server.base_url}/{name}?X-Amz-Signature={self.signature}",
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


class _Handler(EmulatorHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path, query = self.split()
        if path in ("", "/"):
            landing = search_landing(
                self.server.base_url, "signing", "pre-signed links", DEFAULT_CONFORMANCE[:2]
            )
            self.send_json(200, landing)
        elif path == "/search":
            ids = [i for value in query.get("ids", []) for i in value.split(",") if i]
            self._items(ids if "ids" in query else None)
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
        wanted = sorted(self.emulator.items) if ids is None else ids
        features = [self.emulator.item(i) for i in wanted if i in self.emulator.items]
        page = {
            "type": "FeatureCollection",
            "features": features,
            "links": [],
            "numberMatched": len(features),
        }
        self.send_json(200, page, "application/geo+json")
