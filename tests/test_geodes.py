"""GEODES provider against the GEODES emulator (built on the recorded answers): search and paging,
filters, collection aliases, API-key downloads, availability, MD5, partial extraction, Theia scenes."""

from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile

import pytest

from scene_picker.core.credentials import delete_credentials
from scene_picker.core.errors import (
    ActivationError,
    AuthenticationError,
    ChecksumMismatchError,
    MissingCredentialsError,
    ProviderError,
    UsageError,
)
from scene_picker.core.query import Query
from scene_picker.core.scene import Scene
from scene_picker.providers.geodes import GeodesProvider
from scene_picker.providers.polling import PollPolicy
from scene_picker.providers.registry import canonical_name, get_provider, list_providers

from support.geodes_emulator import GeodesEmulator, default_catalogue, make_product

KEY = "geodes-key-7f3a9c01d2"
L2A = "THEIA_REFLECTANCE_SENTINEL2_L2A"
FAST = PollPolicy(interval=0.01, factor=1.0, max_interval=0.01, timeout=30.0)


@pytest.fixture(scope="module")
def geodes():
    with GeodesEmulator(default_catalogue(), api_keys=(KEY,)) as emulator:
        yield emulator


def provider(emulator: GeodesEmulator, **kwargs) -> GeodesProvider:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("poll", FAST)
    return GeodesProvider(url=emulator.root_url, **kwargs)


