"""The provider contract: every registered provider with an emulator, built the way the faces build it
(:func:`scene_picker.catalogs.build_provider` with spec-checked text options and one network
configuration), pages every record once, fetches one by id, keeps its credentials to itself, and sends
every request it makes through the configured proxy (a real forward proxy on loopback counts them),
and keeps to the per-host limits (request rates, downloads at once) as the servers count them.

Adding a provider = its module + its emulator + one row in :data:`ROWS`.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from scene_picker.catalogs import NetworkConfig, build_provider, list_providers
from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import (
    ChecksumMismatchError,
    CredentialsError,
    IntegrityError,
    SizeMismatchError,
    UsageError,
)
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
from support.stac_api_front import reset, stac_api_with_assets
from support.stac_files_emulator import StacFilesEmulator
from support.stac_items import generate
from support.stac_server import StacServerError
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
    #: The emulators every request reaches (their servers count and time them).
    emulators: list[Emulator]
    #: Whether the catalog announces a total.
    total: bool = True
    query: Callable[[], Query] = Query.build
    #: Makes the emulator serve the data of the scene with this id spoiled (see ``refused_by``).
    corrupt: Callable[[str], None] | None = None
    #: What refuses spoiled data: a checksum the catalog publishes (a flipped byte, same length), or
    #: only the size it announces (a truncated file) when it publishes no checksum.
    refused_by: type[IntegrityError] = ChecksumMismatchError
    #: The asset keys of a scene the service was asked to activate (None: no per-asset activation).
    activated: Callable[[str], set[str]] | None = None
    #: An asset a user may choose instead of the default ones (None: one not selected by default).
    asset_choice: str | None = None


Row = Callable[[pytest.FixtureRequest], contextlib.AbstractContextManager[Running]]


@contextlib.contextmanager
def planet(_: pytest.FixtureRequest) -> Iterator[Running]:
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
def cmr(_: pytest.FixtureRequest) -> Iterator[Running]:
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
def usgs(_: pytest.FixtureRequest) -> Iterator[Running]:
    user, token = "landsat_user", "app-token-XYZ987654321"
    emulator = M2MEmulator(users={user: token}).start()
    try:
        entity = {s.display_id: s.entity_id for s in emulator.scenes}
        bundles = {s.product_id for s in emulator.scenes}
        options = {"url": emulator.api_url, "page_size": "4", "poll": FAST}

        def activated(scene_id: str) -> set[str]:
            """The products download-request was asked for (M2M's per-product choice; the provider
            offers a scene's Level-2 bundle as its one asset, "bundle")."""
            asked = [
                d.get("productId")
                for call in emulator.calls
                if call["endpoint"] == "download-request"
                for d in call["body"].get("downloads") or []
                if d.get("entityId") == entity[scene_id]
            ]
            return {"bundle" if product in bundles else str(product) for product in asked}

        # M2M publishes no checksum of a bundle: download-options and download-retrieve give its
        # "filesize" only (tests/fixtures/recorded/usgs/download-options.json, download-request.json;
        # the M2M API documentation lists no checksum field), so a flipped byte of the same length
        # cannot be caught; a truncated bundle is refused by the size M2M announced.
        truncate = lambda scene_id: emulator.faults.update({entity[scene_id]: "truncated"})  # noqa: E731
        yield Running(
            options,
            (user, token),
            set(entity),
            [emulator],
            corrupt=truncate,
            refused_by=SizeMismatchError,
            activated=activated,
        )
    finally:
        emulator.close()


@contextlib.contextmanager
def geodes(_: pytest.FixtureRequest) -> Iterator[Running]:
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
def terrascope(_: pytest.FixtureRequest) -> Iterator[Running]:
    user, password = "vito-user", "vito-pass"
    products = [make_product(NDVI, i) for i in range(12)]
    with TerrascopeEmulator(products, users={user: password}) as emulator:
        # Terrascope's OpenSearch catalogue publishes each file's "length" but no checksum (recorded
        # answer: tests/fixtures/recorded/terrascope/oscars_products_split_acquisition.json), so a
        # flipped byte of the same length cannot be caught; a truncated file is refused by its length.
        yield Running(
            {"url": emulator.base_url, "token_url": emulator.token_url, "page_size": "5"},
            (user, password),
            {p.id for p in products},
            [emulator],
            query=lambda: Query.build(collections=NDVI),
            corrupt=lambda scene_id: emulator.faults.update({scene_id: "truncated"}),
            refused_by=SizeMismatchError,
        )


@contextlib.contextmanager
def stac_ndjson(_: pytest.FixtureRequest) -> Iterator[Running]:
    with StacFilesEmulator() as emulator:
        ids = {item["id"] for item in emulator.items}
        options = {"url": emulator.ndjson_url, "batch": "9"}
        yield Running(options, None, ids, [emulator], False, corrupt=emulator.corrupt.add)


@contextlib.contextmanager
def stac_static(_: pytest.FixtureRequest) -> Iterator[Running]:
    # Few items: a static catalog is read document by document, also under the per-host rate limit.
    items = generate({"sentinel-2-test": (10, True, "sentinel-2a"), "dem-test": (6, False, "x")})[1]
    with StacFilesEmulator(items) as emulator:
        ids = {item["id"] for item in emulator.items}
        options = {"url": emulator.catalog_url, "workers": "3"}
        yield Running(options, None, ids, [emulator], False, corrupt=emulator.corrupt.add)


@pytest.fixture(scope="module")
def contract_stac_api():
    """The real STAC API (stac-fastapi-pgstac) for the ``stac`` row, started once for this module."""
    try:
        with stac_api_with_assets() as running_api:
            yield running_api
    except StacServerError as exc:
        pytest.fail(str(exc), pytrace=False)


@contextlib.contextmanager
def stac(request: pytest.FixtureRequest) -> Iterator[Running]:
    """The real stac-fastapi-pgstac server, reached through a front that counts its requests, with
    the assets of its items (``file:size``, ``file:checksum``) on a file host."""
    front, files, api = request.getfixturevalue("contract_stac_api")
    reset(front, files)
    try:
        yield Running(
            {"url": front.url, "page_size": "4"},
            None,
            {item["id"] for item in api.items},
            [front, files],
            corrupt=files.corrupt.add,
        )
    finally:
        reset(front, files)


@contextlib.contextmanager
def cdse(_: pytest.FixtureRequest) -> Iterator[Running]:
    user, password = "ann@example.org", "pw-ann-contract-1"
    chosen = [
        p
        for p in generate_products(years=1, tiles=S2_TILES[:2], sentinel1=False, member_size=4096)
        if p.online and p.product_type == "S2MSI2A" and p.with_checksum
    ][:14]
    ids = {p.name: p.id for p in chosen}
    with CdseEmulator(chosen, accounts={user: password}) as emulator:
        options = {
            "catalogue_url": emulator.catalogue_url,
            "download_url": emulator.zipper_url,
            "token_url": emulator.token_url,
            "page_size": "5",
        }

        def activated(scene_id: str) -> set[str]:
            """What the download service was asked to deliver: CDSE offers a product as one archive
            (asset "product"); online products need no order, offline ones are not ordered yet."""
            asked = [r for r in emulator.requests_to("zipper") if f"Products({ids[scene_id]})" in r.path]
            return {"product"} if asked else set()

        yield Running(
            options,
            (user, password),
            set(ids),
            [emulator],
            query=lambda: Query.build(collections="SENTINEL-2"),
            corrupt=lambda scene_id: emulator.corrupt.add(ids[scene_id]),
            activated=activated,
        )


#: One row per provider: its registry name and how to run its emulator.
ROWS: dict[str, Row] = {
    "planet": planet,
    "cmr": cmr,
    "usgs": usgs,
    "geodes": geodes,
    "terrascope": terrascope,
    "stac": stac,
    "stac-ndjson": stac_ndjson,
    "stac-static": stac_static,
    "cdse": cdse,
}


@pytest.fixture(params=sorted(ROWS))
def running(request) -> Iterator[tuple[str, Running]]:
    name = request.param
    with ROWS[name](request) as run:
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
    assert {spec.name for spec in list_providers()} - set(ROWS) == set()


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
    assert run.corrupt is not None, f"{name}'s row has no way to spoil a scene's data"
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 2)[-1]
    run.corrupt(scene.id)
    downloader = provider.downloader(scene)
    downloader.activate()
    with pytest.raises(run.refused_by):
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
    """A scene with several assets: one not downloaded by default is chosen, and only it is activated
    and fetched. A scene offered as one asset (a CDSE product archive, a USGS bundle): choosing it
    activates exactly it, and choosing another is a usage error before the service is asked anything."""
    from scene_picker.catalogs.download import download_scene

    name, run = running
    provider = build_provider(name, run.options)
    scene = _sample(name, run, 2)[-1]
    downloader = provider.downloader(scene)
    chosen = run.asset_choice
    if chosen is None:
        offered = {asset.key for asset in downloader.select_assets(["*"])}
        default = {asset.key for asset in downloader.select_assets(None)}
        chosen = min(offered - default, default=None)
    if chosen is None:  # one asset only: nothing else to choose
        assert offered == default and len(offered) == 1, (offered, default)
        (chosen,) = offered
        before = served(run)
        with pytest.raises(UsageError, match="no-such-asset"):
            download_scene(provider.downloader(scene), tmp_path, assets=["no-such-asset"])
        assert served(run) == before and not any(p.is_file() for p in tmp_path.rglob("*"))
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


