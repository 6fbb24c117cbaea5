"""Terrascope provider against the Terrascope emulator: OpenSearch paging, link roles, MEP paths,
OpenID/Basic auth errors, and a band opened through GDAL's /vsicurl/ without download."""

from __future__ import annotations

import hashlib
import logging
import os

import pytest

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import AuthenticationError, MissingCredentialsError, ProviderError, UsageError
from scene_picker.core.query import Query
from scene_picker.providers.gdal_access import GdalHttpAccess, vsicurl_path
from scene_picker.providers.registry import get_provider, list_providers
from scene_picker.providers.terrascope import TerrascopeDownloader, TerrascopeProvider

from support.stac_server import stac_api  # noqa: F401 - session fixture (a real STAC API)
from support.terrascope_emulator import FAPAR, NDVI, TerrascopeEmulator, band_pixels, make_product

USER, PASSWORD = "vito-user", "vito-pass"


@pytest.fixture(scope="module")
def terrascope():
    products = [make_product(NDVI, i) for i in range(12)] + [make_product(FAPAR, i) for i in range(3)]
    products[11].on_mep = False  # catalogued, but its files are not on this machine's /data
    with TerrascopeEmulator(products, users={USER: PASSWORD}) as emulator:
        yield emulator


def provider(ts: TerrascopeEmulator, **kwargs) -> TerrascopeProvider:
    kwargs.setdefault("username", USER)
    kwargs.setdefault("password", PASSWORD)
    return TerrascopeProvider(url=ts.base_url, token_url=ts.token_url, **kwargs)


def catalogue_requests(ts: TerrascopeEmulator):
    return ts.services.requests_matching(lambda r: r.path == "/catalogue/products")


def test_registered():
    info = {p.name: p for p in list_providers()}["terrascope"]
    assert info.credentials is not None and "sentinel-2" in info.platforms


def test_opensearch_paging_returns_every_product_once(terrascope):
    terrascope.services.clear_log()
    results = provider(terrascope, page_size=5).search(Query.build(collections=NDVI))
    assert results.total == 12
    ids = [s.id for s in results]
    assert len(ids) == len(set(ids)) == 12
    assert set(ids) == {p.id for p in terrascope.products if p.collection == NDVI}
    starts = [int(r.query["startIndex"][0]) for r in catalogue_requests(terrascope)]
    assert starts == [1, 6, 11]


def test_filters_are_sent_as_opensearch_parameters(terrascope):
    query = Query.build(
        bbox=(2.5, 50.0, 4.2, 52.0), start="2023-06-02", end="2023-06-09", cloud_max=60, collections=NDVI
    )
    terrascope.services.clear_log()
    got = sorted(s.id for s in provider(terrascope).search(query))
    sent = catalogue_requests(terrascope)[0].query
    assert sent["cloudCover"] == ["[0,60]"] and sent["start"] == ["2023-06-02T00:00:00Z"]
    assert sent["bbox"] == ["2.500000,50.000000,4.200000,52.000000"]
    expected = sorted(
        p.id
        for p in terrascope.products
        if p.collection == NDVI
        and p.cloud_cover <= 60
        and query.start <= p.start <= query.end
        and p.bbox[0] <= 4.2
    )
    assert got == expected and got


def test_links_become_assets_with_roles(terrascope):
    scene = next(iter(provider(terrascope).search(Query.build(collections=FAPAR, max_results=1))))
    product = next(p for p in terrascope.products if p.id == scene.id)
    roles = {a.key: a.roles for a in scene.assets.values()}
    by_kind = {f.kind: f for f in product.files}
    data = [a for a in scene.assets.values() if "data" in a.roles]
    assert len(data) == 1 and data[0].href.endswith("/download/" + by_kind["data"].path)
    assert data[0].size == len(by_kind["data"].content) and data[0].media_type == "image/tiff"
    assert sorted(r for rs in roles.values() for r in rs) == ["data", "metadata", "overview", "quality"]
    assert scene.quicklook == scene.assets_with_role("overview")[0].href
    assert scene.platform == f"SENTINEL-2 {product.platform}" and scene.cloud_cover == product.cloud_cover
    assert scene.collection == FAPAR and scene.properties["tileId"] == product.tile


def test_get_one_product(terrascope):
    wanted = terrascope.products[3]
    assert provider(terrascope).get(wanted.id).id == wanted.id
    with pytest.raises(ProviderError, match="no product"):
        provider(terrascope).get(NDVI + ":S2A_NOPE")


