"""The provider contract: every registered provider with an emulator, built the way the faces build it
(:func:`scene_picker.catalogs.build_provider` with spec-checked text options and one network
configuration), pages every record once, fetches one by id, keeps its credentials to itself, and sends
every request it makes through the configured proxy (a real forward proxy on loopback counts them).

Adding a provider = its module + its emulator + one row in :data:`ROWS`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from scene_picker.catalogs import NetworkConfig, build_provider, list_providers
from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import ChecksumMismatchError, CredentialsError
from scene_picker.core.query import Query
from scene_picker.providers.polling import PollPolicy

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import S2_TILES, generate_products
from support.cmr_emulator import CmrEmulator
from support.earthdata_emulator import EarthdataEmulator
from support.forward_proxy import ForwardProxy
from support.geodes_emulator import GeodesEmulator, default_catalogue
from support.http_emulator import Emulator
from support.m2m_emulator import M2MEmulator
from support.planet_emulator import PlanetEmulator
from support.stac_files_emulator import StacFilesEmulator
from support.terrascope_emulator import NDVI, TerrascopeEmulator, make_product

FAST = PollPolicy(interval=0.01, factor=2.0, max_interval=0.05, timeout=5.0)


@dataclass
class Running:
    """A provider's emulator, running: the options that point the provider at it, its account, the
    records a plain search returns, and the emulators whose request logs count what reached them."""

    #: Text options as a user writes them (objects such as a fast poll policy where tests need one).
    options: dict[str, Any]
    #: (user, secret) stored in the keyring for the test; None for a provider without an account.
    account: tuple[str, str] | None
    expected_ids: set[str]
    #: Emulators (or CDSE's, which keeps its own servers) with ``served()`` and ``clear_logs()``.
    emulators: list[Emulator | CdseEmulator]
    #: Whether the catalog announces a total.
    total: bool = True
    query: Callable[[], Query] = Query.build
    #: Makes the emulator serve the data of the scene with this id corrupted (None: it cannot).
    corrupt: Callable[[str], None] | None = None
    #: The asset keys of a scene the service was asked to activate (None: no per-asset activation).
    activated: Callable[[str], set[str]] | None = None
    #: An asset a user may choose instead of the default ones (None: one not selected by default).
    asset_choice: str | None = None


@contextlib.contextmanager
def planet() -> Iterator[Running]:
    key = "PLAKcontract0123456789"
    emulator = PlanetEmulator(api_keys={key}).start()
    try:
        ids = {i.id for i in emulator.items}
        options = {"url": emulator.api_url, "page_size": "5", "poll": FAST}
        corrupt = lambda scene_id: emulator.corrupt.add((scene_id, "ortho_analytic_4b"))  # noqa: E731

        def activated(scene_id: str) -> set[str]:
            return {
                kind
                for (item, kind), st in emulator.state.items()
                if item == scene_id and st["status"] != "inactive"
            }

        yield Running(
            options,
            ("", key),
            ids,
            [emulator],
            False,
            corrupt=corrupt,
            activated=activated,
            asset_choice="ortho_visual",  # not the default asset type
        )
    finally:
        emulator.close()


@contextlib.contextmanager
def cmr() -> Iterator[Running]:
    user, password = "alice", "s3cret-Passw0rd"
    earthdata = EarthdataEmulator(users={user: password}).start()
    emulator = CmrEmulator(earthdata.data_url).start()
    earthdata.add_files(emulator.data_files())
    try:
        options = {"url": emulator.base_url, "urs_url": earthdata.urs_url, "page_size": "4"}
        granules = {g.granule_ur: g for g in emulator.granules}

        def corrupt(scene_id: str) -> None:
            for file_name in granules[scene_id].files:
                earthdata.faults[emulator.file_path(granules[scene_id], file_name)] = "corrupt"

        emulators = [emulator, earthdata]
        yield Running(options, (user, password), set(granules), emulators, corrupt=corrupt)
    finally:
        emulator.close()
        earthdata.close()


@contextlib.contextmanager
def usgs() -> Iterator[Running]:
    user, token = "landsat_user", "app-token-XYZ987654321"
    emulator = M2MEmulator(users={user: token}).start()
    try:
        ids = {s.display_id for s in emulator.scenes}
        options = {"url": emulator.api_url, "page_size": "4", "poll": FAST}
        # No corrupt hook: M2M publishes no checksum of a bundle, so a flipped byte goes unnoticed.
        yield Running(options, (user, token), ids, [emulator])
    finally:
        emulator.close()


@contextlib.contextmanager
def geodes() -> Iterator[Running]:
    key = "geodes-key-contract-01"
    with GeodesEmulator(default_catalogue(), api_keys=(key,)) as emulator:
        default = emulator.products[0].collection
        ids = {p.identifier for p in emulator.products if p.collection == default}
        urns = {p.identifier: p.urn for p in emulator.products}
        yield Running(
            {"url": emulator.root_url, "page_size": "7", "poll": FAST},
            ("", key),
            ids,
            [emulator],
            query=lambda: Query.build(collections=default),
            corrupt=lambda scene_id: emulator.corrupt(urns[scene_id], 100),
        )


@contextlib.contextmanager
def terrascope() -> Iterator[Running]:
    user, password = "vito-user", "vito-pass"
    products = [make_product(NDVI, i) for i in range(12)]
    with TerrascopeEmulator(products, users={user: password}) as emulator:
        yield Running(
            {"url": emulator.base_url, "token_url": emulator.token_url, "page_size": "5"},
            (user, password),
            {p.id for p in products},
            [emulator],
            query=lambda: Query.build(collections=NDVI),
        )


@contextlib.contextmanager
def stac_ndjson() -> Iterator[Running]:
    with StacFilesEmulator() as emulator:
        ids = {item["id"] for item in emulator.items}
        options = {"url": emulator.ndjson_url, "batch": "9"}
        yield Running(options, None, ids, [emulator], False, corrupt=emulator.corrupt.add)


@contextlib.contextmanager
def stac_static() -> Iterator[Running]:
    with StacFilesEmulator() as emulator:
        ids = {item["id"] for item in emulator.items}
        options = {"url": emulator.catalog_url, "workers": "3"}
        yield Running(options, None, ids, [emulator], False, corrupt=emulator.corrupt.add)


@contextlib.contextmanager
def cdse() -> Iterator[Running]:
    user, password = "ann@example.org", "pw-ann-contract-1"
    chosen = [
        p
        for p in generate_products(years=1, tiles=S2_TILES[:2], sentinel1=False, member_size=4096)
        if p.online and p.product_type == "S2MSI2A" and p.with_checksum
    ][:14]
    with CdseEmulator(chosen, accounts={user: password}) as emulator:
        options = {
            "catalogue_url": emulator.catalogue_url,
            "download_url": emulator.zipper_url,
            "token_url": emulator.token_url,
            "page_size": "5",
        }
        yield Running(
            options,
            (user, password),
            {p.name for p in chosen},
            [emulator],
            query=lambda: Query.build(collections="SENTINEL-2"),
        )


#: One row per provider: its registry name and how to run its emulator.
ROWS: dict[str, Callable[[], contextlib.AbstractContextManager[Running]]] = {
    "planet": planet,
    "cmr": cmr,
    "usgs": usgs,
    "geodes": geodes,
    "terrascope": terrascope,
    "stac-ndjson": stac_ndjson,
    "stac-static": stac_static,
    "cdse": cdse,
}


@pytest.fixture(params=sorted(ROWS))
def running(request) -> Iterator[tuple[str, Running]]:
    name = request.param
    with ROWS[name]() as run:
        if run.account is not None:
            store_credentials(name, *run.account)
        try:
            yield name, run
        finally:
            delete_credentials(name)


def served(run: Running) -> int:
    """Requests the row's emulators answered."""
    return sum(emulator.served() for emulator in run.emulators)


