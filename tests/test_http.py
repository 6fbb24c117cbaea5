"""HttpClient against nginx and the fault proxy: retries, Retry-After, status errors, JSON checks,
redirects that must not carry credentials to another host, concurrency slots."""

from __future__ import annotations

import email.utils
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from scene_picker.core.auth import ApiKeyAuth, BasicAuth, BearerAuth, StaticTokenProvider
from scene_picker.core.errors import (
    AuthenticationError,
    HttpStatusError,
    ProviderResponseError,
    RetriesExhaustedError,
)
from scene_picker.core.http import HttpClient, RetryPolicy, parse_retry_after, same_origin
from scene_picker.core.ratelimit import ConcurrencyLimiter, RateLimiter

from support.ports import free_port


def recording_policy(max_attempts: int = 5) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []
    return RetryPolicy(max_attempts=max_attempts, backoff_base=0.01, sleep=waits.append), waits


def test_plain_get_and_range(nginx, sample_files):
    with HttpClient() as http:
        response = http.request("GET", nginx.url("small.bin"))
        assert response.content == sample_files["small.bin"]
        ranged = http.request("GET", nginx.url("small.bin"), headers={"Range": "bytes=10-19"})
        assert ranged.status_code == 206
        assert ranged.content == sample_files["small.bin"][10:20]


def test_503_then_success_is_retried_with_backoff(proxy, sample_files):
    proxy.configure(status_503=2)
    policy, waits = recording_policy()
    response = HttpClient(retry=policy).request("GET", proxy.url("small.bin"))
    assert response.content == sample_files["small.bin"]
    assert [r.status for r in proxy.log] == [503, 503, 200]
    assert len(waits) == 2 and all(w > 0 for w in waits)


def test_429_retry_after_seconds_is_honoured(proxy, sample_files):
    proxy.configure(status_429=1, retry_after="7")
    policy, waits = recording_policy()
    response = HttpClient(retry=policy).request("GET", proxy.url("small.bin"))
    assert response.content == sample_files["small.bin"]
    assert waits == [7.0]


def test_429_retry_after_http_date_is_honoured(proxy, sample_files):
    when = datetime.now(timezone.utc) + timedelta(seconds=40)
    proxy.configure(status_429=1, retry_after=email.utils.format_datetime(when, usegmt=True))
    policy, waits = recording_policy()
    HttpClient(retry=policy).request("GET", proxy.url("small.bin"))
    assert len(waits) == 1 and 25 <= waits[0] <= 41


def test_retry_after_too_long_ends_at_once(proxy):
    proxy.configure(status_429=5, retry_after="3600")
    policy, waits = recording_policy()
    with pytest.raises(RetriesExhaustedError, match="3600"):
        HttpClient(retry=policy).request("GET", proxy.url("small.bin"))
    assert waits == [] and proxy.requests == 1


def test_persistent_503_exhausts_bounded_tries(proxy):
    proxy.configure(status_503=100)
    policy, waits = recording_policy(max_attempts=4)
    with pytest.raises(RetriesExhaustedError, match="503 after 4 tries"):
        HttpClient(retry=policy).request("GET", proxy.url("small.bin"))
    assert proxy.requests == 4 and len(waits) == 3


def test_connection_refused_nearby_fails_at_once():
    """A refused connection to a loopback/LAN host is a server that is not running: one try, no back-off."""
    port = free_port()
    policy, waits = recording_policy(max_attempts=3)
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(RetriesExhaustedError, match="after 1 try") as info:
            HttpClient(retry=policy).request("GET", f"http://{host}:{port}/x?token=s3cr3t")
        message = str(info.value)
        assert "cannot connect: Connection refused (check the URL" in message
        assert "object at 0x" not in message and "HTTPConnectionPool" not in message
        assert "s3cr3t" not in message
    assert waits == []