def test_mep_paths_are_used_without_http(terrascope, tmp_path):
    p = provider(terrascope, accessed_from="MEP")
    scenes = list(p.search(Query.build(collections=NDVI, max_results=3)))
    assert scenes and all(a.href.startswith("file://") for s in scenes for a in s.assets.values())
    terrascope.services.clear_log()
    for scene in scenes:
        result = p.downloader(scene).download(tmp_path, assets=["role:data", "role:metadata"])
        product = next(x for x in terrascope.products if x.id == scene.id)
        wanted = {
            f.path.rsplit("/", 1)[-1]: f.content for f in product.files if f.kind in ("data", "alternates")
        }
        assert sorted(f.name for f in result.files) == sorted(wanted)
        for path in result.files:
            assert path.read_bytes() == wanted[path.name]
            source = terrascope.mep_root / next(f.path for f in product.files if f.path.endswith(path.name))
            if path.stat().st_dev == source.stat().st_dev:
                assert os.path.samefile(path, source)  # hard-linked: no byte copied
    assert terrascope.services.requests_matching(lambda r: r.path.startswith("/download/")) == []


def test_mep_path_missing_here_is_a_clear_error(terrascope, tmp_path):
    absent = terrascope.products[11]
    scene = provider(terrascope, accessed_from="MEP").get(absent.id)
    with pytest.raises(ProviderError, match="accessed_from='MEP'"):
        provider(terrascope, accessed_from="MEP").downloader(scene).download(tmp_path)


def test_wrong_password_names_the_provider_without_secret(terrascope, caplog):
    secret = "Wrong-Secret-8899"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        provider(terrascope, password=secret).login()
    message = str(info.value)
    assert "Terrascope" in message and USER in message
    assert "scene-picker login terrascope" in message and "PROVIDER" not in message
    assert secret not in message and secret not in caplog.text


def test_credentials_come_from_the_keyring(terrascope):
    delete_credentials("terrascope")
    with pytest.raises(MissingCredentialsError, match="scene-picker login terrascope"):
        get_provider("terrascope", url=terrascope.base_url, token_url=terrascope.token_url).login()
    store_credentials("terrascope", USER, PASSWORD)
    try:
        before = terrascope.grants["password"]
        get_provider("terrascope", url=terrascope.base_url, token_url=terrascope.token_url).login()
        assert terrascope.grants["password"] == before + 1
    finally:
        delete_credentials("terrascope")


def test_band_opens_through_vsicurl_with_bearer_in_gdal_options(terrascope):
    gdal = pytest.importorskip("osgeo.gdal", reason="python3-gdal is not installed")
    p = provider(terrascope)
    scene = p.get(terrascope.products[0].id)
    asset = scene.assets_with_role("data")[0]
    path, access = p.gdal_access(asset)
    token = access.options["GDAL_HTTP_HEADERS"].split("Bearer ", 1)[1]
    assert path == "/vsicurl/" + asset.href and token not in path and token not in repr(access)
    with access:
        dataset = gdal.Open(path)
        assert dataset is not None
        assert (dataset.RasterXSize, dataset.RasterYSize) == (32, 16)
        pixels = dataset.GetRasterBand(1).ReadRaster()
        dataset = None
    title = terrascope.products[0].title
    assert hashlib.sha256(pixels).digest() == hashlib.sha256(band_pixels(f"{title}-0")).digest()
    bearer_reads = terrascope.services.requests_matching(
        lambda r: r.path.endswith(asset.href.rsplit("/", 1)[-1])
    )
    assert bearer_reads and all(r.status in (200, 206) for r in bearer_reads)
    # Without the options, the same path is refused (the credentials were only in GDAL's options).
    gdal.VSICurlClearCache()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        try:
            refused = gdal.Open(path)
        except RuntimeError:  # GDAL exceptions may be on (the plugin's layer code turns them on)
            refused = None
        assert refused is None
    finally:
        gdal.PopErrorHandler()


def test_band_opens_through_vsicurl_with_basic_auth(terrascope):
    gdal = pytest.importorskip("osgeo.gdal", reason="python3-gdal is not installed")
    p = provider(terrascope, auth="basic")
    asset = p.get(terrascope.products[1].id).assets_with_role("data")[0]
    path, access = p.gdal_access(asset)
    assert PASSWORD not in path
    with access:
        dataset = gdal.Open(path)
        assert dataset is not None and dataset.GetRasterBand(1).ReadRaster() == band_pixels(
            f"{terrascope.products[1].title}-0"
        )
        dataset = None


