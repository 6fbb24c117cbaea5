"""Theia provider against the Theia emulator: resto search and paging, token authentication, errors."""

from __future__ import annotations

import logging

import pytest

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import AuthenticationError, MissingCredentialsError, UsageError
from scene_picker.core.query import Query
from scene_picker.providers.registry import get_provider, list_providers
from scene_picker.providers.theia import TheiaProvider

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
