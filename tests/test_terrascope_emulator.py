"""The Terrascope emulator itself, over raw HTTP: the behaviour the provider tests rely on."""

from __future__ import annotations

import time

import pytest
import requests

from support.terrascope_emulator import NDVI, TOKEN_PATH, TerrascopeEmulator, make_product


@pytest.fixture()
def ts():
    with TerrascopeEmulator([make_product(NDVI, i) for i in range(3)], access_lifetime=1.0) as emulator:
        yield emulator


def password_grant(ts, password="vito-pass"):
    form = {"grant_type": "password", "client_id": "terracatalogueclient", "username": "vito-user"}
    return requests.post(ts.token_url, data={**form, "password": password}, timeout=10)


def test_token_endpoint_password_refresh_and_errors(ts):
    bad = password_grant(ts, "nope")
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_grant"
    good = password_grant(ts).json()
    assert good["token_type"] == "Bearer" and good["expires_in"] == 1.0 and good["refresh_token"]
    refreshed = requests.post(
        ts.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": "terracatalogueclient",
            "refresh_token": good["refresh_token"],
        },
        timeout=10,
    )
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != good["access_token"]
    garbage = requests.post(
        ts.token_url,
        data={"grant_type": "refresh_token", "client_id": "terracatalogueclient", "refresh_token": "x"},
    )
    assert garbage.status_code == 400 and garbage.json()["error_description"] == "Token is not active"
    assert ts.sso_url != ts.base_url and TOKEN_PATH in ts.token_url


def test_download_needs_valid_credentials_and_serves_ranges(ts):
    f = ts.products[0].files[0]
    url = f"{ts.base_url}/download/{f.path}"
    anonymous = requests.get(url, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith(ts.sso_url)
    token = password_grant(ts).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(url, headers=auth, timeout=10).content == f.content
    part = requests.get(url, headers={**auth, "Range": "bytes=10-19"}, timeout=10)
    assert part.status_code == 206 and part.content == f.content[10:20]
    assert requests.get(url, auth=("vito-user", "vito-pass"), timeout=10).content == f.content
    assert requests.get(url, auth=("vito-user", "wrong"), timeout=10).status_code == 401
    deadline = time.monotonic() + 5
    while ts.authorized(auth["Authorization"]) == "ok" and time.monotonic() < deadline:
        time.sleep(0.1)
    expired = requests.get(url, headers=auth, timeout=10)
    assert expired.status_code == 401 and "invalid_token" in expired.headers["WWW-Authenticate"]


def test_rate_limiter_refuses_and_counts():
    with TerrascopeEmulator([make_product(NDVI, 0)], rate_windows=[(5, 30.0)]) as ts:
        answers = [requests.get(f"{ts.base_url}/catalogue/collections", timeout=10) for _ in range(8)]
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
        assert ts.refused == 3
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= 30


def test_opensearch_links_and_mep_paths(ts):
    params = {"collection": NDVI, "count": 2}
    page = requests.get(f"{ts.base_url}/catalogue/products", params=params, timeout=10).json()
    assert page["totalResults"] == 3 and page["itemsPerPage"] == 2 and "next" in page["properties"]["links"]
    following = requests.get(page["properties"]["links"]["next"][0]["href"], timeout=10).json()
    assert [f["id"] for f in following["features"]] == [ts.products[2].id]
    mep = requests.get(
        f"{ts.base_url}/catalogue/products", params={**params, "accessedFrom": "MEP"}, timeout=10
    )
    href = mep.json()["features"][0]["properties"]["links"]["data"][0]["href"]
    assert href.startswith("file://") and (ts.mep_root / ts.products[0].files[0].path).is_file()
    assert requests.get(f"{ts.base_url}/catalogue/products", timeout=10).status_code == 400
