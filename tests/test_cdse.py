"""The CDSE provider against the CDSE emulator (tests/support/cdse_emulator.py): search past the paging
caps, Keycloak tokens, zipper downloads with MD5, partial SAFE extraction, the account pool, skipping
products already there, and clear errors (acceptance points 1-6 of the CDSE issue)."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timezone
from urllib.parse import unquote

import pytest
from shapely.geometry import Point, box

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import (
    AuthenticationError,
    ChecksumMismatchError,
    ProviderError,
    ProviderResponseError,
    RetriesExhaustedError,
    UsageError,
)
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.query import Query
from scene_picker.providers.cdse import CdseProvider
from scene_picker.providers.registry import get_provider, list_providers

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import S2_TILES, default_products, generate_products

UTC = timezone.utc
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05)
REGION = box(0.6, 42.4, 5.5, 45.0)


def fast_http() -> HttpClient:
    return HttpClient(name="CDSE", retry=FAST)


def provider_for(emu: CdseEmulator, **options) -> CdseProvider:
    options.setdefault("http", fast_http())
    options.setdefault("download_retry", FAST)
    return CdseProvider(emu.catalogue_url, emu.zipper_url, emu.token_url, **options)


@pytest.fixture(scope="module")
def products():
    return list(default_products())


@pytest.fixture(scope="module")
def catalogue(products):
    """The whole ground truth behind caps small enough that a 3-year query must be sliced."""
    with CdseEmulator(products, skip_cap=1000) as emu:
        yield emu


@pytest.fixture()
def downloads():
    """Few products with sizeable SAFE members, two accounts, a fresh emulator per test."""
    chosen = [
        p
        for p in generate_products(
            years=1, tiles=S2_TILES[:2], sentinel1=False, member_size=65536, missing_checksum_ratio=0
        )
        if p.online and p.product_type == "S2MSI2A"
    ][:14]
    with CdseEmulator(chosen, accounts={"ann@example.org": "pw-ann-1", "ben@example.org": "pw-ben-2"}) as emu:
        yield emu


def truth(products, query: Query, collection: str = "SENTINEL-2") -> set[str]:
    """Ground truth computed from the products directly, not through the emulator's filter parser."""
    return {
        p.name
        for p in products
        if p.collection == collection
        and (query.aoi is None or p.footprint.intersects(query.aoi))
        and query.start <= p.start <= query.end
        and (query.cloud_max is None or (p.cloud_cover is not None and p.cloud_cover <= query.cloud_max))
        and (query.product_type is None or p.product_type == query.product_type)
    }


# -- 1: search past the caps -----------------------------------------------------------------------------
def test_three_year_query_beyond_the_caps_returns_every_product_exactly_once(catalogue, products):
    query = Query.build(
        aoi=REGION, start="2021-01-01", end="2023-12-31", cloud_max=80, collections="SENTINEL-2"
    )
    want = truth(products, query)
    assert len(want) > 1000 + 1000  # more than one request sequence ($top 1000 + $skip 1000) can reach
    provider = provider_for(catalogue, skip_cap=1000)  # the cap the service documents (10 000 there)
    results = provider.search(query)
    names = [scene.id for scene in results]
    assert len(names) == len(set(names)) and set(names) == want
    assert results.total == len(want)
    assert provider.last_stats.splits >= 1
    catalogue_answers = [r.status for r in catalogue.requests_to("catalogue")]
    assert catalogue_answers and set(catalogue_answers) == {200}  # never a 422 for an over-deep $skip


def test_a_lower_skip_cap_than_expected_is_learned_from_the_422(catalogue, products):
    query = Query.build(
        aoi=REGION, start="2021-01-01", end="2023-12-31", cloud_max=80, collections="SENTINEL-2"
    )
    before = len(catalogue.requests_to("catalogue"))
    provider = provider_for(catalogue)  # believes the cap is 10 000
    names = [scene.id for scene in provider.search(query)]
    assert len(names) == len(set(names)) and set(names) == truth(products, query)
    answers = [r.status for r in catalogue.requests_to("catalogue")[before:]]
    assert answers.count(422) == 1  # learned once, then sliced below it
    before = len(catalogue.requests_to("catalogue"))
    assert len(list(provider.search(query))) == len(names)
    assert 422 not in [r.status for r in catalogue.requests_to("catalogue")[before:]]  # remembered


def test_a_very_detailed_aoi_is_sent_as_a_hull_and_checked_here(catalogue, products):
    ring = Point(3.3, 43.6).buffer(0.4, quad_segs=128)  # 513 vertices
    query = Query.build(aoi=ring, start="2022-01-01", end="2022-12-31", collections="SENTINEL-2")
    before = len(catalogue.requests_to("catalogue"))
    names = sorted(s.id for s in provider_for(catalogue).search(query))
    assert names == sorted(truth(products, query)) and names
    sent = unquote(catalogue.requests_to("catalogue")[before].path)
    assert sent.count(",") < 250  # not 513 vertices in the URL


