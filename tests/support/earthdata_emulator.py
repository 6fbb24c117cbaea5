"""An emulator of NASA Earthdata Login (URS) and of a DAAC data host that relies on it.

Two loopback servers with different host names (127.0.0.1 for the login host, 127.0.0.2 for the
data host when this machine can bind it), as in the documented Earthdata Login OAuth2 flow:

1. ``GET data-host/path`` without a session cookie → 302 to
   ``urs/oauth/authorize?client_id=…&response_type=code&redirect_uri=data-host/login&state=path``;
2. ``urs/oauth/authorize`` with HTTP Basic credentials (or the URS session cookie of an earlier login)
   → 302 to ``redirect_uri?code=…&state=…`` (without credentials: 401 with a Basic challenge);
3. ``data-host/login?code=…`` redeems the one-time code, sets the data host's session cookie and
   redirects back to the original path, which is then served (Range honoured).

A data host also accepts ``Authorization: Bearer <EDL user token>`` directly. Both servers record every
request's ``Authorization`` and ``Cookie`` headers so tests can assert where credentials went.
Fault injection per file path: ``missing`` (404), ``corrupt`` (bytes altered), ``error`` (500).
"""

from __future__ import annotations

import base64
import secrets
import socket
import threading
from urllib.parse import urlencode

from .fake_catalog import redirect, send_json
from .http_emulator import Emulator, EmulatorHandler, EmulatorServer, spoil

CLIENT_ID = "LPDAAC_emulated_app"
DATA_COOKIE = "lpdaac_session"
URS_COOKIE = "urs_user_already_logged"


def second_loopback_host(preferred: str = "127.0.0.2") -> str:
    """``preferred`` when it can be bound (Linux routes all of 127/8 to lo), else 127.0.0.1."""
    try:
        with socket.socket() as sock:
            sock.bind((preferred, 0))
        return preferred
    except OSError:
        return "127.0.0.1"


class _DataHostServer(EmulatorServer):
    """The shared emulator server, bound to a second loopback address so host names differ."""

    bind_host = "127.0.0.1"

    def server_bind(self) -> None:
        self.server_address = (self.bind_host, 0)
        super().server_bind()


class EarthdataEmulator(Emulator):
    """The URS login host (``urs_url``) and one data host (``data_url``)."""

    def __init__(self, users: dict[str, str] | None = None, tokens: set[str] | None = None) -> None:
        self.users = dict(users or {"alice": "s3cret-Passw0rd"})
        self.tokens = set(tokens or {"edl-token-0123456789abcdef"})
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.public_prefixes: tuple[str, ...] = ("/lp-prod-public/",)
        self.urs_requests: list[dict] = []
        self.data_requests: list[dict] = []
        self._codes: dict[str, str] = {}
        self._urs_sessions: dict[str, str] = {}
        self._data_sessions: dict[str, str] = {}
        self._lock = threading.Lock()
        self.urs = EmulatorServer(_UrsHandler, self)
        server_class = type("_Bound", (_DataHostServer,), {"bind_host": second_loopback_host()})
        self.data = server_class(_DataHandler, self)
        self.servers = [self.urs, self.data]

    @property
    def urs_url(self) -> str:
        return self.urs.base_url

    @property
    def data_url(self) -> str:
        return self.data.base_url

    def add_files(self, files: dict[str, bytes]) -> None:
        self.files.update(files)

    def reset_records(self) -> None:
        with self._lock:
            self.urs_requests.clear()
            self.data_requests.clear()

    def drop_sessions(self) -> None:
        """Forget every login (as if the sessions expired)."""
        with self._lock:
            self._urs_sessions.clear()
            self._data_sessions.clear()

    # -- helpers used by the handlers ---------------------------------------------------------------
    def check_basic(self, header: str | None) -> str | None:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except ValueError:
            return None
        return user if self.users.get(user) == password and user else None


def _cookies(header: str | None) -> dict[str, str]:
    out = {}
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            out[name] = value
    return out


class _UrsHandler(EmulatorHandler):
    def do_GET(self) -> None:
        emu: EarthdataEmulator = self.emulator
        auth = self.headers.get("Authorization")
        with emu._lock:
            emu.urs_requests.append(
                {"path": self.path, "authorization": auth, "cookie": self.headers.get("Cookie")}
            )
        path, params = self.split()
        if path != "/oauth/authorize":
            send_json(self, 404, {"error": "not_found"})
            return
        query = {k: v[-1] for k, v in params.items()}
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            send_json(self, 400, {"error": "invalid_request", "error_description": "unknown client_id"})
            return
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri != emu.data_url + "/login":
            send_json(self, 400, {"error": "invalid_request", "error_description": "redirect_uri mismatch"})
            return
        user = emu.check_basic(auth)
        session = _cookies(self.headers.get("Cookie")).get(URS_COOKIE)
        if user is None and session:
            user = emu._urs_sessions.get(session)
        if user is None:
            status_text = "invalid_credentials" if auth else "authentication_required"
            send_json(
                self,
                401,
                {"error": status_text, "error_description": "Please enter your Earthdata Login credentials"},
                {"WWW-Authenticate": 'Basic realm="Please enter your Earthdata Login credentials"'},
            )
            return
        code = secrets.token_hex(12)
        sid = secrets.token_hex(12)
        with emu._lock:
            emu._codes[code] = user
            emu._urs_sessions[sid] = user
        target = redirect_uri + "?" + urlencode({"code": code, "state": query.get("state", "/")})
        redirect(self, target, {"Set-Cookie": f"{URS_COOKIE}={sid}; Path=/; HttpOnly"})

    do_HEAD = do_GET


class _DataHandler(EmulatorHandler):
    def do_GET(self) -> None:
        emu: EarthdataEmulator = self.emulator
        auth = self.headers.get("Authorization")
        cookies = _cookies(self.headers.get("Cookie"))
        with emu._lock:
            emu.data_requests.append(
                {"path": self.path, "authorization": auth, "cookie": self.headers.get("Cookie")}
            )
        path, params = self.split()
        if path == "/login":
            query = {k: v[-1] for k, v in params.items()}
            with emu._lock:
                user = emu._codes.pop(query.get("code", ""), None)
            if user is None:
                send_json(self, 401, {"error": "invalid_grant", "error_description": "unknown or used code"})
                return
            sid = secrets.token_hex(12)
            with emu._lock:
                emu._data_sessions[sid] = user
            state = query.get("state") or "/"
            redirect(self, state, {"Set-Cookie": f"{DATA_COOKIE}={sid}; Path=/; HttpOnly"})
            return
        data = emu.files.get(path)
        if data is None:
            send_json(self, 404, {"error": f"{path} not found"})
            return
        if not path.startswith(emu.public_prefixes):
            if auth and auth.lower().startswith("bearer "):
                if auth[7:].strip() not in emu.tokens:
                    send_json(
                        self, 401, {"error": "invalid_token", "error_description": "token is not valid"}
                    )
                    return
            elif cookies.get(DATA_COOKIE) not in emu._data_sessions:
                query = {
                    "client_id": CLIENT_ID,
                    "response_type": "code",
                    "redirect_uri": emu.data_url + "/login",
                    "state": self.path,
                }
                redirect(self, emu.urs_url + "/oauth/authorize?" + urlencode(query))
                return
        fault = emu.faults.get(path)
        if fault == "missing":
            send_json(self, 404, {"error": f"{path} not found"})
            return
        if fault == "error":
            send_json(self, 500, {"error": "internal error"})
            return
        self.serve_bytes(spoil(data, fault))

    do_HEAD = do_GET