def test_connection_refused_exhausts_tries_when_asked():
    port = free_port()
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, backoff_base=0.01, sleep=waits.append, retry_refused_nearby=True)
    with pytest.raises(RetriesExhaustedError, match="after 3 tries"):
        HttpClient(retry=policy).request("GET", f"http://127.0.0.1:{port}/x")
    assert len(waits) == 2


def test_error_message_never_carries_secret(proxy):
    with pytest.raises(HttpStatusError) as info:
        HttpClient().request("GET", proxy.url("missing.bin?access_token=s3cr3tvalue"))
    assert info.value.status == 404
    assert "s3cr3tvalue" not in str(info.value)
    assert "missing.bin" in str(info.value)


def test_accept_status_returns_response(nginx):
    response = HttpClient().request("GET", nginx.url("nope"), accept_status=(404,))
    assert response.status_code == 404


def test_get_json_refuses_html_truncated_and_garbage(served_dir, nginx):
    (served_dir / "ok.json").write_text(json.dumps({"a": [1, 2]}))
    (served_dir / "page.html").write_text("<html><body>Maintenance</body></html>")
    (served_dir / "cut.json").write_text('{"features": [1, 2')
    http = HttpClient()
    assert http.get_json(nginx.url("ok.json")) == {"a": [1, 2]}
    with pytest.raises(ProviderResponseError, match="HTML"):
        http.get_json(nginx.url("page.html"))
    with pytest.raises(ProviderResponseError, match="not valid JSON"):
        http.get_json(nginx.url("cut.json"))


def test_get_json_detects_body_cut_short(served_dir, proxy):
    (served_dir / "long.json").write_text(json.dumps({"items": list(range(5000))}))
    proxy.configure(cut_after=100)
    policy, _ = recording_policy(max_attempts=2)
    with pytest.raises(ProviderResponseError, match="truncated"):
        HttpClient(retry=policy).get_json(proxy.url("long.json"))


def test_any_body_cut_short_is_one_labelled_error_and_not_retried(served_dir, proxy):
    """urllib3 1.26 returns a short body and 2.x raises: the client gives the same error for both."""
    (served_dir / "long.bin").write_bytes(bytes(range(256)) * 40)
    proxy.configure(cut_after=1000)
    with pytest.raises(
        ProviderResponseError, match=r"^cutter: .*long\.bin sent a truncated answer"
    ) as caught:
        HttpClient(name="cutter").get(proxy.url("long.bin"))
    assert "1000 of 10240 bytes" in str(caught.value) and caught.value.provider == "cutter"
    assert len(proxy.log) == 1  # a truncated answer is the server's fault, not a network failure: no retry


def test_auth_sent_to_allowed_host_only_and_not_across_redirect(proxy, other_host_proxy, sample_files):
    # 127.0.0.1 redirects to localhost (another host): the credentials must stay behind.
    proxy.configure(redirect_to=other_host_proxy.base_url)
    auth = BasicAuth("alice", "pa55word", hosts=[f"127.0.0.1:{proxy.port}"])
    http = HttpClient(auth=auth, headers={"X-Api-Key": "k3y-value", "Accept": "*/*"})
    response = http.request("GET", proxy.url("small.bin"))
    assert response.content == sample_files["small.bin"]
    assert proxy.log[0].headers["authorization"].startswith("Basic ")
    assert proxy.log[0].headers["x-api-key"] == "k3y-value"
    received = other_host_proxy.log[0].headers
    assert "authorization" not in received
    assert "x-api-key" not in received
    assert received["accept"] == "*/*"


def test_auth_for_other_host_is_not_sent(proxy):
    auth = ApiKeyAuth("Authorization", "api-key SECRET", hosts=["api.example.org"])
    HttpClient(auth=auth).request("GET", proxy.url("small.bin"))
    assert "authorization" not in proxy.log[0].headers