def test_user_time_slices_and_small_pages_give_the_same_set(catalogue, products):
    query = Query.build(
        aoi=REGION, start="2021-01-01", end="2023-12-31", cloud_max=80, collections="SENTINEL-2"
    )
    provider = provider_for(catalogue, slice_days=100, page_size=250)
    scenes = list(provider.search(query))
    assert sorted(s.id for s in scenes) == sorted(truth(products, query))
    assert provider.last_stats.slices >= 11
    first = scenes[0]
    assert first.collection == "SENTINEL-2" and first.platform in ("sentinel-2a", "sentinel-2b")
    assert first.assets["product"].checksum is None or first.assets["product"].checksum.algorithm == "md5"
    assert first.properties["s3_path"].startswith("/eodata/Sentinel-2/")
    assert first.footprint.intersects(REGION) and first.cloud_cover <= 80


def test_product_type_sensor_mode_name_and_online_filters(catalogue, products):
    query = Query.build(
        aoi=REGION,
        start="2022-01-01",
        end="2022-12-31",
        collections="SENTINEL-1",
        product_type="IW_GRDH_1S",
        extras={"sensor_mode": "IW", "name_contains": "S1A_", "online": True},
    )
    got = sorted(s.id for s in provider_for(catalogue).search(query))
    want = sorted(n for n in truth(products, query, "SENTINEL-1") if n.startswith("S1A_") and "GRDH" in n)
    online = {p.name for p in products if p.online}
    assert got == [n for n in want if n in online] and got
    assert all(s.properties["operationalMode"] == "IW" for s in provider_for(catalogue).search(query))


def test_platform_serials_narrow_the_mission(catalogue, products):
    query = Query.build(aoi=REGION, start="2022-04-01", end="2022-06-30", platforms="sentinel-2b,sentinel-1a")
    got = sorted(s.id for s in provider_for(catalogue).search(query))
    want = sorted(
        n
        for c in ("SENTINEL-2", "SENTINEL-1")
        for n in truth(products, query, c)
        if n.startswith(("S2B_", "S1A_"))
    )
    assert got == want and any(n.startswith("S1A_") for n in got) and any(n.startswith("S2B_") for n in got)
    both = Query.build(aoi=REGION, start="2022-04-01", end="2022-04-30", platforms="sentinel-2,sentinel-2b")
    assert {s.id[:3] for s in provider_for(catalogue).search(both)} == {"S2A", "S2B"}


def test_get_by_id_and_by_name_and_max_results(catalogue, products):
    provider = provider_for(catalogue)
    product = next(p for p in products if p.collection == "SENTINEL-2")
    assert provider.get(product.id).id == product.name
    assert provider.get(product.name[:-5]).properties["cdse_id"] == product.id
    with pytest.raises(ProviderError, match="no product"):
        provider.get("S2A_MSIL2A_NOT_THERE")
    query = Query.build(start="2022-01-01", end="2022-12-31", collections="SENTINEL-2", max_results=7)
    assert len(list(provider.search(query))) == 7
    with pytest.raises(UsageError):
        provider.search(Query.build(collections="LANDSAT-9"))


def test_registered_in_the_registry():
    info = {p.name: p for p in list_providers()}["cdse"]
    assert info.credentials is not None and "TOTP" in info.credentials.description
    assert isinstance(get_provider("cdse"), CdseProvider)


# -- 6: clear errors ----------------------------------------------------------------------------------------
def test_a_503_storm_ends_in_retries_exhausted(catalogue):
    catalogue.inject_fault("catalogue", status=503, count=3, path_contains="/Products")
    query = Query.build(start="2022-01-01", end="2022-01-31", collections="SENTINEL-2")
    with pytest.raises(RetriesExhaustedError, match="503"):
        list(provider_for(catalogue).search(query))


@pytest.mark.parametrize(
    ("body", "content_type", "match"),
    [
        (b'{"@odata.context": "$metadata#Products", "value": [{"Id": "', "application/json", "valid JSON"),
        (b'{"@odata.context": "$metadata#Products", "items": []}', "application/json", "product list"),
        (b"<html><body>502 Bad Gateway</body></html>", "text/html", "HTML"),
        (b'{"value": [{"Name": "S2A_X.SAFE"}]}', "application/json", "malformed product"),
    ],
)
def test_a_malformed_odata_answer_is_a_provider_response_error(catalogue, body, content_type, match):
    catalogue.inject_fault(
        "catalogue", status=200, body=body, content_type=content_type, path_contains="/Products"
    )
    query = Query.build(start="2022-01-01", end="2022-01-31", collections="SENTINEL-2")
    with pytest.raises(ProviderResponseError, match=match):
        list(provider_for(catalogue).search(query))


