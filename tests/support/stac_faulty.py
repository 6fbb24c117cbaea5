"""A loopback STAC API that misbehaves on purpose, for the fault tests of the STAC provider.

It serves a landing page and ``/search`` whose answer depends on :attr:`FaultyStac.mode`:

- ``ok``: a valid one-page ItemCollection (two items);
- ``html``: a 200 HTML error page; ``truncated``: JSON cut in the middle (consistent length);
- ``cut``: announces more bytes than it sends and closes the connection;
- ``no-features``: JSON without ``features``; ``not-object``: a JSON list; ``bad-item``: an item
  without ``id``; ``bad-geometry``: an unparsable geometry;
- ``context-list``: a valid page announcing no ``numberMatched`` and a ``context`` that is a list;
- ``loop``: a valid page whose ``next`` link points back to the same page, forever;
- ``post-405``: refuses POST with 405 (GET works and answers ``ok``);
- ``foreign-next``: a valid page whose ``next`` link names another host (``localhost`` instead of
  ``127.0.0.1``, same port), answering a second page there.

:attr:`FaultyStac.conformance` is what the landing page announces; POST bodies are kept in
:attr:`FaultyStac.bodies`. With :attr:`FaultyStac.required_token` set, requests to 127.0.0.1 need
``Authorization: Bearer <token>`` (else 401); the bearer tokens received are kept per host in
:attr:`FaultyStac.tokens_seen`.

Requests are logged (``server.log``) so tests can check which method was used.
"""

from __future__ import annotations

import json
from typing import Any

from .http_emulator import EmulatorHandler, EmulatorServer

ITEM = {
    "type": "Feature",
    "stac_version": "1.0.0",
    "id": "item-1",
    "collection": "c",
    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
    "bbox": [0, 0, 1, 1],
    "properties": {"datetime": "2023-05-01T10:00:00Z", "eo:cloud_cover": 5},
    "assets": {"data": {"href": "data/B01.tif", "roles": ["data"]}},
    "links": [{"rel": "self", "href": "http://example.invalid/collections/c/items/item-1"}],
}


DEFAULT_CONFORMANCE = (
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#query",
)


class _Handler(EmulatorHandler):
    def _authorised(self) -> bool:
        host = (self.headers.get("Host") or "").split(":")[0]
        token = self.bearer_token()
        self.emulator.tokens_seen.append((host, token))
        required = self.emulator.required_token
        if required is None or host != "127.0.0.1" or token == required:
            return True
        self.send_body(
            401, b'{"detail": "invalid token"}', "application/json", {"WWW-Authenticate": "Bearer"}
        )
        return False

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if not self._authorised():
            return
        path, query = self.split()
        if path == "/search" and query.get("page") == ["2"]:
            self.send_json(
                200, {"type": "FeatureCollection", "features": [dict(ITEM, id="item-2")], "links": []}
            )
            return
        if path in ("", "/"):
            self.send_json(200, self.emulator.landing(self.server.base_url))
        elif path == "/search":
            self.emulator.answer(self)
        else:
            self.send_json(404, {"code": "NotFound"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            self.emulator.bodies.append(json.loads(raw or b"null"))
        except ValueError:
            self.emulator.bodies.append(raw)
        if not self._authorised():
            return
        path, _ = self.split()
        if path != "/search":
            self.send_json(404, {"code": "NotFound"})
        elif self.emulator.mode == "post-405":
            self.send_json(405, {"detail": "Method Not Allowed"})
        else:
            self.emulator.answer(self)


def search_landing(base: str, catalog_id: str, description: str, conformance: Any) -> dict[str, Any]:
    """A STAC API landing page at ``base`` offering item search by GET and by POST."""
    return {
        "type": "Catalog",
        "id": catalog_id,
        "description": description,
        "stac_version": "1.0.0",
        "conformsTo": list(conformance),
        "links": [
            {"rel": "search", "href": f"{base}/search", "method": "GET"},
            {"rel": "search", "href": f"{base}/search", "method": "POST"},
        ],
    }


class FaultyStac:
    """Start with :meth:`start`; set :attr:`mode` before each request."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.required_token: str | None = None
        self.conformance = list(DEFAULT_CONFORMANCE)
        self.bodies: list[Any] = []
        self.tokens_seen: list[tuple[str, str | None]] = []
        self.server = EmulatorServer(_Handler, self)

    @property
    def url(self) -> str:
        return self.server.base_url

    def start(self) -> FaultyStac:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def landing(self, base: str) -> dict[str, Any]:
        return search_landing(base, "faulty", "misbehaving STAC API", self.conformance)

    def answer(self, handler: EmulatorHandler) -> None:
        mode = self.mode
        base = handler.server.base_url
        page = {"type": "FeatureCollection", "features": [ITEM], "links": [], "numberMatched": 1}
        if mode in ("ok", "post-405"):
            handler.send_json(200, page)
        elif mode == "html":
            handler.send_text(200, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif mode == "truncated":
            text = json.dumps(page)
            handler.send_body(200, text[: len(text) // 2].encode(), "application/geo+json")
        elif mode == "cut":
            body = json.dumps(page).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/geo+json")
            handler.send_header("Content-Length", str(len(body) * 2))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.close_connection = True
            handler.record(200, len(body))
        elif mode == "no-features":
            handler.send_json(200, {"type": "FeatureCollection", "links": []})
        elif mode == "not-object":
            handler.send_json(200, [ITEM])
        elif mode == "bad-item":
            handler.send_json(200, {**page, "features": [{"type": "Feature", "properties": {}}]})
        elif mode == "bad-geometry":
            broken = {**ITEM, "geometry": {"type": "Polygon", "coordinates": "nonsense"}}
            handler.send_json(200, {**page, "features": [broken]})
        elif mode == "foreign-next":
            port = handler.server.server_address[1]
            foreign = {"rel": "next", "href": f"http://localhost:{port}/search?page=2", "method": "GET"}
            handler.send_json(200, {**page, "links": [foreign]})
        elif mode == "context-list":
            handler.send_json(
                200, {**{k: v for k, v in page.items() if k != "numberMatched"}, "context": [{"matched": 1}]}
            )
        elif mode == "loop":
            handler.send_json(200, {**page, "links": [{"rel": "next", "href": f"{base}/search?token=same"}]})
        else:
            handler.send_json(500, {"detail": f"unknown mode {mode}"})
