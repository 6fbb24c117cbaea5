"""An emulator of the Copernicus Data Space Ecosystem (CDSE) catalogue, identity and download services.

Written from CDSE's public documentation (documentation.dataspace.copernicus.eu: "APIs/OData",
"APIs/Token", "Quotas", "FAQ", and the catalogue release notes) to run on loopback in the tests:

* **Catalogue** (``catalogue_url`` = ``http://127.0.0.1:P1/odata/v1``): ``GET Products`` with ``$filter``
  (see :mod:`cdse_odata_filter`), ``$orderby`` (``ContentDate/Start``, ``ContentDate/End``,
  ``PublicationDate``, ``ModificationDate``; ``asc``/``desc``; ties broken by ``Id`` as documented),
  ``$top`` (default 20, ``0..1000``), ``$skip`` (``0..skip_cap``, 10 000 on the service), ``$count``
  (``True, true, 1, False, false, 0``) and ``$expand`` (``Attributes``, ``Assets``, ``Locations``).
  ``@odata.nextLink`` is left out when the next ``$skip`` would pass the cap, as the release notes
  describe. Out-of-range ``$top``/``$skip`` answer 422 with the documented pydantic ``detail`` list;
  an invalid ``$filter``, ``$orderby``, ``$expand`` or unknown ``$`` option answers 400 with the
  catalogue's documented error object ``{"detail": {"ErrorMessage", "ErrorCode", "ErrorDetail",
  "RequestID"}}``. ``GET Products(<Id>)`` gives one product; ``GET Products(<Id>)/$value`` redirects
  (301) to the download service.
* **Identity** (``token_url``, Keycloak realm ``CDSE``): ``grant_type=password`` with client
  ``cdse-public`` and ``grant_type=refresh_token``; answers like Keycloak (``access_token``,
  ``expires_in``, ``refresh_token``, ``refresh_expires_in``, …; errors ``invalid_grant`` /
  ``invalid_client`` / ``unsupported_grant_type``). Lifetimes are configurable (seconds).
* **Download** (``zipper_url`` = ``http://127.0.0.1:P2/odata/v1``): ``GET|HEAD Products(<Id>)/$value``
  needs ``Authorization: Bearer``; 401 ``{"detail": "Expired signature!"}`` for an expired token. Each
  accepted request opens a session of the account; a 5th concurrent one is refused with 429
  ``Max session number 4 exceeded.`` (FAQ). The bytes are then served by redirect (302) to a
  presigned-style URL on a *different* loopback host (``storage_url`` = ``http://localhost:P3``), which
  serves ``Range`` requests, refuses any ``Authorization`` header like S3 does with presigned URLs, and
  records every request (headers, ranges, bytes sent). A presigned URL stays valid ``presigned_ttl``
  seconds (``X-Amz-Expires``); each request to it counts as a session of the account. With
  ``redirect_downloads=False`` the download service streams the bytes itself.

Faults are injected per service with :meth:`CdseEmulator.inject_fault` (status storms, malformed
bodies, connections cut after N bytes); the ids in :attr:`CdseEmulator.corrupt` are served with bytes
flipped (same length: only the catalogue's MD5 ``Checksum`` tells). Tokens can be expired on demand.
The three services are servers of the emulator base (:mod:`support.http_emulator`: ``start()`` /
``close()`` or ``with``), on threads of one process and ephemeral ports.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from .cdse_groundtruth import Product, generate_products, product_json
from .cdse_odata_filter import ODataFilterError, compile_filter
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, parse_range, spoil

REALM_PATH = "/auth/realms/CDSE/protocol/openid-connect/token"
CLIENT_ID = "cdse-public"
_ORDERABLE = {
    "ContentDate/Start": lambda p: p.start,
    "ContentDate/End": lambda p: p.end,
    "PublicationDate": lambda p: p.publication,
    "ModificationDate": lambda p: p.modification,
}
_EXPANDABLE = ("Attributes", "Assets", "Locations")
_KNOWN_OPTIONS = {"$filter", "$orderby", "$top", "$skip", "$count", "$expand"}
_PRODUCT_PATH = re.compile(r"^/odata/v1/Products\(([0-9a-fA-F-]{36})\)(/\$value)?$")


@dataclass
class RequestRecord:
    """One request as a service saw it."""

    service: str
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    bytes_sent: int = 0
    account: str | None = None

    @property
    def authorization(self) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == "authorization":
                return value
        return None

    @property
    def range(self) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == "range":
                return value
        return None


@dataclass
class Fault:
    """A scripted misbehaviour of one service for the next ``count`` matching requests."""

    service: str
    count: int = 1
    status: int | None = 503
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str | None = None
    cut_after: int | None = None  # serve normally but drop the connection after N body bytes
    then: Callable[[], None] | None = None  # run when the fault fires (e.g. expire tokens mid-download)


@dataclass
class _Token:
    username: str
    kind: str  # access | refresh
    expires: float


@dataclass
class _Session:
    account: str
    product_id: str
    opened: float
    started: bool = False
    closed: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Server(EmulatorServer):
    """One CDSE service: ``service`` names the ``_handle_<service>`` method of the emulator."""

    allow_reuse_address = True

    def __init__(self, emulator: CdseEmulator, service: str, host_name: str) -> None:
        super().__init__(_Handler, emulator, host_name)
        self.service = service


class _Handler(EmulatorHandler):
    server: _Server

    # -- plumbing ---------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        emulator = self.server.emulator
        entry = RequestRecord(self.server.service, self.command, self.path, dict(self.headers.items()))
        self.entry = entry
        emulator._log(entry)
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        fault = emulator._take_fault(self.server.service, self.path)
        self.fault = fault
        if fault is not None and fault.status is not None and fault.cut_after is None:
            body = fault.body if fault.body is not None else b'{"detail": "Service Unavailable"}'
            self.send_raw(fault.status, body, fault.content_type, fault.headers)
            return
        handler = getattr(emulator, f"_handle_{self.server.service}")
        handler(self)

    do_GET = do_HEAD = do_POST = _dispatch  # noqa: N815 - http.server API

    def send_raw(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.entry.bytes_sent += len(body)
        self.entry.status = status

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def redirect(self, status: int, location: str) -> None:
        self.send_raw(status, b"", "text/plain", {"Location": location})


class CdseEmulator(Emulator):
    """Catalogue + identity + download services of CDSE on loopback (see the module docstring)."""

    def __init__(
        self,
        products: Iterable[Product] | None = None,
        *,
        accounts: dict[str, str] | None = None,
        access_ttl: float = 600.0,
        refresh_ttl: float = 3600.0,
        top_max: int = 1000,
        skip_cap: int = 10000,
        max_sessions: int = 4,
        redirect_downloads: bool = True,
        storage_bytes_per_second: float | None = None,
        session_idle_timeout: float = 30.0,
        presigned_ttl: float = 600.0,
    ) -> None:
        self.products: list[Product] = list(products) if products is not None else generate_products()
        self.by_id: dict[str, Product] = {p.id: p for p in self.products}
        self.accounts: dict[str, str] = dict(accounts or {})
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.top_max = top_max
        self.skip_cap = skip_cap
        self.max_sessions = max_sessions
        self.redirect_downloads = redirect_downloads
        self.storage_bytes_per_second = storage_bytes_per_second
        self.session_idle_timeout = session_idle_timeout
        self.presigned_ttl = presigned_ttl
        self.records: list[RequestRecord] = []
        #: Ids of products whose zip is served with bytes flipped (same length; the MD5 then differs).
        self.corrupt: set[str] = set()
        self.token_events: list[tuple[str, str | None, str]] = []  # (grant_type, username, outcome)
        self.refused_sessions: dict[str, int] = {}
        self.max_concurrent: dict[str, int] = {}
        self._faults: list[Fault] = []
        self._json_cache: dict[tuple[str, tuple[str, ...]], bytes] = {}
        self._tokens: dict[str, _Token] = {}
        self._sessions: dict[str, _Session] = {}
        self._refresh_failures = 0
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        self._servers = {
            "catalogue": _Server(self, "catalogue", "127.0.0.1"),
            "zipper": _Server(self, "zipper", "127.0.0.1"),
            "storage": _Server(self, "storage", "localhost"),
        }
        self.servers = list(self._servers.values())

    # -- addresses --------------------------------------------------------------------------------
    @property
    def catalogue_url(self) -> str:
        return self._servers["catalogue"].base_url + "/odata/v1"

    @property
    def token_url(self) -> str:
        return self._servers["catalogue"].base_url + REALM_PATH

    @property
    def zipper_url(self) -> str:
        return self._servers["zipper"].base_url + "/odata/v1"

    @property
    def storage_url(self) -> str:
        return self._servers["storage"].base_url

    @property
    def cdse_hosts(self) -> tuple[str, ...]:
        """Host names of the services that must receive the bearer token (never the storage host)."""
        return ("127.0.0.1",)

    # -- scripted behaviour -----------------------------------------------------------------------
    def add_account(self, username: str, password: str) -> None:
        self.accounts[username] = password

    def inject_fault(self, service: str, **kwargs: Any) -> Fault:
        """Misbehave on ``service`` (catalogue, token, zipper, storage) for the next matching requests."""
        if service not in ("catalogue", "token", "zipper", "storage"):
            raise ValueError(f"unknown service {service!r}")
        fault = Fault(service=service, **kwargs)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far expired (as if its lifetime had passed)."""
        with self._lock:
            for token in self._tokens.values():
                if token.kind == "access":
                    token.expires = 0.0

    def expire_refresh_tokens(self) -> None:
        """Make every refresh token issued so far expired (Keycloak: ``Token is not active``)."""
        with self._lock:
            for token in self._tokens.values():
                if token.kind == "refresh":
                    token.expires = 0.0

    def fail_next_refreshes(self, count: int = 1) -> None:
        """Refuse the next ``count`` refresh-token grants (``invalid_grant``), whatever the token."""
        with self._lock:
            self._refresh_failures += count

    # -- observations -----------------------------------------------------------------------------
    def served(self) -> int:
        """Requests answered by all the services (its own log: :class:`RequestRecord` keeps headers)."""
        return len(self.records)

    def clear_logs(self) -> None:
        super().clear_logs()
        with self._lock:
            self.records.clear()

    def requests_to(self, service: str) -> list[RequestRecord]:
        return [r for r in list(self.records) if r.service == service]

    def grants(self, grant_type: str, outcome: str = "ok", username: str | None = None) -> int:
        return sum(
            1
            for g, u, o in list(self.token_events)
            if g == grant_type and o == outcome and (username is None or u == username)
        )

    def open_sessions(self, account: str) -> int:
        with self._lock:
            return self._open_sessions_locked(account)

    def _log(self, record: RequestRecord) -> None:
        with self._lock:
            self.records.append(record)

    def _take_fault(self, service: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.service != service or fault.count <= 0:
                    continue
                if fault.path_contains and fault.path_contains not in unquote(path):
                    continue
                fault.count -= 1
                break
            else:
                return None
        if fault.then is not None:
            fault.then()
        return fault

    # -- catalogue --------------------------------------------------------------------------------
    def _handle_catalogue(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        if parts.path == REALM_PATH:
            self._handle_token(h)
            return
        if h.command != "GET":
            h.send_json(405, {"detail": "Method Not Allowed"})
            return
        if parts.path == "/odata/v1/Products":
            self._search(h, parts.query)
            return
        match = _PRODUCT_PATH.match(unquote(parts.path))
        if match:
            product = self.by_id.get(match.group(1).lower())
            if product is None:
                self._catalogue_error(h, 404, "Not Found.", ["Id"], f"Product '{match.group(1)}' not found.")
            elif match.group(2):
                location = self.zipper_url + f"/Products({product.id})/$value"
                h.redirect(301, location + (f"?{parts.query}" if parts.query else ""))
            else:
                params = dict(parse_qsl(parts.query))
                expand = tuple(x.strip() for x in params.get("$expand", "").split(",") if x.strip())
                item = product_json(product, expand=expand)
                h.send_json(200, {"@odata.context": "$metadata#Products/$entity", **item})
            return
        h.send_json(404, {"detail": "Not Found"})

    def _catalogue_error(self, h: _Handler, status: int, message: str, loc: list[str], msg: str) -> None:
        h.send_json(
            status,
            {
                "detail": {
                    "ErrorMessage": message,
                    "ErrorCode": status,
                    "ErrorDetail": [{"loc": loc, "msg": msg}],
                    "RequestID": str(uuid.uuid4()),
                }
            },
        )

    @staticmethod
    def _validation_error(
        h: _Handler, option: str, kind: str, msg: str, value: str, ctx: dict | None
    ) -> None:
        detail: dict[str, Any] = {"type": kind, "loc": ["query", option], "msg": msg, "input": value}
        if ctx is not None:
            detail["ctx"] = ctx
        h.send_json(422, {"detail": [detail]})

    def _int_option(
        self, h: _Handler, params: dict[str, str], option: str, default: int, high: int
    ) -> int | None:
        raw = params.get(option)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self._validation_error(
                h,
                option,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
                raw,
                None,
            )
            return None
        if value < 0:
            self._validation_error(
                h, option, "greater_than_equal", "Input should be greater than or equal to 0", raw, {"ge": 0}
            )
            return None
        if value > high:
            self._validation_error(
                h,
                option,
                "less_than_equal",
                f"Input should be less than or equal to {high}",
                raw,
                {"le": high},
            )
            return None
        return value

    def _search(self, h: _Handler, query: str) -> None:
        pairs = parse_qsl(query, keep_blank_values=True)
        unknown = sorted({k for k, _ in pairs if k.startswith("$") and k not in _KNOWN_OPTIONS})
        if unknown:
            self._catalogue_error(
                h, 400, "Unknown query parameter(s).", unknown, "Query parameters do not exist."
            )
            return
        params = {k: v for k, v in pairs if k != "$expand"}
        expand: list[str] = []
        for key, value in pairs:
            if key == "$expand":
                expand += [x.strip() for x in value.split(",") if x.strip()]
        bad = [x for x in expand if x not in _EXPANDABLE]
        if bad:
            self._catalogue_error(
                h, 400, "Validation error.", ["$expand"], f"Invalid expand option(s): {bad}"
            )
            return
        top = self._int_option(h, params, "$top", 20, self.top_max)
        if top is None:
            return
        skip = self._int_option(h, params, "$skip", 0, self.skip_cap)
        if skip is None:
            return
        count_raw = params.get("$count")
        if count_raw is not None and count_raw not in ("True", "true", "1", "False", "false", "0"):
            self._validation_error(
                h,
                "$count",
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
                count_raw,
                None,
            )
            return
        want_count = count_raw in ("True", "true", "1")
        try:
            predicate = compile_filter(params["$filter"]) if params.get("$filter") else (lambda p: True)
            order = self._parse_orderby(params.get("$orderby"))
        except ODataFilterError as exc:
            self._catalogue_error(h, 400, "Invalid filter.", ["$filter"], str(exc))
            return
        matches = [p for p in self.products if predicate(p)]
        if order is not None:
            key, descending = order
            matches.sort(key=lambda p: (key(p), p.id), reverse=descending)
        page = matches[skip : skip + top]
        context = "$metadata#Products" + (f"({','.join(f'{x}()' for x in expand)})" if expand else "")
        body: dict[str, Any] = {"@odata.context": context}
        if want_count:
            body["@odata.count"] = len(matches)
        value = b"[" + b",".join(self._product_bytes(p, tuple(expand)) for p in page) + b"]"
        next_skip = skip + top
        if top > 0 and next_skip < len(matches) and next_skip <= self.skip_cap:
            next_pairs = [(k, v) for k, v in pairs if k != "$skip"] + [("$skip", str(next_skip))]
            body["@odata.nextLink"] = (
                self.catalogue_url + "/Products?" + urlencode(next_pairs, quote_via=quote)
            )
        # {"@odata.context": …, "@odata.count": …, "value": […], "@odata.nextLink": …} in this order
        head = json.dumps({k: v for k, v in body.items() if k != "@odata.nextLink"})[:-1].encode()
        tail = b"}"
        if "@odata.nextLink" in body:
            tail = b', "@odata.nextLink": ' + json.dumps(body["@odata.nextLink"]).encode() + b"}"
        h.send_raw(200, head + b', "value": ' + value + tail)

    def _product_bytes(self, product: Product, expand: tuple[str, ...]) -> bytes:
        """A product's JSON, serialised once per ``$expand`` choice (searches repeat them a lot)."""
        key = (product.id, expand)
        cached = self._json_cache.get(key)
        if cached is None:
            cached = self._json_cache[key] = json.dumps(product_json(product, expand=expand)).encode()
        return cached

    @staticmethod
    def _parse_orderby(text: str | None) -> tuple[Callable[[Product], Any], bool] | None:
        if not text:
            return None
        words = text.split()
        if not words or len(words) > 2 or words[0] not in _ORDERABLE:
            raise ODataFilterError(f"Invalid orderby option: {text!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise ODataFilterError(f"Invalid orderby direction: {words[1]!r}")
        return _ORDERABLE[words[0]], direction == "desc"

    # -- identity ---------------------------------------------------------------------------------
    def _issue(self, username: str) -> dict[str, Any]:
        now = time.monotonic()
        wall = int(time.time())
        session_state = str(uuid.uuid4())

        def jwt(kind: str, ttl: float) -> str:
            header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            claims = {
                "exp": wall + int(ttl),
                "iat": wall,
                "jti": str(uuid.uuid4()),
                "iss": self.token_url.rsplit("/protocol", 1)[0],
                "sub": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
                "typ": "Bearer" if kind == "access" else "Refresh",
                "azp": CLIENT_ID,
                "session_state": session_state,
                "preferred_username": username,
            }
            payload = _b64(json.dumps(claims).encode())
            signature = _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
            token = f"{header}.{payload}.{signature}"
            self._tokens[token] = _Token(username, kind, now + ttl)
            return token

        with self._lock:
            access = jwt("access", self.access_ttl)
            refresh = jwt("refresh", self.refresh_ttl)
        return {
            "access_token": access,
            "expires_in": int(self.access_ttl),
            "refresh_expires_in": int(self.refresh_ttl),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session_state,
            "scope": "AUDIENCE_PUBLIC openid email profile ondemand_processing user-context",
        }

    def _handle_token(self, h: _Handler) -> None:
        if h.command != "POST":
            h.send_json(405, {"error": "HTTP 405 Method Not Allowed"})
            return
        form = dict(parse_qsl(h.body.decode("utf-8", "replace")))
        grant = form.get("grant_type", "")
        if form.get("client_id") != CLIENT_ID:
            self.token_events.append((grant, form.get("username"), "invalid_client"))
            h.send_json(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "Invalid client or Invalid client credentials",
                },
            )
            return
        if grant == "password":
            username = form.get("username", "")
            if username in self.accounts and hmac.compare_digest(
                self.accounts[username], form.get("password", "")
            ):
                self.token_events.append((grant, username, "ok"))
                h.send_json(200, self._issue(username))
            else:
                self.token_events.append((grant, username, "invalid_grant"))
                h.send_json(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
            return
        if grant == "refresh_token":
            with self._lock:
                token = self._tokens.get(form.get("refresh_token", ""))
                forced = self._refresh_failures > 0
                if forced:
                    self._refresh_failures -= 1
                active = token is not None and token.kind == "refresh" and token.expires > time.monotonic()
            username = token.username if token is not None else None
            if forced or not active:
                self.token_events.append((grant, username, "invalid_grant"))
                h.send_json(400, {"error": "invalid_grant", "error_description": "Token is not active"})
                return
            self.token_events.append((grant, username, "ok"))
            h.send_json(200, self._issue(username))
            return
        self.token_events.append((grant, form.get("username"), "unsupported_grant_type"))
        h.send_json(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})

    def _account_for(self, h: _Handler) -> str | None:
        """The account of the request's bearer token, or ``None`` after answering 401."""
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            h.send_json(401, {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"})
            return None
        with self._lock:
            token = self._tokens.get(auth[7:].strip())
        if token is None or token.kind != "access":
            h.send_json(401, {"detail": "Could not validate credentials"}, {"WWW-Authenticate": "Bearer"})
            return None
        if token.expires <= time.monotonic():
            h.send_json(401, {"detail": "Expired signature!"}, {"WWW-Authenticate": "Bearer"})
            return None
        return token.username

    # -- download sessions ------------------------------------------------------------------------
    def _open_sessions_locked(self, account: str) -> int:
        now = time.monotonic()
        count = 0
        for session in self._sessions.values():
            if session.account != account or session.closed:
                continue
            if not session.started and now - session.opened > self.session_idle_timeout:
                session.closed = True
                continue
            count += 1
        return count

    def _open_session(self, account: str, product_id: str) -> str | None:
        with self._lock:
            if self._open_sessions_locked(account) >= self.max_sessions:
                self.refused_sessions[account] = self.refused_sessions.get(account, 0) + 1
                return None
            key = secrets.token_hex(16)
            self._sessions[key] = _Session(account, product_id, time.monotonic())
            current = self._open_sessions_locked(account)
            self.max_concurrent[account] = max(self.max_concurrent.get(account, 0), current)
            return key

    def _close_session(self, key: str) -> None:
        with self._lock:
            session = self._sessions.get(key)
            if session is not None:
                session.closed = True

    # -- download service -------------------------------------------------------------------------
    def _handle_zipper(self, h: _Handler) -> None:
        if h.command not in ("GET", "HEAD"):
            h.send_json(405, {"detail": "Method Not Allowed"})
            return
        match = _PRODUCT_PATH.match(unquote(urlsplit(h.path).path))
        if not match or not match.group(2):
            h.send_json(404, {"detail": "Not Found"})
            return
        account = self._account_for(h)
        if account is None:
            return
        h.entry.account = account
        product = self.by_id.get(match.group(1).lower())
        if product is None:
            h.send_json(404, {"detail": f"Product {match.group(1)} not found"})
            return
        if not product.online:
            h.send_json(422, {"detail": "Product is offline. Please order it first."})
            return
        key = self._open_session(account, product.id)
        if key is None:
            h.send_json(429, {"detail": f"Max session number {self.max_sessions} exceeded."})
            return
        if self.redirect_downloads:
            query = urlencode(
                {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Expires": "600", "X-Amz-Signature": key}
            )
            h.redirect(302, f"{self.storage_url}/eodata/{quote(product.name)}.zip?{query}")
            return
        self._serve_payload(h, product, key)

    def _handle_storage(self, h: _Handler) -> None:
        """A presigned URL: valid ``presigned_ttl`` seconds; each request is a session of its account."""
        parts = urlsplit(h.path)
        params = dict(parse_qsl(parts.query))
        key = params.get("X-Amz-Signature", "")
        with self._lock:
            session = self._sessions.get(key)
            valid = session is not None and time.monotonic() - session.opened < self.presigned_ttl
            fresh = valid and not session.closed
            if fresh:
                session.started = True
        if h.headers.get("Authorization"):
            if fresh:
                self._close_session(key)
            h.send_raw(400, _s3_error("InvalidArgument", _ONE_AUTH), "application/xml")
            return
        if not valid:
            h.send_raw(403, _s3_error("AccessDenied", "Request has expired"), "application/xml")
            return
        if not fresh:  # the URL is used again (a later range): that is one more session of the account
            key = self._open_session(session.account, session.product_id)
            if key is None:
                h.send_json(429, {"detail": f"Max session number {self.max_sessions} exceeded."})
                return
            with self._lock:
                self._sessions[key].started = True
        product = self.by_id[session.product_id]
        h.entry.account = session.account
        self._serve_payload(h, product, key)

    def _serve_payload(self, h: _Handler, product: Product, session_key: str) -> None:
        """Serve the product zip (whole or one byte range); the session closes before the last byte."""
        data = product.payload()
        if product.id in self.corrupt:
            data = spoil(data, "corrupt")
        size = len(data)
        start, end = 0, size - 1
        status = 200
        range_header = h.headers.get("Range")
        if range_header:
            parsed = parse_range(range_header, size)
            if parsed == "unsatisfiable":
                self._close_session(session_key)
                h.send_raw(416, b"", "application/octet-stream", {"Content-Range": f"bytes */{size}"})
                return
            if parsed is not None:
                start, end = parsed
                status = 206
        length = end - start + 1
        if h.command == "HEAD" or length == 0:
            self._close_session(session_key)  # no body: closed before the client can read the answer
        h.send_response(status)
        h.send_header("Content-Type", "application/zip")
        h.send_header("Content-Length", str(length))
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("ETag", f'"{product.md5}"')
        h.send_header("Content-Disposition", f'attachment; filename="{product.name}.zip"')
        if status == 206:
            h.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        h.end_headers()
        h.entry.status = status
        if h.command == "HEAD" or length == 0:
            return
        cut_after = h.fault.cut_after if h.fault is not None else None
        chunk = 16384
        pos = start
        try:
            while pos <= end:
                piece = data[pos : min(end + 1, pos + chunk)]
                if cut_after is not None and h.entry.bytes_sent + len(piece) > cut_after:
                    piece = piece[: max(0, cut_after - h.entry.bytes_sent)]
                    h.wfile.write(piece)
                    h.entry.bytes_sent += len(piece)
                    h.wfile.flush()
                    self._close_session(session_key)
                    h.close_connection = True
                    h.connection.shutdown(socket.SHUT_RDWR)
                    return
                if pos + len(piece) > end:
                    self._close_session(session_key)  # before the client can see the last byte
                h.wfile.write(piece)
                h.entry.bytes_sent += len(piece)
                pos += len(piece)
                if self.storage_bytes_per_second:
                    time.sleep(len(piece) / self.storage_bytes_per_second)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        finally:
            self._close_session(session_key)


_ONE_AUTH = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
    "parameter or the Authorization header should be specified"
)


def _s3_error(code: str, message: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f"{head}<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