def test_ten_products_with_two_second_tokens_and_no_429(tmp_path):
    """Acceptance 2: 90 files (more than the 80 requests the server allows per 10 s) with tokens that
    live 2 s: every file arrives, tokens are refreshed with the refresh token, and the server's limiter
    never has to refuse a request because ours spaced them first."""
    products = [make_product(NDVI, i, files_per_product=9) for i in range(10)]
    with TerrascopeEmulator(products, users={USER: PASSWORD}, access_lifetime=2.0) as ts:
        p = provider(ts)
        scenes = list(p.search(Query.build(collections=NDVI)))
        assert len(scenes) == 10
        written = []
        for scene in scenes:
            result = p.downloader(scene).download(tmp_path)
            assert len(result.files) == 9
            written += result.files
        served = ts.services.requests_matching(lambda r: r.path.startswith("/download/") and r.status == 200)
        assert ts.refused == 0
        assert len(served) == 90 and len(ts.services.log) > 80
        contents = {f.path.rsplit("/", 1)[-1]: f.content for prod in products for f in prod.files}
        assert sorted(f.name for f in written) == sorted(
            n for n in contents if not n.endswith(("xml", "20M.tif", "QUICKLOOK.tif"))
        )
        assert all(f.read_bytes() == contents[f.name] for f in written)
        assert ts.grants["refresh_token"] >= 1 and ts.grants["password"] == 1
        assert not ts.services.requests_matching(lambda r: r.status == 429)


def test_stac_search_goes_through_the_stac_provider(stac_api):  # noqa: F811 - imported fixture
    """api="stac" reuses the STAC provider (one STAC client), on the services' rate limiter and with
    Terrascope's download credentials for the scenes it finds."""
    query = Query.build(
        bbox=(-180, -60, 180, 60), collections="sentinel-2-test", cloud_max=50, max_results=25
    )
    ts = TerrascopeProvider(url="https://services.example.org", stac_url=stac_api.url, api="stac")
    plain = get_provider("stac", url=stac_api.url)
    results = ts.search(query)
    scenes = list(results)
    assert [s.id for s in scenes] == [s.id for s in plain.search(query)] and len(scenes) == 25
    assert results.total == plain.search(query).total
    assert {s.provider for s in scenes} == {"terrascope"}
    assert ts.stac.http is ts.http and ts.http.rate_limiter is ts.rate_limiter
    assert isinstance(ts.downloader(scenes[0]), TerrascopeDownloader)
    assert ts.get(scenes[0].id).id == scenes[0].id


def test_basic_auth_download_and_wrong_basic_password(terrascope, tmp_path, caplog):
    product = terrascope.products[2]
    scene = provider(terrascope).get(product.id)
    grants = dict(terrascope.grants)
    result = provider(terrascope, auth="basic").downloader(scene).download(tmp_path / "ok")
    assert [f.read_bytes() for f in result.files] == [f.content for f in product.files if f.kind == "data"]
    assert terrascope.grants == grants  # Basic: no token endpoint involved
    secret = "Basic-Wrong-5150"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        provider(terrascope, auth="basic", password=secret).downloader(scene).download(tmp_path / "bad")
    assert "Terrascope" in str(info.value) and secret not in str(info.value) and secret not in caplog.text
    assert "scene-picker login terrascope" in str(info.value)  # the HTTP client's 401 hint names it


def test_vsicurl_paths_never_carry_credentials():
    assert vsicurl_path("https://h.example/a.tif?x=1") == "/vsicurl/https://h.example/a.tif?x=1"
    for bad in ("https://user:pw@h.example/a.tif", "https://h.example/a.tif?token=abc", "file:///tmp/a.tif"):
        with pytest.raises(UsageError):
            vsicurl_path(bad)


def test_gdal_options_are_removed_and_previous_values_restored():
    gdal = pytest.importorskip("osgeo.gdal", reason="python3-gdal is not installed")
    gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "TRUE")
    try:
        access = GdalHttpAccess.bearer("http://127.0.0.1:9/x.tif", "tok-123")
        with access:
            if int(gdal.VersionInfo("VERSION_NUM")) < 3070000:  # process-wide options on GDAL 3.6
                assert gdal.GetConfigOption("GDAL_HTTP_HEADERS") == "Authorization: Bearer tok-123"
        assert gdal.GetConfigOption("GDAL_HTTP_HEADERS") is None
        assert gdal.GetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN") == "TRUE"
    finally:
        gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", None)