def test_paging_returns_every_record_once_with_the_total(running):
    name, run = running
    results = build_provider(name, run.options).search(run.query())
    ids = [scene.id for scene in results]
    assert len(ids) == len(set(ids)) and set(ids) == run.expected_ids
    assert results.pages_fetched > 1
    if run.total:
        assert results.total == len(run.expected_ids)


def test_get_returns_the_record_found(running):
    name, run = running
    provider = build_provider(name, run.options)
    results = provider.search(run.query())
    first = next(results)
    results.close()
    again = provider.get(first.id)
    assert again.id == first.id and again.provider == first.provider == name


def test_the_proxy_sees_every_request_the_provider_makes(running, tmp_path):
    """Search, get, sign-in, activation and download: every client the provider builds goes through
    the proxy of its network configuration."""
    name, run = running
    for emulator in run.emulators:
        emulator.clear_logs()
    with ForwardProxy() as proxy:
        network = NetworkConfig(proxies={"http": proxy.url, "https": proxy.url})
        provider = build_provider(name, run.options, network)
        results = provider.search(run.query())
        first = next(results)
        results.close()
        provider.downloader(provider.get(first.id)).download(tmp_path)
    assert served(run) > 0
    assert len(proxy.seen) == served(run), [url for _, url, _ in proxy.seen]


def test_the_limit_stops_paging(running):
    name, run = running
    results = build_provider(name, run.options).search(run.query().replace(max_results=3))
    assert len(list(results)) == 3


def test_every_provider_with_an_emulator_has_a_row():
    """The rows that are still missing are named here, so a new provider cannot go unnoticed."""
    without_row = {"stac"}  # covered by their own suites (see the report of #13)
    assert {spec.name for spec in list_providers()} - set(ROWS) - without_row == set()


def test_missing_credentials_are_a_credentials_error_naming_the_login(running):
    name, run = running
    delete_credentials(name)
    provider = build_provider(name, run.options)
    if provider.spec.credentials is None:  # nothing to miss: it searches with nothing stored
        assert run.account is None and next(provider.search(run.query())).provider == name
        return
    with pytest.raises(CredentialsError) as caught:
        scene = next(provider.search(run.query()))
        provider.downloader(scene).download(_tmp_dir(), assets=None)
    assert f"scene-picker login {name}" in str(caught.value)