def test_range_header_survives_same_host_redirect(nginx, proxy, sample_files):
    proxy.configure(redirect_to=nginx.base_url)
    response = HttpClient().request("GET", proxy.url("small.bin"), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206 and response.content == sample_files["small.bin"][:10]


def test_static_bearer_refused_gives_authentication_error(proxy):
    proxy.configure(require_bearer=True)
    auth = BearerAuth(StaticTokenProvider("not-issued"), hosts=["127.0.0.1"])
    with pytest.raises(AuthenticationError, match="refused the credentials"):
        HttpClient(auth=auth).request("GET", proxy.url("small.bin"))
    assert proxy.requests == 1


def test_refused_credentials_name_the_provider_to_log_in_again(proxy):
    proxy.configure(require_bearer=True)
    auth = BearerAuth(StaticTokenProvider("not-issued"), hosts=["127.0.0.1"])
    with pytest.raises(AuthenticationError) as named:
        HttpClient(auth=auth, name="Planet", provider="planet").request("GET", proxy.url("small.bin"))
    assert "(scene-picker login planet)" in str(named.value)
    with pytest.raises(AuthenticationError) as unnamed:  # no provider key: no placeholder either
        HttpClient(auth=auth).request("GET", proxy.url("small.bin"))
    assert "PROVIDER" not in str(unnamed.value)
    assert "scene-picker login followed by the provider's name" in str(unnamed.value)


def test_401_without_credentials_is_status_error(proxy):
    proxy.configure(require_bearer=True)
    with pytest.raises(HttpStatusError) as info:
        HttpClient().request("GET", proxy.url("small.bin"))
    assert info.value.status == 401


def test_rate_limiter_counts_every_request(proxy):
    limiter = RateLimiter([(3, 1000.0)], clock=lambda: 0.0, sleep=lambda s: None)
    http = HttpClient(rate_limiter=limiter)
    for _ in range(3):
        http.request("GET", proxy.url("small.bin"))
    assert limiter.try_acquire() is False


def test_streamed_response_holds_concurrency_slot_until_closed(proxy):
    cap = ConcurrencyLimiter(1)
    http = HttpClient(concurrency=cap)
    response = http.request("GET", proxy.url("medium.bin"), stream=True)
    assert cap.active == 1
    second_done = threading.Event()

    def second() -> None:
        HttpClient(concurrency=cap).request("GET", proxy.url("small.bin"))
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    # The second client shares the cap: it cannot get its slot while the stream is open.
    assert not second_done.wait(0.3)
    response.close()
    thread.join(timeout=10)
    assert second_done.is_set() and cap.active == 0


def test_parse_retry_after_forms():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:30 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_same_origin():
    assert same_origin("http://a.org/x", "http://A.org:80/y")
    assert not same_origin("http://a.org/x", "https://a.org/x")
    assert not same_origin("http://127.0.0.1:80/", "http://localhost:80/")


def test_backoff_grows_and_is_bounded():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0, jitter=0.5)
    for attempt, base in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 8.0)):
        delay = policy.backoff(attempt)
        assert base * 0.5 <= delay <= base
    assert time.monotonic() > 0


def test_logs_never_carry_secrets(proxy, other_host_proxy, caplog):
    import logging

    proxy.configure(redirect_to=other_host_proxy.base_url, status_503=1)
    auth = BasicAuth("alice", "pa55word-xyz", hosts=["127.0.0.1"])
    policy, _ = recording_policy()
    with caplog.at_level(logging.DEBUG):
        HttpClient(auth=auth, retry=policy).request("GET", proxy.url("small.bin?access_token=t0ken-abc"))
        with pytest.raises(HttpStatusError) as info:
            HttpClient(auth=auth, retry=policy).request("GET", proxy.url("absent?apikey=k3y-abc"))
    text = caplog.text + str(info.value)
    assert "small.bin" in caplog.text and "503" in caplog.text
    for secret in ("pa55word-xyz", "t0ken-abc", "k3y-abc", "YWxpY2U6cGE1NXdvcmQteHl6"):
        assert secret not in text