#: The limits the per-host case sets: LIMIT requests per PERIOD seconds (the network configuration's
#: rate limiter, and the registry's per-host windows a provider declares), at most CAP scenes
#: downloading at once per host (the command line's ``--per-host``, and per account).
LIMIT, PERIOD, CAP = 2, 0.5, 1
#: Seconds each server holds a request before answering: longer than the limiter's refill interval
#: (PERIOD / LIMIT), so that requests the limiter lets go one refill apart still overlap when uncapped.
HOLD = 0.3


@pytest.fixture
def tight_limits() -> Iterator[None]:
    """The shared limiters (:mod:`scene_picker.core.ratelimit`'s registries) made LIMIT per PERIOD and
    at most CAP at once while the test runs; fresh default ones afterwards."""
    from scene_picker.core.ratelimit import ConcurrencyLimiter, RateLimiter, use_makers

    use_makers(
        lambda _key, _windows: RateLimiter([(LIMIT, PERIOD)]),
        lambda _key, limit: ConcurrencyLimiter(min(limit, CAP)),
    )
    try:
        yield
    finally:
        use_makers(lambda _key, windows: RateLimiter(windows), lambda _key, limit: ConcurrencyLimiter(limit))


def _bursts(arrivals: list[float]) -> list[list[float]]:
    """Runs of more than LIMIT arrivals within PERIOD / 2 (the limiter lets at most LIMIT requests go
    in any PERIOD; half of it is left for the time a request takes to reach the server)."""
    times = sorted(arrivals)
    return [
        times[i : i + LIMIT + 1]
        for i in range(len(times) - LIMIT)
        if times[i + LIMIT] - times[i] < PERIOD / 2
    ]