def _tmp_dir() -> Any:
    import tempfile

    return tempfile.mkdtemp(prefix="contract-")


def _narrowed(run: Running, **criteria: Any) -> Query:
    """The row's plain query (its collections) with ``criteria`` added."""
    return Query.build(collections=run.query().collections or None, **criteria)


def _sample(name: str, run: Running, count: int = 6) -> list:
    results = build_provider(name, run.options).search(run.query().replace(max_results=count))
    return list(results)


def test_the_time_filter_keeps_that_day_only(running):
    name, run = running
    scene = _sample(name, run)[-1]
    day = scene.datetime.date().isoformat()
    found = list(build_provider(name, run.options).search(_narrowed(run, start=day, end=day)))
    assert scene.id in {s.id for s in found}
    assert all(s.datetime.date().isoformat() == day for s in found)


def test_the_area_filter_keeps_scenes_that_touch_it(running):
    from shapely.geometry import box

    name, run = running
    scene = _sample(name, run)[-1]
    point = scene.footprint.representative_point()
    area = box(point.x - 0.01, point.y - 0.01, point.x + 0.01, point.y + 0.01)
    found = list(build_provider(name, run.options).search(_narrowed(run, bbox=area.bounds)))
    assert scene.id in {s.id for s in found}
    assert all(s.footprint.intersects(area.buffer(0.05)) for s in found)


def test_the_cloud_filter_keeps_clear_enough_scenes(running):
    name, run = running
    clouded = [s for s in _sample(name, run, 20) if s.cloud_cover is not None]
    assert clouded, f"{name}'s emulator serves no cloud cover"
    limit = sorted(s.cloud_cover for s in clouded)[len(clouded) // 2]
    found = list(build_provider(name, run.options).search(_narrowed(run, cloud_max=limit)))
    assert found and all(s.cloud_cover is not None and s.cloud_cover <= limit for s in found)
    assert {s.id for s in clouded if s.cloud_cover <= limit} <= {s.id for s in found}


def test_download_writes_verified_files(running, tmp_path):
    name, run = running
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 1)[0]
    downloader = provider.downloader(scene)
    downloader.activate()
    result = downloader.download(tmp_path)
    assert result.ok and result.files and all(f.is_file() and f.stat().st_size > 0 for f in result.files)
    again = provider.downloader(scene).download(tmp_path)  # verified files already there: nothing fetched
    assert again.bytes_fetched == 0 and sorted(again.files) == sorted(result.files)


def test_a_corrupt_download_is_refused_and_leaves_no_file(running, tmp_path):
    name, run = running
    if run.corrupt is None:
        pytest.skip(f"{name}: no checksum to check, or its emulator cannot corrupt data yet")
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 2)[-1]
    run.corrupt(scene.id)
    downloader = provider.downloader(scene)
    downloader.activate()
    with pytest.raises(ChecksumMismatchError):
        downloader.download(tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".part")]


def test_a_cancelled_download_stops_and_leaves_no_file(running, tmp_path):
    """A cancelled job fetches nothing and leaves no file (mid-transfer cuts are the engine's tests:
    the emulators' files are a few bytes)."""
    from scene_picker.core.cancel import CancelToken
    from scene_picker.core.errors import CancelledError

    name, run = running
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 3)[-1]
    downloader = provider.downloader(scene)
    downloader.activate()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        downloader.download(tmp_path, cancel=cancel)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_activation_and_download_take_the_chosen_assets(running, tmp_path):
    from scene_picker.catalogs.download import download_scene

    name, run = running
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 2)[-1]
    downloader = provider.downloader(scene)
    chosen = run.asset_choice
    if chosen is None:
        default = {asset.key for asset in downloader.select_assets(None)} if scene.assets else set()
        others = sorted(key for key in scene.assets if key not in default)
        if not others:
            pytest.skip(f"{name}'s scenes list one kind of asset only (or none before an order)")
        chosen = others[0]
    result = download_scene(downloader, tmp_path, assets=[chosen])
    assert len(result.files) == 1 and result.files[0].stat().st_size > 0
    if run.activated is not None:
        assert run.activated(scene.id) == {chosen}


def test_refused_credentials_are_an_authentication_error_naming_the_login(running, tmp_path):
    from scene_picker.core.errors import AuthenticationError

    name, run = running
    provider = build_provider(name, run.options)
    if run.account is None:  # nothing to refuse: it works with nothing stored
        assert provider.spec.credentials is None and next(provider.search(run.query())).provider == name
        return
    user, secret = run.account
    scene = _sample(name, run, 1)[0]  # found with the right account (some catalogs need it to search)
    store_credentials(name, user, secret + "-wrong")
    with pytest.raises((AuthenticationError, CredentialsError)) as caught:
        build_provider(name, run.options).downloader(scene).download(tmp_path)
    message = str(caught.value)
    assert "scene-picker" in message and name in message.lower()  # the command that fixes it
    assert secret not in message