def members_of(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_registered_with_an_api_key_and_theia_as_alias(geodes):
    infos = {p.name: p for p in list_providers()}
    assert "geodes" in infos and "theia" not in infos
    assert infos["geodes"].credentials.kind == "api_key"
    assert {"sentinel-1", "sentinel-2", "venus"} <= set(infos["geodes"].platforms)
    assert canonical_name("Theia") == "geodes"
    old = get_provider("theia", url=geodes.root_url)
    assert isinstance(old, GeodesProvider) and old.url == geodes.root_url
    assert GeodesProvider().url == "https://geodes-portal.cnes.fr/api/stac"
    # a result file naming the retired Theia catalogue is served from GEODES
    assert (
        GeodesProvider(url="https://theia.cnes.fr/atdistrib").url == "https://geodes-portal.cnes.fr/api/stac"
    )


def test_paging_returns_every_product_once_with_limit_and_page(geodes):
    geodes.search_bodies.clear()
    results = provider(geodes, page_size=5).search(Query.build(collections=L2A))
    assert results.total == 23
    ids = [s.id for s in results]
    assert len(ids) == len(set(ids)) == 23
    assert set(ids) == {p.identifier for p in geodes.products if p.collection == L2A}
    assert [b["page"] for b in geodes.search_bodies] == [1, 2, 3, 4, 5]
    assert {b["limit"] for b in geodes.search_bodies} == {5}
    with pytest.raises(UsageError, match="1 to 80"):
        GeodesProvider(url=geodes.root_url, page_size=81)


def test_max_results_stops_paging(geodes):
    geodes.search_bodies.clear()
    scenes = list(provider(geodes, page_size=5).search(Query.build(collections=L2A, max_results=7)))
    assert len(scenes) == 7 and len(geodes.search_bodies) == 2


def test_filters_are_sent_and_applied(geodes):
    query = Query.build(
        bbox=(0.6, 43.5, 1.0, 44.0),
        start="2025-06-03",
        end="2025-07-10",
        cloud_min=10,
        cloud_max=70,
        collections=L2A,
        extras={"tile": "31TCJ"},
    )
    geodes.search_bodies.clear()
    got = sorted(s.id for s in provider(geodes).search(query))
    sent = geodes.search_bodies[0]["query"]
    assert sent["grid:code"] == {"contains": "T31TCJ"}
    assert sent["eo:cloud_cover"] == {"gte": 10.0, "lte": 70.0}
    expected = sorted(
        p.identifier
        for p in geodes.products
        if p.collection == L2A
        and p.tile == "T31TCJ"
        and 10 <= p.cloud_cover <= 70
        and p.end >= query.start
        and p.start <= query.end
        and p.bbox[0] <= 1.0
    )
    assert got == expected and got


def test_dates_select_products_that_overlap_the_window(geodes):
    product = next(p for p in geodes.products if p.collection == "PEPS_S1_L1")
    assert product.end - product.start == dt.timedelta(seconds=29)
    inside = Query.build(
        collections="PEPS_S1_L1",
        start=(product.start + dt.timedelta(seconds=10)).isoformat(),
        end=(product.start + dt.timedelta(seconds=20)).isoformat(),
    )
    after = Query.build(
        collections="PEPS_S1_L1",
        start=(product.end + dt.timedelta(seconds=1)).isoformat(),
        end=(product.end + dt.timedelta(seconds=5)).isoformat(),
    )
    assert [s.id for s in provider(geodes).search(inside)] == [product.identifier]
    assert [s.id for s in provider(geodes).search(after)] == []


@pytest.mark.parametrize(
    "old_id", ["MUSCATE_SENTINEL2_SENTINEL2_L2A", "SENTINEL2", "muscate_sentinel2_sentinel2_l2a"]
)
def test_collection_ids_renamed_in_december_2025_are_aliases(geodes, old_id):
    geodes.search_bodies.clear()
    results = provider(geodes).search(Query.build(collections=old_id, max_results=1))
    assert results.total == 23
    assert geodes.search_bodies[0]["collections"] == [L2A]


def test_platforms_choose_collections(geodes):
    geodes.search_bodies.clear()
    scenes = list(provider(geodes).search(Query.build(platforms="sentinel-1")))
    assert geodes.search_bodies[0]["collections"] == ["PEPS_S1_L1"]
    assert len(scenes) == 3 and {s.platform for s in scenes} == {"sentinel-1a", "sentinel-1c"}
    with pytest.raises(UsageError, match="none of the platforms"):
        provider(geodes).search(Query.build(platforms="planetscope"))


def test_get_by_identifier_and_by_urn(geodes):
    product = next(p for p in geodes.products if p.collection == "PEPS_S2_L1C")
    by_name = provider(geodes).get(product.identifier)
    by_urn = provider(geodes).get(product.urn)
    assert by_name.id == by_urn.id == product.identifier
    assert by_name.properties["geodes:id"] == product.urn
    with pytest.raises(ProviderError, match="no product"):
        provider(geodes).get("S2X_NOT_THERE")


def test_download_verifies_md5_and_sends_the_key_to_geodes_only(geodes, tmp_path):
    product = geodes.products[0]
    scene = provider(geodes).get(product.identifier)
    geodes.key_log.clear()
    result = provider(geodes).downloader(scene).download(tmp_path)
    assert [p.name for p in result.files] == [f"{product.identifier}.zip"]
    assert result.files[0].read_bytes() == product.archive
    assert geodes.key_log and all(key == KEY for _server, _m, _path, key in geodes.key_log)


def test_a_redirect_to_another_host_carries_no_key(tmp_path):
    with GeodesEmulator(default_catalogue({L2A: 1}), api_keys=(KEY,), redirect=True) as emulator:
        product = emulator.products[0]
        scene = provider(emulator).get(product.identifier)
        result = provider(emulator).downloader(scene).download(tmp_path)
        log = list(emulator.key_log)
    assert result.files[0].read_bytes() == product.archive
    assert [(server, key) for server, _m, _p, key in log] == [("api", KEY), ("data", None)]


def test_a_refused_key_is_a_credentials_error_without_the_key(geodes, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-right-key-4711"
    scene = provider(geodes).get(geodes.products[1].identifier)
    with pytest.raises(AuthenticationError, match="scene-picker login geodes") as info:
        provider(geodes, api_key=wrong).downloader(scene).download(tmp_path)
    assert wrong not in str(info.value) and wrong not in caplog.text
    with pytest.raises(AuthenticationError):
        provider(geodes, api_key=wrong).login()
    provider(geodes).login()  # the right key


def test_no_stored_key_says_how_to_store_one(geodes, tmp_path):
    delete_credentials("geodes")
    scene = provider(geodes).get(geodes.products[1].identifier)
    with pytest.raises(MissingCredentialsError, match="scene-picker login geodes"):
        GeodesProvider(url=geodes.root_url).downloader(scene).download(tmp_path)


def test_a_corrupt_archive_is_fetched_again_then_refused(geodes, tmp_path):
    product = geodes.products[2]
    scene = provider(geodes).get(product.identifier)
    geodes.corrupt(product.urn, 1)
    result = provider(geodes).downloader(scene).download(tmp_path / "once")
    assert result.files[0].read_bytes() == product.archive
    geodes.corrupt(product.urn, 10)
    with pytest.raises(ChecksumMismatchError, match="MD5"):
        provider(geodes).downloader(scene).download(tmp_path / "always")
    geodes.corrupt(product.urn, 0)
    assert not list((tmp_path / "always").rglob("*.zip"))


def test_an_offline_product_is_awaited_through_the_availability_service(tmp_path):
    product = make_product(L2A, 0)
    product.online = False
    with GeodesEmulator([product], api_keys=(KEY,), offline_checks=3) as emulator:
        scene = provider(emulator).get(product.identifier)
        assert scene.online is False
        result = provider(emulator).downloader(scene).download(tmp_path)
        log = [(m, path) for _s, m, path, _k in emulator.key_log]
    assert result.files[0].read_bytes() == product.archive
    assert [path for _m, path in log] == ["/fastavailability"] * 3 + [log[-1][1]]
    assert log[-1][1].startswith("/api/download/")


def test_an_offline_product_that_stays_offline_ends_the_wait(tmp_path):
    product = make_product(L2A, 1)
    product.online = False
    policy = PollPolicy(interval=0.01, factor=1.0, max_interval=0.01, timeout=30.0, max_polls=4)
    with GeodesEmulator([product], api_keys=(KEY,), offline_checks=10**6) as emulator:
        scene = provider(emulator).get(product.identifier)
        with pytest.raises(ActivationError, match="4 status checks"):
            provider(emulator, poll=policy).downloader(scene).download(tmp_path)
        assert not any(path.startswith("/api/download/") for _s, _m, path, _k in emulator.key_log)


@pytest.mark.parametrize("options", [{}, {"cut_bounded": True}, {"redirect": True}])
def test_two_members_are_extracted_with_ranges(tmp_path, options):
    product = make_product(L2A, 3)
    wanted = ("*_FRE_B4.tif", "*_MTD_ALL.xml")
    with GeodesEmulator([product], api_keys=(KEY,), **options) as emulator:
        scene = provider(emulator).get(product.identifier)
        result = provider(emulator).downloader(scene).download(tmp_path, members=wanted)
        ranged = [
            r
            for r in emulator.server.log + emulator.data_server.log
            if r.path.endswith((product.md5, ".zip"))
        ]
    expected = {
        n: d for n, d in members_of(product.archive).items() if n.endswith(("_FRE_B4.tif", "_MTD_ALL.xml"))
    }
    assert len(expected) == 2
    assert {
        p.relative_to(tmp_path / product.identifier).as_posix(): p.read_bytes() for p in result.files
    } == expected
    assert result.bytes_fetched < len(product.archive)
    assert ranged and all(r.range for r in ranged if r.method == "GET")


def test_no_ranges_falls_back_to_the_whole_archive_with_a_message(tmp_path, caplog):
    product = make_product(L2A, 4)
    with GeodesEmulator([product], api_keys=(KEY,), ranges=False) as emulator:
        scene = provider(emulator).get(product.identifier)
        with caplog.at_level(logging.WARNING):
            result = provider(emulator).downloader(scene).download(tmp_path, members=["*_FRE_B4.tif"])
    assert "does not serve byte ranges" in caplog.text and "whole archive" in caplog.text
    assert [p.name for p in result.files] == [f"{product.identifier}.zip"]
    assert result.files[0].read_bytes() == product.archive


def theia_feature(identifier: str) -> dict:
    """A scene as the retired ``theia`` provider wrote it in result files and queue entries."""
    uuid = "2f1c8c9e-0c1f-4f3e-9a63-2b7d4c6b1a11"
    return {
        "type": "Feature",
        "id": identifier,
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[0.5, 43.2], [1.8, 43.2], [1.8, 44.2], [0.5, 43.2]]],
        },
        "properties": {
            "provider": "theia",
            "datetime": "2025-06-01T10:58:56Z",
            "platform": "SENTINEL2A",
            "collection": "SENTINEL2",
            "eo:cloud_cover": 12.0,
            "online": True,
            "theia_id": uuid,
            "location": "T31TCJ",
        },
        "assets": {
            "archive": {
                "href": f"https://theia.cnes.fr/atdistrib/resto2/collections/SENTINEL2/{uuid}/download/?issuerId=theia",
                "type": "application/zip",
                "roles": ["data"],
                "file:size": 1000,
                "checksum": "md5:0123456789abcdef0123456789abcdef",
            }
        },
    }