def test_a_refused_filter_names_the_service_reason(catalogue):
    detail = {
        "ErrorMessage": "Invalid filter.",
        "ErrorCode": 400,
        "ErrorDetail": [{"loc": ["$filter"], "msg": "Unknown property"}],
        "RequestID": "x",
    }
    body = json.dumps({"detail": detail}).encode()
    catalogue.inject_fault("catalogue", status=400, body=body, path_contains="/Products")
    with pytest.raises(
        ProviderError, match=r"refused the search: Invalid filter. \(\$filter: Unknown property\)"
    ):
        list(provider_for(catalogue).search(Query.build(start="2022-01-01", end="2022-01-31")))


def test_bad_credentials_are_a_clear_authentication_error(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ann@example.org", "wrong-password")])
    scene = next(iter(provider.search(Query.build(start="2021-01-01", end="2021-12-31"))))
    with pytest.raises(AuthenticationError) as info:
        provider.downloader(scene).download(tmp_path)
    message = str(info.value)
    assert "ann@example.org" in message and "Invalid user credentials" in message
    assert "wrong-password" not in message
    assert not downloads.requests_to("zipper") and not list(tmp_path.iterdir())


# -- 2, 3: tokens and redirects ------------------------------------------------------------------------
def test_a_download_outliving_its_token_refreshes_then_logs_in_again(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ann@example.org", "pw-ann-1")])
    product = downloads.products[0]
    scene = provider.get(product.id)

    def token_dies() -> None:  # the access token's life ends while the bytes flow
        downloads.expire_access_tokens()

    def token_and_refresh_die() -> None:  # ... and later the refresh token is refused too
        downloads.expire_access_tokens()
        downloads.fail_next_refreshes(1)

    # The connection drops twice mid-download (a resume each time), each time after the token expired.
    downloads.inject_fault("storage", status=None, cut_after=150_000, then=token_dies)
    downloads.inject_fault("storage", status=None, cut_after=150_000, then=token_and_refresh_die)
    result = provider.downloader(scene).download(tmp_path)
    target = tmp_path / f"{product.name}.zip"
    assert result.files == [target] and hashlib.md5(target.read_bytes()).hexdigest() == product.md5
    assert downloads.grants("password", "ok") == 2  # the first sign-in, then one re-login
    assert downloads.grants("refresh_token", "ok") == 1  # the first expiry: refresh used
    assert downloads.grants("refresh_token", "invalid_grant") == 1  # the second: refused, hence the login
    zipper = [r.status for r in downloads.requests_to("zipper")]
    assert zipper == [302, 401, 302, 401, 302]
    assert [r.range for r in downloads.requests_to("storage")] == [None, "bytes=150000-", "bytes=300000-"]


def test_the_bearer_token_never_reaches_the_storage_host(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ann@example.org", "pw-ann-1")])
    first, second = [provider.get(p.id) for p in downloads.products[:2]]
    provider.downloader(first).download(tmp_path / "whole")
    provider.downloader(second).download(tmp_path / "parts", members=["*_B04_10m.jp2"])
    storage = downloads.requests_to("storage")
    zipper = downloads.requests_to("zipper")
    assert len(storage) >= 3 and all(r.authorization is None for r in storage)
    assert zipper and all((r.authorization or "").startswith("Bearer ") for r in zipper)
    assert all(r.status in (200, 206) for r in storage)


def test_an_archive_not_matching_the_catalogue_md5_is_refused(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ann@example.org", "pw-ann-1")])
    product = downloads.products[5]
    scene = provider.get(product.id)
    assert scene.assets["product"].checksum.hexdigest == product.md5  # from the Checksum list
    damaged = bytearray(product.payload())
    damaged[len(damaged) // 2] ^= 0xFF  # same size, one byte flipped on the server side
    product._payload = bytes(damaged)
    with pytest.raises(ChecksumMismatchError):
        provider.downloader(scene).download(tmp_path)
    assert not (tmp_path / f"{product.name}.zip").exists()


# -- 4: partial extraction -------------------------------------------------------------------------------
def test_partial_extraction_reads_only_the_two_bands(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ben@example.org", "pw-ben-2")])
    product = downloads.products[3]
    scene = provider.get(product.name)
    result = provider.downloader(scene).download(tmp_path, members=["*_B04_10m.jp2", "*_B11_20m.jp2"])
    expected = {
        name: data
        for name, data in product.members().items()
        if name.endswith(("_B04_10m.jp2", "_B11_20m.jp2"))
    }
    assert sorted(p.relative_to(tmp_path).as_posix() for p in result.files) == sorted(expected)
    for path in result.files:
        assert path.read_bytes() == expected[path.relative_to(tmp_path).as_posix()]
    served = sum(r.bytes_sent for r in downloads.requests_to("storage"))
    wanted = sum(len(data) for data in expected.values())
    whole = len(product.payload())
    assert wanted <= served <= wanted + 16 * 1024  # the two members, the directory, two local headers
    assert served < whole / 4


# -- 5: the account pool ---------------------------------------------------------------------------------
def test_two_accounts_four_sessions_each_download_twelve_products(tmp_path):
    chosen = [
        p
        for p in generate_products(
            years=1, tiles=S2_TILES[:3], sentinel1=False, member_size=16384, missing_checksum_ratio=0
        )
        if p.online
    ][:12]
    accounts = {"ann@example.org": "pw-ann-1", "ben@example.org": "pw-ben-2"}
    with CdseEmulator(chosen, accounts=accounts, storage_bytes_per_second=400_000) as emu:
        provider = provider_for(emu, accounts=list(accounts.items()))
        scenes = [provider.get(p.id) for p in chosen]
        results = provider.download_all(scenes, tmp_path)
        assert all(r.ok for r in results) and len(results) == 12
        for product in chosen:
            assert hashlib.md5((tmp_path / f"{product.name}.zip").read_bytes()).hexdigest() == product.md5
        assert emu.refused_sessions == {}
        assert set(emu.max_concurrent) == set(accounts)
        assert all(2 <= emu.max_concurrent[a] <= 4 for a in accounts)
        per_account = {a: sum(1 for r in emu.requests_to("zipper") if r.account == a) for a in accounts}
        # Round-robin: the first 8 leases alternate (4 each); later ones go to whichever has a free session.
        assert sum(per_account.values()) == 12 and min(per_account.values()) >= 4


def test_an_account_failing_sign_in_is_blacklisted_for_the_run(downloads, tmp_path, caplog):
    provider = provider_for(downloads, accounts=[("ann@example.org", "bad"), ("ben@example.org", "pw-ben-2")])
    scenes = [provider.get(p.id) for p in downloads.products[:3]]
    with caplog.at_level(logging.WARNING):
        results = provider.download_all(scenes, tmp_path)
    assert all(r.ok for r in results)
    ann = provider.pool.accounts[0]
    assert ann.blacklisted and "Invalid user credentials" in ann.blacklisted
    assert downloads.grants("password", "invalid_grant", "ann@example.org") == 1  # tried once only
    assert "ann@example.org" in caplog.text and "not used again" in caplog.text
    assert {r.account for r in downloads.requests_to("zipper")} == {"ben@example.org"}


def test_every_account_failing_is_one_clear_error(downloads, tmp_path):
    provider = provider_for(downloads, accounts=[("ann@example.org", "bad"), ("ben@example.org", "bad")])
    scene = provider.get(downloads.products[0].id)
    with pytest.raises(AuthenticationError, match="Every CDSE account failed to sign in"):
        provider.downloader(scene).download(tmp_path)


def test_accounts_come_from_the_keyring(downloads, tmp_path):
    store_credentials("cdse", "ann@example.org", "pw-ann-1")
    store_credentials("cdse-2", "ben@example.org", "pw-ben-2")
    try:
        provider = provider_for(downloads)
        assert [a.username for a in provider.pool.accounts] == ["ann@example.org", "ben@example.org"]
        provider.login()
        assert downloads.grants("password", "ok") == 2
    finally:
        delete_credentials("cdse")
        delete_credentials("cdse-2")


# -- skipping what is there -----------------------------------------------------------------------------
def test_products_in_the_output_or_archive_folders_are_skipped(downloads, tmp_path):
    archive = tmp_path / "archive" / "2021"
    first, second, third = downloads.products[:3]
    (archive / first.name).mkdir(parents=True)  # an unzipped SAFE in an archive folder
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{second.name[:-5]}.zip").write_bytes(b"zip")  # a zip named without .SAFE
    provider = provider_for(
        downloads, accounts=[("ann@example.org", "pw-ann-1")], archive_dirs=[tmp_path / "archive"]
    )
    results = provider.download_all([provider.get(p.id) for p in (first, second, third)], out)
    assert [r.skipped for r in results] == [1, 1, 0]
    assert results[0].files == [archive / first.name]
    assert {r.path.split("/")[-2] for r in downloads.requests_to("zipper")} == {f"Products({third.id})"}
