"""Theia provider against the Theia emulator: resto search and paging, token authentication, errors."""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import re
import zipfile
import zlib
from urllib.parse import urlsplit

import pytest
import requests

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import (
    AuthenticationError,
    ChecksumMismatchError,
    MissingCredentialsError,
    ProviderError,
    UsageError,
)
from scene_picker.core.query import Query
from scene_picker.providers.registry import get_provider, list_providers
from scene_picker.providers.theia import TheiaProvider, TheiaTokenProvider

from support.theia_emulator import TheiaEmulator, default_catalogue

USER, PASSWORD = "theia-user@example.org", "theia-pass"


@pytest.fixture(scope="module")
def theia():
    with TheiaEmulator(default_catalogue(), users={USER: PASSWORD}) as emulator:
        yield emulator


def provider(theia, **kwargs) -> TheiaProvider:
    kwargs.setdefault("username", USER)
    kwargs.setdefault("password", PASSWORD)
    return TheiaProvider(url=theia.root_url, **kwargs)


def search_requests(theia, collection: str):
    path = f"/atdistrib/resto2/api/collections/{collection}/search.json"
    return theia.server.requests_matching(lambda r: r.path == path)


def test_registered_with_its_credentials():
    info = {p.name: p for p in list_providers()}["theia"]
    assert info.credentials is not None and info.credentials.kind == "password"
    assert "sentinel-2" in info.platforms


def test_paging_returns_every_product_exactly_once(theia):
    theia.server.clear_log()
    results = provider(theia, page_size=5).search(Query.build(collections="SENTINEL2"))
    assert results.total == 23
    ids = [scene.id for scene in results]
    expected = {p.identifier for p in theia.products if p.collection == "SENTINEL2"}
    assert len(ids) == len(set(ids)) == 23
    assert set(ids) == expected
    pages = sorted(int(r.query["page"][0]) for r in search_requests(theia, "SENTINEL2"))
    assert pages == [1, 2, 3, 4, 5]
    assert all(r.query["maxRecords"] == ["5"] for r in search_requests(theia, "SENTINEL2"))


def test_scene_carries_download_asset_with_md5(theia):
    scene = next(iter(provider(theia).search(Query.build(collections="SENTINEL2", max_results=1))))
    product = next(p for p in theia.products if p.identifier == scene.id)
    archive = scene.assets["archive"]
    assert archive.href.endswith(f"/collections/SENTINEL2/{product.id}/download/?issuerId=theia")
    assert archive.checksum is not None and archive.checksum.algorithm == "md5"
    assert archive.checksum.hexdigest == product.md5
    assert archive.size == len(product.archive) and archive.is_zip
    assert scene.properties["theia_id"] == product.id
    assert scene.properties["location"] == product.tile
    assert scene.cloud_cover == product.cloud_cover and scene.platform == product.platform
    assert scene.footprint is not None and scene.footprint.bounds == product.bbox


def test_filters_are_sent_and_applied(theia):
    query = Query.build(
        bbox=(2.0, 43.0, 4.0, 45.0),
        start="2023-06-05",
        end="2023-07-10",
        cloud_min=10,
        cloud_max=70,
        collections="SENTINEL2",
        extras={"tile": "31TEJ", "relativeOrbitNumber": 51},
    )
    theia.server.clear_log()
    got = sorted(s.id for s in provider(theia).search(query))
    sent = search_requests(theia, "SENTINEL2")[0].query
    assert sent["location"] == ["T31TEJ"] and sent["cloudCover"] == ["[10,70]"]
    assert sent["processingLevel"] == ["LEVEL2A"] and sent["relativeOrbitNumber"] == ["51"]
    assert sent["startDate"] == ["2023-06-05T00:00:00Z"]
    expected = sorted(
        p.identifier
        for p in theia.products
        if p.collection == "SENTINEL2"
        and p.tile == "T31TEJ"
        and p.relative_orbit == 51
        and 10 <= p.cloud_cover <= 70
        and query.start <= p.start <= query.end
        and p.bbox[0] <= 4.0
    )
    assert got == expected and got


def test_platforms_choose_collections_and_totals_add_up(theia):
    results = provider(theia, page_size=2).search(Query.build(platforms=("venus", "landsat-8")))
    assert results.total == 3 + 4
    scenes = list(results)
    assert sorted({s.collection for s in scenes}) == ["LANDSAT", "VENUS"]
    assert len({s.id for s in scenes}) == 7