def test_post_retried_only_when_never_sent(proxy):
    port = free_port()
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, backoff_base=0.01, sleep=waits.append, retry_refused_nearby=True)
    with pytest.raises(RetriesExhaustedError, match="after 3 tries"):
        HttpClient(retry=policy).request("POST", f"http://127.0.0.1:{port}/orders", json={"a": 1})
    assert len(waits) == 2  # connection refused: nothing reached a server, so retrying is safe
    # A 500 answer to a POST is not retried (the order may have been created); 503 is.
    proxy.configure(status_503=1)
    with pytest.raises(HttpStatusError) as info:
        HttpClient(retry=policy).request("POST", proxy.url("small.bin"), json={"a": 1})
    assert info.value.status == 405 and [r.status for r in proxy.log] == [503, 405]


def test_cancel_while_rate_limited_releases_the_slot(proxy):
    from scene_picker.core.cancel import CancelToken
    from scene_picker.core.errors import CancelledError

    cap = ConcurrencyLimiter(1)
    limiter = RateLimiter([(1, 3600.0)])
    http = HttpClient(rate_limiter=limiter, concurrency=cap)
    http.request("GET", proxy.url("small.bin"))
    token = CancelToken()
    threading.Timer(0.1, token.cancel).start()  # cancelled while waiting an hour for the limiter
    with pytest.raises(CancelledError):
        http.request("GET", proxy.url("small.bin"), cancel=token)
    assert cap.active == 0 and proxy.requests == 1


class _FailingTokenProvider:
    """A token provider whose sign-in fails, as when a password stops working mid-run."""

    def get_token(self) -> str:
        raise AuthenticationError("sign-in refused")

    def invalidate(self) -> None:
        pass


def test_failing_credentials_release_the_concurrency_slot(proxy):
    limiter = ConcurrencyLimiter(1)
    client = HttpClient(auth=BearerAuth(_FailingTokenProvider(), hosts=["127.0.0.1"]), concurrency=limiter)
    with pytest.raises(AuthenticationError):
        client.get(proxy.url("small.bin"))
    assert limiter.active == 0


def test_rate_limit_is_awaited_before_credentials_are_fetched(proxy, sample_files):
    order: list[str] = []

    class Recording(RateLimiter):
        def acquire(self, cancel=None):
            order.append("rate")
            return super().acquire(cancel)

    class Tokens:
        def get_token(self) -> str:
            order.append("token")
            return "tok"

        def invalidate(self) -> None:
            pass

    client = HttpClient(
        auth=BearerAuth(Tokens(), hosts=["127.0.0.1"]), rate_limiter=Recording(windows=[(100, 1.0)])
    )
    client.get(proxy.url("small.bin")).close()
    assert order[:2] == ["rate", "token"]


# -- https → http: credentials never go down to plain text ------------------------------------------
def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 made here (cryptography comes with moto, a test requirement)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture
def https_redirect_to(tmp_path):
    """Start an https server on loopback that answers every GET with 302 to ``target + path``;
    yields a function (target) -> (base URL, CA file, headers received)."""
    import http.server
    import ssl

    cert_file, key_file = _self_signed(tmp_path)
    received: list[dict] = []
    servers = []

    def start(target: str):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                received.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(302)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}", str(cert_file), received

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "auth",
    [
        BasicAuth("alice", "pa55word", hosts=["127.0.0.1"]),
        ApiKeyAuth("X-Api-Key", "k3y", hosts=["127.0.0.1"]),
    ],
    ids=["basic", "api-key"],
)
def test_credentials_are_not_sent_after_a_redirect_from_https_to_http(
    https_redirect_to, proxy, sample_files, auth
):
    base, ca_file, received = https_redirect_to(proxy.base_url)
    with HttpClient(auth=auth) as http:
        response = http.request("GET", base + "/small.bin", verify=ca_file)
    assert response.content == sample_files["small.bin"]
    assert ("authorization" in received[0]) or ("x-api-key" in received[0])  # sent over TLS
    assert "authorization" not in proxy.log[0].headers
    assert "x-api-key" not in proxy.log[0].headers  # not in clear text after the downgrade
