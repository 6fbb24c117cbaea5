"""The CMR and Earthdata Login emulators behave as the public documentation says (raw HTTP, no provider)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import pytest
import requests

from support.cmr_emulator import CmrEmulator
from support.earthdata_emulator import EarthdataEmulator


@pytest.fixture(scope="module")
def earthdata():
    emu = EarthdataEmulator().start()
    yield emu
    emu.close()


@pytest.fixture(scope="module")
def cmr(earthdata):
    emu = CmrEmulator(earthdata.data_url).start()
    earthdata.add_files(emu.data_files())
    yield emu
    emu.close()


def _all_pages(url: str, params: dict, page_size: int, limit: int = 100) -> tuple[list[dict], int]:
    items, after, hits = [], None, -1
    with requests.Session() as session:
        for _ in range(limit):
            headers = {"CMR-Search-After": after} if after else {}
            resp = session.get(url, params={**params, "page_size": page_size}, headers=headers, timeout=10)
            assert resp.status_code == 200, resp.text
            hits = int(resp.headers["CMR-Hits"])
            page = resp.json()["items"]
            if not page:
                break
            items.extend(page)
            after = resp.headers["CMR-Search-After"]
    return items, hits


def test_search_after_paging_returns_each_granule_once(cmr):
    url = cmr.base_url + "/search/granules.umm_json"
    items, hits = _all_pages(url, {"short_name": "HLSL30"}, page_size=4)
    ids = [i["meta"]["concept-id"] for i in items]
    expected = {g.concept_id for g in cmr.granules if g.collection.short_name == "HLSL30"}
    assert len(ids) == len(set(ids)) == hits == len(expected)
    assert set(ids) == expected


def test_filters_and_errors(cmr):
    url = cmr.base_url + "/search/granules.umm_json"
    params = {
        "bounding_box": "-5,38,10,50",
        "temporal": "2021-01-15T00:00:00Z,2021-02-28T23:59:59Z",
        "cloud_cover": "0,50",
        "page_size": 2000,
    }
    resp = requests.get(url, params=params, timeout=10)
    got = {i["meta"]["concept-id"] for i in resp.json()["items"]}
    from shapely.geometry import box

    area = box(-5, 38, 10, 50)
    want = {
        g.concept_id
        for g in cmr.granules
        if g.polygon.intersects(area)
        and g.cloud_cover is not None
        and g.cloud_cover <= 50
        and "2021-01-15" <= g.begin.strftime("%Y-%m-%d") <= "2021-02-28"
    }
    assert got == want and got
    clockwise = "0,40,0,45,5,45,5,40,0,40"
    bad = requests.get(url, params={"polygon": clockwise}, timeout=10)
    assert bad.status_code == 400 and "clockwise" in bad.json()["errors"][0]
    unknown = requests.get(url, params={"shortname": "HLSL30"}, timeout=10)
    assert unknown.status_code == 400 and "not recognized" in unknown.json()["errors"][0]
    after = requests.get(url, headers={"CMR-Search-After": json.dumps(["x", 1, "G0"])}, timeout=10)
    assert after.status_code == 400


def test_earthdata_redirect_dance_and_bearer(cmr, earthdata):
    granule = cmr.granules[0]
    name, data = next(iter(granule.files.items()))
    url = earthdata.data_url + cmr.file_path(granule, name)
    earthdata.reset_records()
    with requests.Session() as session:
        first = session.get(url, allow_redirects=False, timeout=10)
        assert first.status_code == 302 and first.headers["Location"].startswith(earthdata.urs_url)
        refused = session.get(first.headers["Location"], allow_redirects=False, timeout=10)
        assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
        login = session.get(
            first.headers["Location"], auth=("alice", "s3cret-Passw0rd"), allow_redirects=False, timeout=10
        )
        assert login.status_code == 302
        back = session.get(login.headers["Location"], allow_redirects=False, timeout=10)
        assert back.status_code == 302 and back.headers["Location"].endswith(name)
        final = session.get(url, timeout=10)
        assert final.status_code == 200 and hashlib.md5(final.content).digest() == hashlib.md5(data).digest()
    assert all(r["authorization"] is None for r in earthdata.data_requests)
    assert urlsplit(earthdata.urs_url).hostname != urlsplit(earthdata.data_url).hostname
    bearer = requests.get(url, headers={"Authorization": "Bearer edl-token-0123456789abcdef"}, timeout=10)
    assert bearer.status_code == 200 and bearer.content == data
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
