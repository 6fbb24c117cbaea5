"""The Planet provider against the Data API emulator: paging, filters, activation by polling, download."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from shapely.geometry import box

from scene_picker.core.credentials import delete_credentials, store_credentials
from scene_picker.core.errors import ActivationError, AuthenticationError, ChecksumMismatchError, OutputError
from scene_picker.core.query import Query
from scene_picker.providers.planet import PlanetProvider
from scene_picker.providers.polling import PollPolicy

from support.planet_emulator import PlanetEmulator

KEY = "PLAK0123456789abcdef"
FAST = PollPolicy(interval=0.01, factor=2.0, max_interval=0.05, timeout=1.0)


@pytest.fixture(scope="module")
def planet():
    emu = PlanetEmulator(api_keys={KEY}, polls_needed=3).start()
    yield emu
    emu.close()


@pytest.fixture
def provider(planet):
    store_credentials("planet", "", KEY)
    yield PlanetProvider(url=planet.api_url, page_size=5, poll=FAST)
    delete_credentials("planet")


def test_paging_returns_every_item_once(provider, planet):
    results = provider.search(Query.build())
    ids = [s.id for s in results]
    assert len(ids) == len(set(ids)) == len(planet.items)
    assert set(ids) == {i.id for i in planet.items}
    assert results.pages_fetched == -(-len(planet.items) // 5)
    assert results.total is None


@pytest.mark.parametrize(
    "aoi, start, end, cloud",
    [
        (box(2.5, 43.2, 4.0, 44.5), "2023-05-10", "2023-06-10", (10, 60)),
        (None, "2023-06-01T12:00:00Z", None, (0, 30)),
        (box(1, 42, 3, 44.2), None, "2023-05-25", None),
    ],
)
def test_filters_match_brute_force(provider, planet, aoi, start, end, cloud):
    query = Query.build(
        aoi=aoi, start=start, end=end, cloud_min=cloud and cloud[0], cloud_max=cloud and cloud[1]
    )
    expected = {
        i.id
        for i in planet.items
        if (query.aoi is None or i.polygon.intersects(query.aoi))
        and (query.start is None or i.acquired >= query.start)
        and (query.end is None or i.acquired <= query.end)
        and (cloud is None or cloud[0] <= i.cloud_cover * 100 <= cloud[1])
    }
    got = [s.id for s in provider.search(query)]
    assert len(got) == len(set(got)) and set(got) == expected and expected


def test_scene_fields_and_get(provider, planet):
    item = planet.items[4]
    scene = provider.get(item.id)
    assert scene.id == item.id and scene.collection == "PSScene" and scene.platform == "planetscope"
    assert scene.datetime == item.acquired
    assert scene.cloud_cover == pytest.approx(item.cloud_cover * 100)
    assert scene.footprint.equals(item.polygon) and not scene.online
    assert scene.datetime.tzinfo is not None and scene.datetime < datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_activation_polls_then_downloads_and_a_stuck_asset_fails_clearly(provider, planet, tmp_path):
    items = planet.items[:3]
    stuck = items[1]
    planet.never_activate.add((stuck.id, "ortho_analytic_4b"))
    planet.throttle_activations = 1  # one 429 with Retry-After: 0 on the way
    planet.calls.clear()
    try:
        scenes = [provider.get(i.id) for i in items]
        outcomes = [provider.downloader(s).try_download(tmp_path) for s in scenes]
    finally:
        planet.never_activate.clear()
    failed = [o for o in outcomes if not o.ok]
    assert [f.scene_id for f in failed] == [stuck.id]
    assert isinstance(failed[0].error, ActivationError)
    assert "'activating'" in failed[0].message and "try again later" in failed[0].message
    for item, outcome in zip(items, outcomes):
        if outcome.ok:
            assert [p.name for p in outcome.files] == [f"{item.id}_ortho_analytic_4b.tif"]
            assert outcome.files[0].read_bytes() == item.assets["ortho_analytic_4b"]
    assert not (tmp_path / stuck.id / f"{stuck.id}_ortho_analytic_4b.tif").exists()
    activations = [c for c in planet.calls if c["path"].endswith("/activate")]
    assert len(activations) == 3 + 1  # one per asset, plus the throttled try
    status_reads = [
        c for c in planet.calls if c["path"].startswith("/data/v1/assets/") and c["method"] == "GET"
    ]
    assert len(status_reads) >= 2 * 3 + 2
    downloads = [c for c in planet.calls if c["path"] == "/data/v1/download"]
    assert len(downloads) == 2 and not any(c["has_key"] for c in downloads)


def test_unknown_asset_and_bad_key(provider, planet, tmp_path):
    scene = provider.get(planet.items[6].id)
    with pytest.raises(ActivationError) as info:
        provider.downloader(scene).download(tmp_path, assets=["basic_analytic_8b"])
    assert "ortho_visual" in str(info.value)
    bad = PlanetProvider(url=planet.api_url, api_key="PLAK-wrong-key")
    with pytest.raises(AuthenticationError) as auth:
        list(bad.search(Query.build()))
    assert "PLAK-wrong-key" not in str(auth.value)
    assert "scene-picker login planet" in str(auth.value) and "PROVIDER" not in str(auth.value)


def test_an_expired_download_link_is_activated_again_once(provider, planet, tmp_path):
    item = planet.items[8]
    downloader = provider.downloader(provider.get(item.id))
    downloader.activate()  # activated now, downloaded later: the signed link lapsed meanwhile
    planet.expire(item.id, "ortho_analytic_4b")
    planet.calls.clear()
    result = downloader.download(tmp_path)
    assert result.files[0].read_bytes() == item.assets["ortho_analytic_4b"]
    downloads = [c for c in planet.calls if c["path"] == "/data/v1/download"]
    activations = [c for c in planet.calls if c["path"].endswith("/activate")]
    assert len(downloads) == 2 and len(activations) == 1  # refused link, fresh activation, download


def test_an_asset_not_matching_its_md5_digest_is_refused(provider, planet, tmp_path):
    item = planet.items[9]
    planet.corrupt.add((item.id, "ortho_analytic_4b"))
    try:
        with pytest.raises(ChecksumMismatchError):
            provider.downloader(provider.get(item.id)).download(tmp_path)
    finally:
        planet.corrupt.clear()
    assert not (tmp_path / item.id / f"{item.id}_ortho_analytic_4b.tif").exists()


def test_cli_download_of_ortho_visual_does_not_wait_for_the_default_asset(provider, planet, tmp_path, capsys):
    from scene_picker.cli.main import main

    item = planet.items[10]
    planet.never_activate.add((item.id, "ortho_analytic_4b"))  # the default asset never activates
    planet.calls.clear()
    try:
        code = main(
            ["download", "--provider", "planet", "--url", planet.api_url, "--id", item.id]
            + ["--assets", "ortho_visual", "-o", str(tmp_path)]
        )
    finally:
        planet.never_activate.discard((item.id, "ortho_analytic_4b"))
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / item.id / f"{item.id}_ortho_visual.tif").read_bytes() == item.assets["ortho_visual"]
    activations = [c for c in planet.calls if c["path"].endswith("/activate")]
    assert [c["method"] for c in activations] == ["GET"]  # the chosen asset only, as Planet's client does


def test_cli_download_with_a_per_host_cap_takes_the_catalogs_host_before_activation(
    provider, planet, tmp_path, capsys
):
    """Planet lists a scene's asset links only once activated: a ``--per-host`` slot is then held on the
    catalog's host (the download used to fail with "has no downloadable asset")."""
    from scene_picker.cli.main import main

    items = planet.items[11:14]
    command = ["download", "--provider", "planet", "--url", planet.api_url, "-o", str(tmp_path)]
    for item in items:
        command += ["--id", item.id]
    planet.polls_needed = 0  # active at the first look: the command line polls at its own pace
    try:
        code = main(command + ["--assets", "ortho_visual", "-j", "3", "--per-host", "1"])
    finally:
        planet.polls_needed = 3
    assert code == 0, capsys.readouterr().err
    for item in items:
        written = tmp_path / item.id / f"{item.id}_ortho_visual.tif"
        assert written.read_bytes() == item.assets["ortho_visual"]


def test_a_file_where_the_output_folder_should_be_is_an_output_error(provider, planet, tmp_path):
    item = planet.items[7]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="Cannot write .*not-a-folder.*free space"):
        provider.downloader(provider.get(item.id)).download(blocker / "sub")
