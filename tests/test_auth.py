"""Authentication hooks and the OpenID token provider, against the fault proxy's token endpoint."""

from __future__ import annotations

import pytest

from scene_picker.core.auth import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    OidcTokenProvider,
    StaticTokenProvider,
    host_matches,
)
from scene_picker.core.errors import AuthenticationError
from scene_picker.core.http import HttpClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_host_patterns():
    assert host_matches("https://zipper.example.org/x", ["zipper.example.org"])
    assert host_matches("https://zipper.example.org:8443/x", ["zipper.example.org"])
    assert not host_matches("https://zipper.example.org/x", ["zipper.example.org:8443"])
    assert host_matches("http://127.0.0.1:8080/x", ["127.0.0.1:8080"])
    assert not host_matches("http://127.0.0.1:8081/x", ["127.0.0.1:8080"])
    assert host_matches("https://a.b.example.org/", ["*.example.org"])
    assert not host_matches("https://example.org/", ["*.example.org"])
    assert not host_matches("https://evil-example.org/", ["*.example.org", "example.org"])
    assert not host_matches("https://example.org.evil.net/", ["example.org"])
    assert not host_matches("not a url", ["example.org"])


def test_auth_headers_only_for_allowed_hosts():
    basic = BasicAuth("u", "p", hosts="h.example")
    assert basic.headers_for("https://h.example/a") == {"Authorization": "Basic dTpw"}
    assert basic.headers_for("https://other.example/a") == {}
    key = ApiKeyAuth("X-Key", "abc", hosts=["h.example"])
    assert key.headers_for("http://h.example/") == {"X-Key": "abc"}
    assert key.refresh() is False
    assert "abc" not in repr(key)
    assert "Pa55-w0rd" not in repr(BasicAuth("u", "Pa55-w0rd", hosts="h.example"))


def test_oidc_password_grant_then_cached(proxy):
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    first = provider.get_token()
    assert provider.get_token() == first
    assert proxy.token_grants == ["password"]
    form = proxy.log[0]
    assert form.method == "POST"


def test_oidc_refreshes_before_expiry_with_refresh_grant(proxy):
    clock = FakeClock()
    proxy.configure(token_expires_in=300)
    provider = OidcTokenProvider(
        proxy.token_url, "client", "alice", "wonderland", http=HttpClient(), clock=clock
    )
    first = provider.get_token()
    clock.now += 250  # 50 s left: more than the 30 s margin
    assert provider.get_token() == first
    clock.now += 25  # 25 s left: refresh before it expires
    second = provider.get_token()
    assert second != first
    assert proxy.token_grants == ["password", "refresh_token"]


def test_oidc_logs_in_again_when_refresh_token_refused(proxy):
    clock = FakeClock()
    provider = OidcTokenProvider(
        proxy.token_url, "client", "alice", "wonderland", http=HttpClient(), clock=clock
    )
    provider.get_token()
    proxy.configure()  # the server forgets every token (e.g. restarted): refresh is refused
    clock.now += 299
    token = provider.get_token()
    assert token
    assert proxy.token_grants == ["refresh_token", "password"]


def test_oidc_bad_password_is_authentication_error_without_secret(proxy):
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "bad-Passw0rd", http=HttpClient())
    with pytest.raises(AuthenticationError) as info:
        provider.get_token()
    assert "alice" in str(info.value) and "Invalid user credentials" in str(info.value)
    assert "bad-Passw0rd" not in str(info.value)
    assert "PROVIDER" not in str(info.value)
    named = OidcTokenProvider(
        proxy.token_url, "client", "alice", "bad-Passw0rd", http=HttpClient(provider="terrascope")
    )
    with pytest.raises(AuthenticationError, match="scene-picker login terrascope stores new ones"):
        named.get_token()
    explicit = OidcTokenProvider(proxy.token_url, "c", "alice", "bad-Passw0rd", provider="cdse-2")
    with pytest.raises(AuthenticationError, match="scene-picker login cdse-2 stores new ones"):
        explicit.get_token()


@pytest.mark.parametrize("refusal", [401, 403])
def test_bearer_refreshes_once_when_refused_mid_session(refusal, proxy, sample_files):
    # Each token works for one request only: the second request is refused, the client refreshes once.
    proxy.configure(require_bearer=True, token_life_requests=1, token_refusal_status=refusal)
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    http = HttpClient(auth=BearerAuth(provider, hosts=["127.0.0.1"]))
    assert http.request("GET", proxy.url("small.bin")).content == sample_files["small.bin"]
    assert http.request("GET", proxy.url("small.bin")).content == sample_files["small.bin"]
    statuses = [r.status for r in proxy.log if r.path == "/small.bin"]
    assert statuses == [200, refusal, 200]
    assert proxy.token_grants == ["password", "refresh_token"]


def test_genuine_403_after_refresh_is_a_status_error(proxy):
    from scene_picker.core.errors import HttpStatusError

    proxy.configure(require_bearer=True, token_life_requests=0, token_refusal_status=403)
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    http = HttpClient(auth=BearerAuth(provider, hosts=["127.0.0.1"]))
    with pytest.raises(HttpStatusError) as info:
        http.request("GET", proxy.url("small.bin"))
    assert info.value.status == 403
    assert [r.status for r in proxy.log if r.path == "/small.bin"] == [403, 403]  # one refresh only


def test_static_token_is_not_refreshed():
    auth = BearerAuth(StaticTokenProvider("t0k"), hosts="h")
    assert auth.refresh() is False
    assert auth.headers() == {"Authorization": "Bearer t0k"}
