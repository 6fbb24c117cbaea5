"""The USGS M2M emulator behaves as the public M2M documentation says (raw HTTP, no provider)."""

from __future__ import annotations

import pytest
import requests

from support.m2m_emulator import M2MEmulator


@pytest.fixture(scope="module")
def m2m():
    emu = M2MEmulator(polls_needed=2)
    emu.never_available.add(emu.scenes[1].entity_id)
    emu.start()
    yield emu
    emu.close()


def _call(m2m, endpoint: str, body: dict, key: str | None = None) -> dict:
    headers = {"X-Auth-Token": key} if key else {}
    resp = requests.post(m2m.api_url + endpoint, json=body, headers=headers, timeout=10)
    assert resp.status_code == 200
    return resp.json()


def test_login_search_paging_and_logout(m2m):
    assert (
        _call(m2m, "login-token", {"username": "landsat_user", "token": "wrong"})["errorCode"]
        == "AUTH_INVALID"
    )
    key = _call(m2m, "login-token", {"username": "landsat_user", "token": "app-token-XYZ987654321"})["data"]
    assert _call(m2m, "scene-search", {"datasetName": "landsat_ot_c2_l2"})["errorCode"] == "AUTH_UNAUTHORIZED"
    seen, start = [], 1
    for _ in range(20):
        data = _call(
            m2m,
            "scene-search",
            {"datasetName": "landsat_ot_c2_l2", "maxResults": 4, "startingNumber": start},
            key,
        )["data"]
        if not data["recordsReturned"]:
            break
        seen += [r["entityId"] for r in data["results"]]
        start = data["startingNumber"] + data["recordsReturned"]
        if start > data["totalHits"]:
            break
    expected = {s.entity_id for s in m2m.scenes if s.dataset == "landsat_ot_c2_l2"}
    assert len(seen) == len(set(seen)) == len(expected) and set(seen) == expected
    cloudy = _call(
        m2m,
        "scene-search",
        {
            "datasetName": "landsat_tm_c2_l2",
            "maxResults": 100,
            "sceneFilter": {"cloudCoverFilter": {"min": 0, "max": 30, "includeUnknown": False}},
        },
        key,
    )["data"]["results"]
    assert all(0 <= float(r["cloudCover"]) <= 30 for r in cloudy) and cloudy
    assert _call(m2m, "logout", {}, key)["errorCode"] is None
    assert (
        _call(m2m, "scene-search", {"datasetName": "landsat_ot_c2_l2"}, key)["errorCode"]
        == "AUTH_KEY_INVALID"
    )


def test_download_request_becomes_available_after_polls(m2m):
    key = _call(m2m, "login-token", {"username": "landsat_user", "token": "app-token-XYZ987654321"})["data"]
    good, never = m2m.scenes[0], m2m.scenes[1]
    options = _call(
        m2m,
        "download-options",
        {"datasetName": good.dataset, "entityIds": [good.entity_id, never.entity_id]},
        key,
    )["data"]
    assert {o["entityId"] for o in options} == {good.entity_id, never.entity_id}
    downloads = [{"entityId": o["entityId"], "productId": o["id"]} for o in options]
    req = _call(m2m, "download-request", {"downloads": downloads, "label": "t1"}, key)["data"]
    assert len(req["preparingDownloads"]) == 2 and not req["availableDownloads"]
    first = _call(m2m, "download-retrieve", {"label": "t1"}, key)["data"]
    assert not first["available"] and len(first["requested"]) == 2
    second = _call(m2m, "download-retrieve", {"label": "t1"}, key)["data"]
    assert [a["entityId"] for a in second["available"]] == [good.entity_id]
    assert [r["entityId"] for r in second["requested"]] == [never.entity_id]
    body = requests.get(second["available"][0]["url"], timeout=10)
    assert body.status_code == 200 and body.content == good.bundle
    ranged = requests.get(second["available"][0]["url"], headers={"Range": "bytes=10-"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == good.bundle[10:]