def test_a_theia_scene_from_an_old_result_file_is_downloaded_from_geodes(geodes, tmp_path):
    product = geodes.products[5]
    scene = Scene.from_feature(theia_feature(product.identifier))
    old = get_provider(scene.provider, url=geodes.root_url, api_key=KEY)
    geodes.key_log.clear()
    result = old.downloader(scene).download(tmp_path, members=["*_MTD_ALL.xml"])
    assert [p.name for p in result.files] == [f"{product.identifier}_MTD_ALL.xml"]
    assert (
        result.files[0].read_bytes()
        == members_of(product.archive)[f"{product.identifier}/{product.identifier}_MTD_ALL.xml"]
    )
    assert all("theia.cnes.fr" not in path for _s, _m, path, _k in geodes.key_log)


def test_a_theia_scene_geodes_does_not_know_is_refused_with_how_to_search_again(geodes, tmp_path):
    scene = Scene.from_feature(theia_feature("SENTINEL2B_20230606-105849-542_L2A_T31TCJ_C_V3-1"))
    with pytest.raises(ProviderError) as info:
        get_provider("theia", url=geodes.root_url, api_key=KEY).downloader(scene).download(tmp_path)
    assert "retired Theia" in str(info.value)
    assert "scene-picker search --provider geodes" in str(info.value)


