"""Scene/Asset GeoJSON round trip, the lazy pager, the default downloader's selection and local copies,
the provider registry and the aggregate search (with small in-test providers implementing the ABC)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading

import pytest
from shapely.geometry import box

from scene_picker.core.checksums import Checksum
from scene_picker.core.errors import (
    ChecksumMismatchError,
    NetworkError,
    ProviderError,
    ProviderResponseError,
    UnknownProviderError,
    UsageError,
)
from scene_picker.core.query import Query
from scene_picker.core.scene import SOURCE_PROPERTY, Asset, Scene, catalog_source
from scene_picker.providers import registry
from scene_picker.providers.aggregate import ProviderDone, ProviderFailed, SceneFound, aggregate_search
from scene_picker.providers.base import Provider, ResultPage, SearchResults
from scene_picker.providers.downloader import Downloader, DownloadFailure
from scene_picker.providers.spec import CredentialSpec

UTC = dt.timezone.utc


def make_scene(i: int, provider: str = "mem", **kw) -> Scene:
    return Scene(
        provider=provider,
        id=f"scene-{i}",
        platform="sentinel-2a",
        collection="c1",
        datetime=dt.datetime(2023, 1, 1, tzinfo=UTC) + dt.timedelta(days=i),
        footprint=box(i, 0, i + 1, 1),
        cloud_cover=float(i % 100),
        **kw,
    )


def test_scene_feature_round_trip():
    sha = hashlib.sha256(b"x").hexdigest()
    scene = make_scene(
        3,
        quicklook="http://h/q.png",
        online=False,
        properties={"incidence_angle": 12.5, "when": dt.datetime(2020, 1, 1, tzinfo=UTC)},
        assets={
            "B01": Asset(
                "B01",
                "http://h/B01.tif",
                title="Band 1",
                media_type="image/tiff",
                roles=("data",),
                size=10,
                checksum=Checksum("sha256", sha),
                alternates={"s3": "s3://b/B01.tif"},
            ),
            "thumb": Asset("thumb", "http://h/t.png", roles=("thumbnail",)),
        },
    )
    feature = scene.to_feature()
    assert feature["properties"]["datetime"] == "2023-01-04T00:00:00Z"
    assert feature["properties"]["when"] == "2020-01-01T00:00:00Z"
    assert feature["assets"]["B01"]["file:checksum"] == "1220" + sha
    assert feature["bbox"] == [3.0, 0.0, 4.0, 1.0]
    back = Scene.from_feature(feature)
    assert back.id == scene.id and back.datetime == scene.datetime and back.footprint.equals(scene.footprint)
    assert back.assets == scene.assets
    assert back.online is False and back.properties["incidence_angle"] == 12.5
    assert back.cloud_cover == 3.0 and back.collection == "c1" and back.provider == "mem"
    # a STAC multihash alone is read too; an unsupported one leaves the checksum unknown
    assert Asset.from_dict("a", {"href": "x", "file:checksum": "1220" + sha}).checksum == Checksum(
        "sha256", sha
    )
    assert Asset.from_dict("a", {"href": "x", "file:checksum": "ff01ab"}).checksum is None
    with pytest.raises(ProviderResponseError):
        Asset.from_dict("a", {"title": "no href"})
    with pytest.raises(ProviderResponseError):
        Scene.from_feature({"type": "FeatureCollection"})


def test_scene_source_round_trips_and_never_keeps_a_credential():
    """``Scene.source`` (the options that rebuild the provider) travels in the feature and the CSV;
    a URL carrying user info or a token is never recorded, nor read back from a file."""
    import csv
    import io
    import json

    from scene_picker.core.export import to_csv_text

    scene = make_scene(1, provider="stac", source=catalog_source("http://127.0.0.1:8081/api"))
    feature = scene.to_feature()
    assert feature["properties"]["provider"] == "stac"
    assert feature["properties"][SOURCE_PROPERTY] == {"url": "http://127.0.0.1:8081/api"}
    back = Scene.from_feature(json.loads(json.dumps(feature)))
    assert back.source == {"url": "http://127.0.0.1:8081/api"} and SOURCE_PROPERTY not in back.properties
    (row,) = csv.DictReader(io.StringIO(to_csv_text([scene])))
    assert row["provider"] == "stac" and json.loads(row["source"]) == {"url": "http://127.0.0.1:8081/api"}
    assert "source" not in make_scene(2).to_feature()["properties"] and make_scene(2).source == {}
    assert catalog_source("https://user:pw@h/stac") == {} and catalog_source("https://h/s?token=abc") == {}
    tampered = {
        **feature,
        "properties": {**feature["properties"], SOURCE_PROPERTY: {"url": "https://u:p@h/"}},
    }
    assert Scene.from_feature(tampered).source == {}


def _pages(n_pages: int, per_page: int, log: list[int], total: int | None = None):
    for p in range(n_pages):
        log.append(p)
        yield ResultPage([make_scene(p * per_page + i) for i in range(per_page)], total)


def test_search_results_is_lazy_and_stops_at_max_results():
    fetched: list[int] = []
    results = SearchResults(_pages(10, 5, fetched, total=50), max_results=12)
    assert fetched == []
    assert results.total == 50 and fetched == [0]
    ids = [s.id for s in results]
    assert ids == [f"scene-{i}" for i in range(12)]
    assert fetched == [0, 1, 2]  # never more pages than needed
    assert list(results) == []


def test_search_results_skips_empty_pages_and_unknown_total():
    def pages():
        yield ResultPage([], None)
        yield ResultPage([make_scene(1)], None)
        yield ResultPage([], None)

    results = SearchResults(pages())
    assert [s.id for s in results] == ["scene-1"]
    assert results.total is None
    assert SearchResults.from_scenes([make_scene(1), make_scene(2)]).total == 2


def test_downloader_selects_assets_by_role_key_and_pattern(tmp_path):
    scene = make_scene(
        1,
        assets={
            "B01": Asset("B01", "http://h/B01.tif", roles=("data",)),
            "B02": Asset("B02", "http://h/B02.tif", roles=("data",)),
            "thumbnail": Asset("thumbnail", "http://h/t.png", roles=("thumbnail",)),
            "meta": Asset("meta", "http://h/m.xml", roles=("metadata",)),
        },
    )
    dl = Downloader(scene, http=None)
    assert [a.key for a in dl.select_assets()] == ["B01", "B02"]
    assert [a.key for a in dl.select_assets(["B0*", "role:metadata"])] == ["B01", "B02", "meta"]
    assert [a.key for a in dl.select_assets(["thumbnail"])] == ["thumbnail"]
    with pytest.raises(UsageError, match="available: B01, B02, meta, thumbnail"):
        dl.select_assets(["B99"])
    no_roles = make_scene(2, assets={"a": Asset("a", "http://h/a"), "b": Asset("b", "http://h/b")})
    assert len(Downloader(no_roles, http=None).select_assets()) == 2


def test_default_downloader_copies_and_verifies_local_assets(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.tif").write_bytes(b"hello")
    (src / "b.tif").write_bytes(b"world")
    good = Checksum("sha256", hashlib.sha256(b"hello").hexdigest())
    bad = Checksum("sha256", hashlib.sha256(b"other").hexdigest())
    scene = make_scene(
        1,
        assets={
            "a": Asset("a", (src / "a.tif").as_uri(), roles=("data",), size=5, checksum=good),
            "b": Asset("b", str(src / "b.tif"), roles=("data",), size=5),
        },
    )
    out = tmp_path / "out"
    result = Downloader(scene, http=None).download(out)
    assert sorted(p.name for p in result.files) == ["a.tif", "b.tif"]
    assert (out / "scene-1" / "a.tif").read_bytes() == b"hello"
    assert result.bytes_fetched == 10 and result.skipped == 0
    again = Downloader(scene, http=None).download(out)
    assert again.skipped == 2 and again.bytes_fetched == 0
    # a copy changed since (or a file of that name that was never verified) is copied again
    (out / "scene-1" / "a.tif").write_bytes(b"HELLO")
    (out / "scene-1" / "b.tif").unlink()
    (out / "scene-1" / "b.tif").write_bytes(b"short")
    os.utime(out / "scene-1" / "b.tif", ns=(1, 1))  # same size, not the recorded mtime
    third = Downloader(scene, http=None).download(out)
    assert third.skipped == 0 and third.bytes_fetched == 10
    assert (out / "scene-1" / "a.tif").read_bytes() == b"hello"
    assert (out / "scene-1" / "b.tif").read_bytes() == b"world"
    broken = make_scene(1, assets={"a": Asset("a", str(src / "a.tif"), roles=("data",), checksum=bad)})
    failure = Downloader(broken, http=None).try_download(tmp_path / "out2")
    assert isinstance(failure, DownloadFailure) and isinstance(failure.error, ChecksumMismatchError)
    assert not (tmp_path / "out2" / "scene-1" / "a.tif").exists()
    assert not list((tmp_path / "out2" / "scene-1").glob("*.part"))


class MemoryProvider(Provider):
    """An in-memory catalog: pages of scenes, optionally failing after some pages."""

    name = "memory-test"
    title = "Memory test catalog"
    platforms = ("sentinel-2a",)
    credentials = CredentialSpec("api_key", "a test key")

    def __init__(
        self,
        count: int = 25,
        fail_after: int | None = None,
        label: str = "memory-test",
        error: Exception | None = None,
    ) -> None:
        super().__init__(http=None)
        self.count, self.fail_after, self._label = count, fail_after, label
        self.error = error or NetworkError("connection refused by 127.0.0.1")

    @property
    def label(self) -> str:
        return self._label

    def search(self, query: Query) -> SearchResults:
        def pages():
            for start in range(0, self.count, 10):
                if self.fail_after is not None and start >= self.fail_after:
                    raise self.error
                scenes = [
                    make_scene(i, provider=self._label) for i in range(start, min(start + 10, self.count))
                ]
                yield ResultPage([s for s in scenes if query.matches(s)], self.count)

        return SearchResults(pages(), query.max_results)

    def get(self, scene_id: str) -> Scene:
        for i in range(self.count):
            if f"scene-{i}" == scene_id:
                return make_scene(i, provider=self._label)
        raise ProviderError(f"{self._label}: no scene {scene_id}", self._label)


def test_registry_lists_and_builds_providers():
    registry.register(MemoryProvider)
    try:
        info = {p.name: p for p in registry.list_providers()}["memory-test"]
        assert info.title == "Memory test catalog" and info.platforms == ("sentinel-2a",)
        assert info.credentials.kind == "api_key"
        provider = registry.get_provider("Memory-Test", count=3)
        assert isinstance(provider, MemoryProvider) and provider.count == 3
        with pytest.raises(ValueError):
            registry.register(type("Other", (MemoryProvider,), {}), name="memory-test")
    finally:
        registry.unregister("memory-test")
    with pytest.raises(UnknownProviderError, match="memory-test"):
        registry.get_provider("memory-test")


def test_aggregate_streams_results_and_isolates_failures():
    good = MemoryProvider(count=25, label="good")
    partial = MemoryProvider(count=30, fail_after=10, label="partial")
    buggy = MemoryProvider(count=5, fail_after=0, label="buggy", error=KeyError("features"))
    events = list(aggregate_search([good, partial, buggy], Query.build(), max_workers=2))
    found = [e for e in events if isinstance(e, SceneFound)]
    by_provider = {}
    for e in found:
        by_provider.setdefault(e.provider, []).append(e.scene.id)
    assert sorted(by_provider["good"]) == sorted(f"scene-{i}" for i in range(25))
    assert len(by_provider["partial"]) == 10  # received before the failure: kept
    done = [e for e in events if isinstance(e, ProviderDone)]
    assert [(d.provider, d.count, d.total) for d in done] == [("good", 25, 25)]
    failed = {e.provider: e for e in events if isinstance(e, ProviderFailed)}
    assert set(failed) == {"partial", "buggy"}
    assert isinstance(failed["partial"].error, NetworkError)
    assert failed["partial"].message == "partial: connection refused by 127.0.0.1"
    assert isinstance(failed["buggy"].error, ProviderError) and "buggy" in failed["buggy"].message


def test_aggregate_can_be_closed_early_without_hanging():
    providers = [MemoryProvider(count=2000, label=f"p{i}") for i in range(3)]
    gen = aggregate_search(providers, Query.build(), max_workers=3)
    first = [next(gen) for _ in range(5)]
    assert all(isinstance(e, SceneFound) for e in first)
    gen.close()
    # workers notice the stop at their next scene; none stays blocked on the full queue
    for t in threading.enumerate():
        if t.name.startswith("scene-picker-search"):
            t.join(timeout=5)
            assert not t.is_alive()
