"""The CDSE emulator itself, over raw HTTP: OData filter semantics against an independently computed
ground truth, paging caps and error shapes, Keycloak-like tokens, the download redirect with Range,
per-account session counting and fault injection."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from datetime import datetime, timezone

import pytest
import requests
from shapely.geometry import box

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import default_products
from support.cdse_odata_filter import ODataFilterError, compile_filter

UTC = timezone.utc
AOI = box(3.1, 43.3, 3.5, 43.6)
AOI_WKT = "POLYGON((3.1 43.3,3.5 43.3,3.5 43.6,3.1 43.6,3.1 43.3))"


@pytest.fixture(scope="module")
def products():
    return list(default_products())


@pytest.fixture(scope="module")
def emulator(products):
    with CdseEmulator(products, accounts={"alice": "s3cret", "bob": "hunter22"}, skip_cap=3000) as emu:
        yield emu


@pytest.fixture()
def http():
    with requests.Session() as session:
        yield session


def search(http, emulator, **params):
    return http.get(emulator.catalogue_url + "/Products", params={f"${k}": v for k, v in params.items()})


def login(http, emulator, user="alice", password="s3cret"):
    form = {"grant_type": "password", "client_id": "cdse-public", "username": user, "password": password}
    return http.post(emulator.token_url, data=form)


# -- ground truth and filter ---------------------------------------------------------------------------
def test_ground_truth_spans_three_years_of_sentinel_1_and_2(products):
    assert len(products) > 4000
    assert {p.collection for p in products} == {"SENTINEL-1", "SENTINEL-2"}
    assert min(p.start for p in products).year == 2021 and max(p.start for p in products).year == 2023
    assert len({p.id for p in products}) == len(products) == len({p.name for p in products})
    l2a = next(p for p in products if p.product_type == "S2MSI2A")
    names = zipfile.ZipFile(io.BytesIO(l2a.payload())).namelist()
    assert any(n.endswith("_B04_10m.jp2") and "/IMG_DATA/R10m/" in n for n in names)
    assert all(n.startswith(l2a.name + "/") for n in names)
    assert l2a.md5 == hashlib.md5(l2a.payload()).hexdigest()


def test_filter_clauses_match_an_independent_evaluation(products):
    start, end = datetime(2022, 3, 1, tzinfo=UTC), datetime(2022, 9, 1, tzinfo=UTC)
    text = (
        "Collection/Name eq 'SENTINEL-2' and "
        f"OData.CSC.Intersects(area=geography'SRID=4326;{AOI_WKT}') and "
        "ContentDate/Start gt 2022-03-01T00:00:00.000Z and ContentDate/Start lt 2022-09-01T00:00:00.000Z and "
        "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
        "att/OData.CSC.DoubleAttribute/Value le 30.00) and "
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
        "att/OData.CSC.StringAttribute/Value eq 'S2MSI2A')"
    )
    got = {p.id for p in products if compile_filter(text)(p)}
    want = {
        p.id
        for p in products
        if p.collection == "SENTINEL-2"
        and p.footprint.intersects(AOI)
        and start < p.start < end
        and p.cloud_cover <= 30
        and p.product_type == "S2MSI2A"
    }
    assert want and got == want


def test_filter_or_not_parentheses_name_functions_and_s1_mode(products):
    text = (
        "(contains(Name,'_T31TEJ_') or startswith(Name,'S1B_')) and not (Online eq false) and "
        "(Collection/Name eq 'SENTINEL-2' or Attributes/OData.CSC.StringAttribute/any("
        "att:att/Name eq 'operationalMode' and att/OData.CSC.StringAttribute/Value eq 'IW'))"
    )
    got = {p.id for p in products if compile_filter(text)(p)}
    want = {p.id for p in products if ("_T31TEJ_" in p.name or p.name.startswith("S1B_")) and p.online}
    assert want and got == want
    integer = (
        "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.IntegerAttribute/Value eq 110)"
    )
    assert {p.id for p in products if compile_filter(integer)(p)} == {
        p.id for p in products if p.attribute("relativeOrbitNumber") == 110
    }


@pytest.mark.parametrize(
    "text",
    [
        "Name foo 'x'",
        "Cloud eq 3",
        "contains(Title,'S2')",
        "Collection/Name eq 'SENTINEL-2' and",
        "ContentDate/Start gt 'yesterday'",
        "OData.CSC.Intersects(area=geography'SRID=3857;POLYGON((0 0,1 0,1 1,0 0))')",
        "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 0,1 0,1 1,0 1))')",
        "Attributes/OData.CSC.FloatAttribute/any(att:att/Name eq 'cloudCover')",
        "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
        "att/OData.CSC.DoubleAttribute/Value le 'x')",
        "substringof('S2', Name)",
        "(Online eq true",
    ],
)
def test_unknown_or_invalid_syntax_is_rejected(text):
    with pytest.raises(ODataFilterError):
        compile_filter(text)


# -- catalogue over HTTP -------------------------------------------------------------------------------
def test_invalid_filter_answers_400_with_the_catalogue_error_shape(http, emulator):
    response = search(http, emulator, filter="Name foo 'x'")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail["ErrorCode"] == 400 and detail["ErrorDetail"][0]["loc"] == ["$filter"]
    assert "foo" in detail["ErrorDetail"][0]["msg"] and detail["RequestID"]
    assert search(http, emulator, format="json").status_code == 400  # unknown $ option
    assert search(http, emulator, orderby="Name").status_code == 400
    assert search(http, emulator, expand="Everything").status_code == 400


@pytest.mark.parametrize(
    ("option", "value", "kind"),
    [
        ("top", 1001, "less_than_equal"),
        ("skip", 3001, "less_than_equal"),
        ("top", -1, "greater_than_equal"),
        ("skip", "ten", "int_parsing"),
    ],
)
def test_top_and_skip_caps_answer_422_like_the_service(http, emulator, option, value, kind):
    response = search(http, emulator, **{option: value})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == kind and detail["loc"] == ["query", f"${option}"]


def test_paging_count_orderby_and_next_link_stop_at_the_deep_paging_cap(http, emulator, products):
    s2 = sorted((p for p in products if p.collection == "SENTINEL-2"), key=lambda p: (p.start, p.id))
    first = search(
        http,
        emulator,
        filter="Collection/Name eq 'SENTINEL-2'",
        orderby="ContentDate/Start",
        top=1000,
        count="true",
    )
    body = first.json()
    assert first.status_code == 200 and body["@odata.count"] == len(s2) > 3000
    assert [v["Id"] for v in body["value"]] == [p.id for p in s2[:1000]]
    assert "$skip=1000" in requests.utils.unquote(body["@odata.nextLink"])
    at_cap = search(
        http,
        emulator,
        filter="Collection/Name eq 'SENTINEL-2'",
        orderby="ContentDate/Start",
        top=1000,
        skip=2500,
    ).json()
    assert "@odata.nextLink" not in at_cap  # 2500 + 1000 > cap 3000: no way further
    assert [v["Id"] for v in at_cap["value"]] == [p.id for p in s2[2500:3500]]
    desc = search(
        http, emulator, filter="Collection/Name eq 'SENTINEL-2'", orderby="ContentDate/Start desc", top=3
    ).json()
    assert [v["Id"] for v in desc["value"]] == [
        p.id for p in sorted(s2, key=lambda p: (p.start, p.id), reverse=True)[:3]
    ]
    assert "@odata.count" not in desc and len(search(http, emulator).json()["value"]) == 20  # default $top


def test_expand_attributes_and_product_fields(http, emulator, products):
    product = next(p for p in products if p.product_type == "S2MSI2A" and p.with_checksum)
    body = search(http, emulator, filter=f"Name eq '{product.name}'", expand="Attributes").json()
    item = body["value"][0]
    assert body["@odata.context"] == "$metadata#Products(Attributes())"
    assert item["Id"] == product.id and item["S3Path"].endswith(product.name)
    assert item["Checksum"][0] == {
        "Value": product.md5,
        "Algorithm": "MD5",
        "ChecksumDate": item["PublicationDate"],
    }
    assert item["ContentLength"] == len(product.payload())
    assert item["Footprint"].startswith("geography'SRID=4326;POLYGON ((")
    attrs = {a["Name"]: a for a in item["Attributes"]}
    assert (
        attrs["cloudCover"]["ValueType"] == "Double" and attrs["cloudCover"]["Value"] == product.cloud_cover
    )
    assert attrs["productType"]["@odata.type"] == "#OData.CSC.StringAttribute"
    single = http.get(f"{emulator.catalogue_url}/Products({product.id})").json()
    assert single["Name"] == product.name and "Attributes" not in single


# -- identity -------------------------------------------------------------------------------------------
def test_password_and_refresh_grants_like_keycloak(http, emulator):
    ok = login(http, emulator)
    assert ok.status_code == 200
    tokens = ok.json()
    assert (
        tokens["token_type"] == "Bearer"
        and tokens["expires_in"] == 600
        and tokens["refresh_expires_in"] == 3600
    )
    bad = login(http, emulator, password="wrong")
    assert bad.status_code == 401 and bad.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid user credentials",
    }
    wrong_client = http.post(
        emulator.token_url,
        data={"grant_type": "password", "client_id": "x", "username": "alice", "password": "s3cret"},
    )
    assert wrong_client.status_code == 401 and wrong_client.json()["error"] == "invalid_client"
    form = {
        "grant_type": "refresh_token",
        "client_id": "cdse-public",
        "refresh_token": tokens["refresh_token"],
    }
    refreshed = http.post(emulator.token_url, data=form)
    assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]
    emulator.fail_next_refreshes(1)
    refused = http.post(emulator.token_url, data=form)
    assert refused.status_code == 400 and refused.json()["error_description"] == "Token is not active"


# -- downloads ------------------------------------------------------------------------------------------
def test_download_redirects_to_another_host_serving_ranges_and_refusing_bearer(http, emulator, products):
    product = next(p for p in products if p.online and p.collection == "SENTINEL-2")
    token = login(http, emulator).json()["access_token"]
    url = f"{emulator.zipper_url}/Products({product.id})/$value"
    assert http.get(url).status_code == 401
    first = http.get(url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False)
    assert first.status_code == 302
    location = first.headers["Location"]
    assert location.startswith(emulator.storage_url) and "localhost" in location
    part = http.get(location, headers={"Range": "bytes=100-299"})
    assert part.status_code == 206 and part.content == product.payload()[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(product.payload())}"
    replay = http.get(location, headers={"Range": "bytes=0-9"})
    assert replay.status_code == 206  # a presigned URL may be used again while it is valid
    leaked = http.get(
        http.get(url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False).headers[
            "Location"
        ],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert leaked.status_code == 400 and b"Only one auth mechanism" in leaked.content
    assert any(r.authorization for r in emulator.requests_to("storage"))  # recorded at that host
    whole = http.get(
        url, headers={"Authorization": f"Bearer {token}"}
    )  # requests drops the bearer cross-host
    assert whole.status_code == 200 and hashlib.md5(whole.content).hexdigest() == product.md5
    via_catalogue = http.get(f"{emulator.catalogue_url}/Products({product.id})/$value", allow_redirects=False)
    assert via_catalogue.status_code == 301 and via_catalogue.headers["Location"].startswith(
        emulator.zipper_url
    )


def test_expired_token_is_refused_with_the_service_message(http, emulator, products):
    product = next(p for p in products if p.online)
    token = login(http, emulator, "bob", "hunter22").json()["access_token"]
    emulator.expire_access_tokens()
    response = http.get(
        f"{emulator.zipper_url}/Products({product.id})/$value", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401 and response.json() == {"detail": "Expired signature!"}


def test_fifth_concurrent_session_of_an_account_is_refused_with_429(products):
    chosen = [p for p in products if p.online][:6]
    with CdseEmulator(chosen, accounts={"carol": "pw1234"}) as emu, requests.Session() as http:
        token = login(http, emu, "carol", "pw1234").json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        held = [
            http.get(f"{emu.zipper_url}/Products({p.id})/$value", headers=headers, allow_redirects=False)
            for p in chosen[:4]
        ]
        assert [r.status_code for r in held] == [302] * 4 and emu.open_sessions("carol") == 4
        fifth = http.get(
            f"{emu.zipper_url}/Products({chosen[4].id})/$value", headers=headers, allow_redirects=False
        )
        assert fifth.status_code == 429 and fifth.json() == {"detail": "Max session number 4 exceeded."}
        assert http.get(held[0].headers["Location"]).status_code == 200  # finishing one frees a session
        again = http.get(
            f"{emu.zipper_url}/Products({chosen[4].id})/$value", headers=headers, allow_redirects=False
        )
        assert again.status_code == 302 and emu.max_concurrent["carol"] == 4


def test_throttled_parallel_downloads_are_counted_per_account(products):
    chosen = [p for p in products if p.online][:5]
    with CdseEmulator(chosen, accounts={"dan": "pw1234"}, storage_bytes_per_second=200_000) as emu:
        token = login(requests.Session(), emu, "dan", "pw1234").json()["access_token"]
        statuses: list[int] = []

        def fetch(product):
            with requests.Session() as s:
                statuses.append(
                    s.get(
                        f"{emu.zipper_url}/Products({product.id})/$value",
                        headers={"Authorization": f"Bearer {token}"},
                    ).status_code
                )

        threads = [threading.Thread(target=fetch, args=(p,)) for p in chosen]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(statuses).count(200) >= 4 and emu.max_concurrent["dan"] <= 4
        assert len(statuses) == 5 and (429 in statuses) == (emu.refused_sessions.get("dan", 0) > 0)


def test_fault_injection_storms_malformed_bodies_and_cut_connections(http, emulator, products):
    emulator.inject_fault("catalogue", status=503, count=2, path_contains="/Products")
    assert [search(http, emulator).status_code for _ in range(3)] == [503, 503, 200]
    emulator.inject_fault("catalogue", status=200, body=b'{"value": [{"Id": "', path_contains="/Products")
    with pytest.raises(ValueError):
        search(http, emulator).json()
    product = next(p for p in products if p.online)
    token = login(http, emulator).json()["access_token"]
    emulator.inject_fault("storage", status=None, cut_after=1000)
    try:
        cut = http.get(
            f"{emulator.zipper_url}/Products({product.id})/$value",
            headers={"Authorization": f"Bearer {token}"},
        )
        received = len(cut.content)
        assert int(cut.headers["Content-Length"]) == len(product.payload())
    except requests.exceptions.RequestException:
        received = None  # some urllib3 versions raise on the short body instead
    assert received in (None, 1000)
    assert emulator.requests_to("storage")[-1].bytes_sent == 1000


def test_the_download_service_can_stream_the_bytes_itself(products):
    product = next(p for p in products if p.online)
    with CdseEmulator([product], accounts={"eve": "pw5678"}, redirect_downloads=False) as emu:
        with requests.Session() as http:
            token = login(http, emu, "eve", "pw5678").json()["access_token"]
            url = f"{emu.zipper_url}/Products({product.id})/$value"
            part = http.get(url, headers={"Authorization": f"Bearer {token}", "Range": "bytes=-100"})
            assert part.status_code == 206 and part.content == product.payload()[-100:]
            assert http.head(url, headers={"Authorization": f"Bearer {token}"}).headers[
                "Content-Length"
            ] == str(len(product.payload()))
        assert not emu.requests_to("storage") and emu.open_sessions("eve") == 0