def test_members_from_nginx_behind_a_proxy_cutting_ranges_short(served_dir, proxy, tmp_path):
    """GEODES redirecting to a data host (Debian's nginx behind the fault proxy) that cuts bounded
    ranges short: the two members still come whole, and the key never reaches that host."""
    product = make_product(L2A, 6)
    (served_dir / f"{product.identifier}.zip").write_bytes(product.archive)
    proxy.configure(short_ranges=1000)
    with GeodesEmulator([product], api_keys=(KEY,), redirect=proxy.base_url) as emulator:
        scene = provider(emulator).get(product.identifier)
        result = (
            provider(emulator).downloader(scene).download(tmp_path, members=["*_FRE_B2.tif", "*_CLM_R1.tif"])
        )
    expected = {
        n: d for n, d in members_of(product.archive).items() if n.endswith(("_FRE_B2.tif", "_CLM_R1.tif"))
    }
    assert {
        p.relative_to(tmp_path / product.identifier).as_posix(): p.read_bytes() for p in result.files
    } == expected
    assert proxy.log and all(r.range for r in proxy.log) and any(r.cut for r in proxy.log)
    assert not any("x-api-key" in {k.lower() for k in r.headers} for r in proxy.log)


@pytest.mark.parametrize("tile", ["31TDJ", "T31TDJ", "MGRS-31TDJ", "t31tdj"])
def test_tile_spellings_and_relative_orbit(geodes, tile):
    query = Query.build(collections=L2A, extras={"tile": tile, "relativeOrbitNumber": "51"})
    geodes.search_bodies.clear()
    got = sorted(s.id for s in provider(geodes).search(query))
    assert geodes.search_bodies[0]["query"] == {
        "grid:code": {"contains": "T31TDJ"},
        "sat:relative_orbit": {"eq": 51},
    }
    expected = sorted(
        p.identifier
        for p in geodes.products
        if p.tile == "T31TDJ" and p.relative_orbit == 51 and p.collection == L2A
    )
    assert got == expected and got
    with pytest.raises(UsageError, match="relative orbit"):
        provider(geodes).search(Query.build(collections=L2A, extras={"relativeOrbitNumber": "fifty"}))


def test_without_an_availability_service_the_download_is_tried(tmp_path):
    product = make_product(L2A, 7)
    product.online = False  # marked offline, but the (mirror's) server has no availability service
    with GeodesEmulator([product], api_keys=(KEY,), offline_checks=0, availability=False) as emulator:
        scene = provider(emulator).get(product.identifier)
        result = provider(emulator).downloader(scene).download(tmp_path)
        statuses = [(r.path, r.status) for r in emulator.server.log if r.method == "POST"]
    assert result.files[0].read_bytes() == product.archive
    assert ("/fastavailability", 404) in statuses