def test_max_results_stops_paging(theia):
    theia.server.clear_log()
    scenes = list(provider(theia, page_size=5).search(Query.build(collections="SENTINEL2", max_results=7)))
    assert len(scenes) == 7
    assert len(search_requests(theia, "SENTINEL2")) == 2


def test_get_by_identifier_and_by_uuid(theia):
    product = next(p for p in theia.products if p.collection == "VENUS")
    by_name = provider(theia).get(product.identifier)
    by_uuid = provider(theia).get(product.id)
    assert by_name.id == by_uuid.id == product.identifier
    assert by_name.collection == "VENUS"


def test_unknown_collection_is_a_usage_error(theia):
    with pytest.raises(UsageError, match="SENTINEL1"):
        provider(theia).search(Query.build(collections="SENTINEL1"))


def test_login_gets_a_plain_text_token(theia):
    before = theia.tokens_issued
    p = provider(theia)
    p.login()
    assert theia.tokens_issued == before + 1
    assert theia.token_valid(p.tokens.current_token)


def test_wrong_password_is_a_clear_error_without_secret(theia, caplog):
    secret = "not-the-Right-pass-4711"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        provider(theia, password=secret).login()
    message = str(info.value)
    assert "Theia" in message and USER in message and "401" in message
    assert secret not in message
    assert secret not in caplog.text


def test_credentials_come_from_the_keyring(theia):
    delete_credentials("theia")
    with pytest.raises(MissingCredentialsError, match="scene-picker login theia"):
        TheiaProvider(url=theia.root_url).login()
    store_credentials("theia", USER, PASSWORD)
    try:
        p = get_provider("theia", url=theia.root_url)
        p.login()
        assert theia.token_valid(p.tokens.current_token)
        store_credentials("theia", USER, "wrong-keyring-secret")
        with pytest.raises(AuthenticationError) as info:
            get_provider("theia", url=theia.root_url).login()
        assert "wrong-keyring-secret" not in str(info.value)
    finally:
        delete_credentials("theia")


# -- downloads ------------------------------------------------------------------------------------------
def scene_of(theia, index: int, collection: str = "SENTINEL2"):
    product = [p for p in theia.products if p.collection == collection][index]
    return product, provider(theia).get(product.identifier)


def test_whole_archive_is_downloaded_and_md5_checked(theia, tmp_path):
    product, scene = scene_of(theia, 0)
    result = provider(theia).downloader(scene).download(tmp_path)
    assert len(result.files) == 1
    archive = result.files[0]
    assert archive.read_bytes() == product.archive
    assert hashlib.md5(archive.read_bytes()).hexdigest() == product.md5
    assert theia.full_downloads(product.id) == 1


def test_md5_mismatch_refetches_once_then_fails_clearly(theia, tmp_path):
    product, scene = scene_of(theia, 1)
    theia.corrupt(product.id)  # every download of it is damaged
    with pytest.raises(ChecksumMismatchError) as info:
        provider(theia).downloader(scene).download(tmp_path)
    message = str(info.value)
    assert "Theia" in message and scene.id in message and "MD5" in message
    assert theia.full_downloads(product.id) == 2
    assert not any(p.suffix == ".zip" for p in tmp_path.rglob("*"))


def test_md5_mismatch_once_is_cured_by_the_refetch(theia, tmp_path):
    product, scene = scene_of(theia, 2)
    theia.corrupt(product.id, times=1)
    result = provider(theia).downloader(scene).download(tmp_path)
    assert result.files[0].read_bytes() == product.archive
    assert theia.full_downloads(product.id) == 2


def test_three_members_extracted_in_open_ended_mode_with_crc32(theia, tmp_path):
    product, scene = scene_of(theia, 3)
    wanted = [
        f"{product.identifier}/{product.identifier}_FRE_B2.tif",
        f"{product.identifier}/{product.identifier}_FRE_B8.tif",
        f"{product.identifier}/MASKS/{product.identifier}_CLM_R1.tif",
    ]
    theia.server.clear_log()
    patterns = ["*_FRE_B2.tif", "*_FRE_B8.tif", "*/MASKS/*_CLM_R1.tif"]
    result = provider(theia).downloader(scene).download(tmp_path, members=patterns)
    root = tmp_path / scene.id
    assert sorted(result.files) == sorted(root / name for name in wanted)
    crcs = {i.filename: i.CRC for i in zipfile.ZipFile(io.BytesIO(product.archive)).infolist()}
    for name in wanted:
        data = (root / name).read_bytes()
        assert data == product.members[name]
        assert zlib.crc32(data) == crcs[name]
    ranges = [r.range for r in theia.server.requests_matching(lambda r: r.path.endswith("/download/"))]
    assert ranges and all(re.fullmatch(r"bytes=(\d+-|-\d+)", r or "") for r in ranges), ranges
    assert theia.full_downloads(product.id) == 0


