"""The Planet Data API emulator behaves as Planet's public documentation says (raw HTTP, no provider)."""

from __future__ import annotations

import pytest
import requests

from support.planet_emulator import PlanetEmulator

KEY = "PLAK0123456789abcdef"


@pytest.fixture(scope="module")
def planet():
    emu = PlanetEmulator(polls_needed=2)
    emu.start()
    yield emu
    emu.close()


def test_auth_quick_search_paging_and_filters(planet):
    body = {
        "item_types": ["PSScene"],
        "filter": {"type": "RangeFilter", "field_name": "cloud_cover", "config": {"lte": 0.5}},
    }
    url = planet.api_url + "/quick-search"
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, auth=("wrong", ""), timeout=10).status_code == 401
    page = requests.post(url, json=body, params={"_page_size": 5}, auth=(KEY, ""), timeout=10).json()
    seen = []
    for _ in range(50):
        seen += [f["id"] for f in page["features"]]
        nxt = page["_links"].get("_next")
        if not nxt:
            break
        page = requests.get(nxt, headers={"Authorization": f"api-key {KEY}"}, timeout=10).json()
    expected = {i.id for i in planet.items if i.cloud_cover <= 0.5}
    assert len(seen) == len(set(seen)) == len(expected) and set(seen) == expected
    bad = {"item_types": ["PSScene"], "filter": {"type": "NoSuchFilter"}}
    assert requests.post(url, json=bad, auth=(KEY, ""), timeout=10).status_code == 400


def test_activation_takes_polls_then_downloads(planet):
    item = planet.items[0]
    auth = (KEY, "")
    assets_url = f"{planet.api_url}/item-types/PSScene/items/{item.id}/assets"
    asset = requests.get(assets_url, auth=auth, timeout=10).json()["ortho_analytic_4b"]
    assert asset["status"] == "inactive" and "location" not in asset
    assert requests.post(asset["_links"]["activate"], auth=auth, timeout=10).status_code == 202
    statuses = []
    for _ in range(5):
        asset = requests.get(asset["_links"]["_self"], auth=auth, timeout=10).json()
        statuses.append(asset["status"])
        if asset["status"] == "active":
            break
    assert statuses == ["activating", "active"]
    assert requests.get(asset["_links"]["activate"], auth=auth, timeout=10).status_code == 204
    data = requests.get(asset["location"], timeout=10)
    assert data.status_code == 200 and data.content == item.assets["ortho_analytic_4b"]