def test_per_host_limits_hold_at_the_servers(running, tight_limits, tmp_path):
    """Searches, then downloads, several at once through the service layer, the provider built with a
    rate limiter in its network configuration and each download holding a slot of every host of the
    row (:func:`~scene_picker.core.ratelimit.host_slots`, what ``scene-picker download --per-host``
    holds): no server ever sees more than LIMIT requests in a window nor, while downloads run, more
    than CAP requests in flight at once (a download sends nothing outside its job, nor in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    from scene_picker.catalogs.download import download_scene
    from scene_picker.core.ratelimit import RateLimiter, host_slots

    name, run = running
    scenes = _sample(name, run, 4)
    servers = [server for emulator in run.emulators for server in emulator.servers]

    def search(provider: Any, _index: int) -> int:
        return len(list(provider.search(run.query().replace(max_results=5))))

    def download(provider: Any, index: int) -> int:
        with host_slots([server.base_url for server in servers], CAP):
            return len(download_scene(provider.downloader(scenes[index]), tmp_path / str(index)).files)

    for job, count in ((search, LIMIT + 1), (download, len(scenes))):
        # A fresh limiter each time: its first LIMIT requests may leave at once (and overlap).
        network = NetworkConfig(rate_limiter=RateLimiter([(LIMIT, PERIOD)]))
        provider = build_provider(name, run.options, network)
        for emulator in run.emulators:
            emulator.clear_logs()
        for server in servers:
            server.hold = HOLD
        try:
            with ThreadPoolExecutor(count) as pool:
                assert all(pool.map(functools.partial(job, provider), range(count)))
        finally:
            for server in servers:
                server.hold = 0.0
        arrivals = {server.netloc: list(server.arrivals) for server in servers}
        assert sum(map(len, arrivals.values())) > LIMIT  # enough requests for the limit to matter
        assert {host: _bursts(times) for host, times in arrivals.items() if _bursts(times)} == {}
        if job is download:
            busiest = {server.netloc: server.max_in_flight for server in servers}
            assert {host: count for host, count in busiest.items() if count > CAP} == {}
            assert max(busiest.values()) == CAP