def test_bounded_ranges_are_cut_short_by_the_emulator(theia):
    product, scene = scene_of(theia, 4)
    token = provider(theia).tokens.get_token()
    url = scene.assets["archive"].href
    # http.client rather than requests: urllib3 1.26 returns a short body where 2.x raises
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request(
            "GET",
            f"{parts.path}?{parts.query}",
            headers={"Authorization": f"Bearer {token}", "Range": "bytes=100-1099"},
        )
        r = connection.getresponse()
        assert r.status == 206 and r.getheader("Content-Range") == f"bytes 100-1099/{len(product.archive)}"
        with pytest.raises(http.client.IncompleteRead) as cut:
            r.read()
        assert cut.value.partial == product.archive[100:600]  # announced 1000, connection closed after half
    finally:
        connection.close()
    with requests.get(url, headers={"Authorization": f"Bearer {token}", "Range": "bytes=100-"}) as r:
        assert r.content == product.archive[100:]


def test_expired_token_is_renewed_once(theia, tmp_path):
    product, scene = scene_of(theia, 5)
    p = provider(theia)
    downloader = p.downloader(scene)
    p.login()
    theia.expire_tokens()  # the server forgets it: downloads answer 403 until a new login
    before = theia.tokens_issued
    result = downloader.download(tmp_path)
    assert result.files[0].read_bytes() == product.archive
    assert theia.tokens_issued == before + 1
    refused = theia.server.requests_matching(lambda r: r.status == 403 and product.id in r.path)
    assert len(refused) == 1


def test_token_is_renewed_before_long_transfers_and_when_old(theia):
    now = [0.0]
    tokens = TheiaTokenProvider(
        theia.root_url + "/services/authenticate/", USER, PASSWORD, max_age=3600.0, clock=lambda: now[0]
    )
    first = tokens.get_token()
    now[0] = 1000.0
    tokens.ensure_fresh(1800.0)  # 2600 s left: enough for a long transfer
    assert tokens.get_token() == first and tokens.logins == 1
    now[0] = 2000.0
    tokens.ensure_fresh(1800.0)  # 1600 s left: renewed before the transfer starts
    second = tokens.get_token()
    assert second != first and tokens.logins == 2 and theia.token_valid(second)
    now[0] = 2000.0 + 3600.0
    assert tokens.get_token() != second and tokens.logins == 3


def test_settings_dialog_check_login_checks_the_account(theia):
    assert TheiaProvider.check_login is TheiaProvider.login
    with pytest.raises(AuthenticationError):
        provider(theia, password="bad-one").check_login()


def test_damaged_member_fails_its_crc32_check(theia, tmp_path):
    product, scene = scene_of(theia, 6)
    middle = len(product.archive) // 2  # the byte corrupt() flips
    infos = sorted(zipfile.ZipFile(io.BytesIO(product.archive)).infolist(), key=lambda i: i.header_offset)
    damaged = [i for i in infos if i.header_offset <= middle][-1]
    assert middle > damaged.header_offset + 30 + len(damaged.filename)  # inside its data, not its header
    theia.corrupt(product.id)
    with pytest.raises(ChecksumMismatchError) as info:
        provider(theia).downloader(scene).download(tmp_path, members=[damaged.filename])
    assert "MD5" not in str(info.value)
    assert not (tmp_path / scene.id / damaged.filename).exists()


def test_a_product_the_account_may_not_fetch_is_one_clear_error_after_one_renewal(theia, tmp_path):
    product, scene = scene_of(theia, 7)
    p = provider(theia)
    p.login()
    before = theia.tokens_issued
    theia.forbidden.add(product.id)
    try:
        with pytest.raises(ProviderError) as info:
            p.downloader(scene).download(tmp_path)
    finally:
        theia.forbidden.clear()
    message = str(info.value)
    assert scene.id in message and "rights" in message and USER in message and PASSWORD not in message
    assert theia.tokens_issued == before + 1  # one renewal, not a login loop
    refused = theia.server.requests_matching(lambda r: r.status == 403 and product.id in r.path)
    assert len(refused) == 2
    assert not list(tmp_path.rglob("*.zip"))
