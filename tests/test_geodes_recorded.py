"""GEODES against its real recorded answers (tests/fixtures/recorded/geodes, see SOURCE.md there).

The recordings are served as they are on loopback; the scenes parsed from them are checked field by
field, the requests the provider builds against what GEODES expects (POST /api/stac/search with a JSON
body, limit <= 80, page from 1, the query extension), and the emulator's items against the recordings'
structure so the emulator tests below stand on the real format.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from scene_picker.core.query import Query
from scene_picker.providers.geodes import MAX_LIMIT, GeodesProvider, parse_description

from support.geodes_emulator import GeodesEmulator, default_catalogue, recorded
from support.http_emulator import EmulatorHandler, EmulatorServer

UTC = dt.timezone.utc


class Replay:
    """Serves recorded answers in turn at POST /api/stac/search and /api/stac/collections."""

    def __init__(self, answers: dict[str, list]) -> None:
        self.answers = answers
        self.bodies: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        self.server = EmulatorServer(_ReplayHandler, self)

    def __enter__(self) -> Replay:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def root_url(self) -> str:
        return f"{self.server.base_url}/api/stac"


class _ReplayHandler(EmulatorHandler):
    def do_POST(self) -> None:
        path, _ = self.split()
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        replay: Replay = self.emulator
        with replay.lock:
            replay.bodies.append((self.command, path, body))
            queue = replay.answers.get(path) or []
            answer = queue.pop(0) if queue else None
        if answer is None:
            self.send_json(404, {"code": "NotFound"})
        else:
            self.send_json(200, answer, content_type=self.headers.get("Accept", "application/json"))


def one_feature_answer(item: dict) -> dict:
    """A recorded item in the recorded search answer's envelope (pyGeodes kept the item alone)."""
    envelope = recorded("search_peps_s2_l1c.json")
    envelope["features"] = [item]
    return envelope


def test_recorded_sentinel2_search_answer_parses_field_by_field():
    answer = recorded("search_peps_s2_l1c.json")
    with Replay({"/api/stac/search": [answer]}) as replay:
        provider = GeodesProvider(url=replay.root_url)
        results = provider.search(
            Query.build(
                bbox=(-102.0, 52.0, -100.0, 53.5),
                start="2025-04-01",
                end="2025-04-03",
                cloud_max=80,
                collections="PEPS_S2_L1C",
                extras={"tile": "14ULD"},
            )
        )
        scenes = list(results)
        method, path, body = replay.bodies[0]
    assert results.total == 37273723  # context.matched
    assert len(scenes) == 1 and len(replay.bodies) == 1  # one feature < limit: no second page
    scene = scenes[0]
    assert scene.provider == "geodes"
    assert scene.id == "S2A_MSIL1C_20250402T175741_N0511_R141_T14ULD_20250403T022035"
    assert scene.properties["geodes:id"] == "URN:FEATURE:DATA:gdh:25416e3f-1a7f-379a-9b65-a6539b1fd95b:V1"
    # start_datetime is the acquisition; datetime (the next morning) the publication.
    assert scene.datetime == dt.datetime(2025, 4, 2, 17, 57, 41, 24000, tzinfo=UTC)
    assert scene.properties["published"] == "2025-04-03T09:00:26.809Z"
    assert scene.footprint is not None
    assert scene.footprint.bounds == pytest.approx(
        (-101.99523907493, 52.226210870436, -100.32145593499, 53.241963547644)
    )
    assert scene.cloud_cover == pytest.approx(67.54958344531)
    assert scene.platform == "sentinel-2a"
    assert scene.collection == "PEPS_S2_L1C"
    assert scene.properties["tile"] == "14ULD" and scene.properties["grid:code"] == "T14ULD"
    assert scene.properties["relative_orbit"] == 141 and scene.properties["sat:absolute_orbit"] == 51075
    assert "political" not in scene.properties
    archive = scene.assets["archive"]
    assert archive.href == (
        "https://geodes-portal.cnes.fr/api/download/URN:FEATURE:DATA:gdh:25416e3f-1a7f-379a-9b65-a6539b1fd95b:V1"
        "/files/86f828c4c7e921615d1cd0476604f780"
    )
    assert archive.size == 764210185
    assert archive.checksum is not None and archive.checksum.algorithm == "md5"
    assert archive.checksum.hexdigest == "86f828c4c7e921615d1cd0476604f780"
    assert (
        archive.is_zip and archive.title == "S2A_MSIL1C_20250402T175741_N0511_R141_T14ULD_20250403T022035.zip"
    )
    assert scene.online is False  # "Is online: false": checked with the availability service before download
    quicklook = scene.assets["quicklook"]
    assert quicklook.href.startswith(
        "https://geodes-portal.cnes.fr/api/quicklook/URN:FEATURE:DATA:gdh:25416e3f"
    )
    assert quicklook.href.endswith("?scope=gdh") and scene.quicklook == quicklook.href
    assert quicklook.size == 18684 and quicklook.checksum.hexdigest == "1003ae6b1edf05adf7c46cb759ffeaec"
    # What GEODES expects (EODAG's and pyGeodes's requests): POST, JSON body, query extension.
    assert (method, path) == ("POST", "/api/stac/search")
    assert body["collections"] == ["PEPS_S2_L1C"]
    assert body["bbox"] == [-102.0, 52.0, -100.0, 53.5]
    assert body["limit"] == MAX_LIMIT == 80 and body["page"] == 1
    assert body["query"] == {
        "end_datetime": {"gte": "2025-04-01T00:00:00Z"},
        "start_datetime": {"lte": "2025-04-03T23:59:59.999999Z"},
        "eo:cloud_cover": {"lte": 80.0},
        "grid:code": {"contains": "T14ULD"},
    }
    assert body["sortBy"] == [{"field": "start_datetime", "direction": "asc"}]


def test_recorded_sentinel1_item_parses_field_by_field():
    item = recorded("item_peps_s1_l1.json")
    with Replay({"/api/stac/search": [one_feature_answer(item)]}) as replay:
        scene = GeodesProvider(url=replay.root_url).get(
            "S1C_IW_GRDH_1SDV_20251217T230248_20251217T230317_005497_00AF3C_C5D6"
        )
        _method, _path, body = replay.bodies[0]
    assert body == {
        "query": {
            "identifier": {"eq": "S1C_IW_GRDH_1SDV_20251217T230248_20251217T230317_005497_00AF3C_C5D6"}
        },
        "limit": 1,
        "page": 1,
    }
    assert scene.id == "S1C_IW_GRDH_1SDV_20251217T230248_20251217T230317_005497_00AF3C_C5D6"
    assert scene.datetime == dt.datetime(2025, 12, 17, 23, 2, 48, 679000, tzinfo=UTC)
    assert scene.properties["end_datetime"] == "2025-12-17T23:03:17.958Z"
    assert scene.platform == "sentinel-1c" and scene.collection == "PEPS_S1_L1"
    assert scene.cloud_cover == 0.0
    assert scene.properties["relative_orbit"] == 76 and scene.properties["sat:orbit_state"] == "Ascending"
    assert scene.properties["product:type"] == "GRD" and "tile" not in scene.properties
    assert scene.footprint.bounds == pytest.approx((-72.155701, -3.832558, -69.549095, -1.577211))
    archive = scene.assets["archive"]
    assert archive.size == 2005940905 and archive.checksum.hexdigest == "4532d59ddeff760e690e824734f5eccd"
    assert archive.href.endswith("/files/4532d59ddeff760e690e824734f5eccd")


def test_recorded_collection_is_read_by_the_refresh():
    answer = {"collections": [recorded("collection_peps_s1_l1.json")], "context": {"returned": 1}}
    with Replay({"/api/stac/collections": [answer]}) as replay:
        collections = GeodesProvider(url=replay.root_url).refresh_collections()
        method, path, body = replay.bodies[0]
    assert (method, path) == ("POST", "/api/stac/collections") and body["limit"] >= 1
    assert [(c.id, c.title, c.platforms) for c in collections] == [
        ("PEPS_S1_L1", "PEPS Sentinel-1 Level1", ("sentinel-1",))
    ]


def test_description_parsing_matches_the_recorded_text():
    description = recorded("item_peps_s1_l1.json")["assets"][
        "S1C_IW_GRDH_1SDV_20251217T230248_20251217T230317_005497_00AF3C_C5D6.zip"
    ]["description"]
    assert parse_description(description) == {
        "file size": "2005940905 bytes",
        "is reference": "false",
        "is online": "false",
        "datatype": "RAWDATA",
        "checksum md5": "4532d59ddeff760e690e824734f5eccd",
    }


@pytest.mark.parametrize("collection, recording", [("PEPS_S2_L1C", "s2"), ("PEPS_S1_L1", "s1")])
def test_emulator_items_have_the_recorded_structure(collection, recording):
    """The emulator's answers keep every key of the real ones (and add none)."""
    real = (
        recorded("search_peps_s2_l1c.json")["features"][0]
        if recording == "s2"
        else recorded("item_peps_s1_l1.json")
    )
    with GeodesEmulator(default_catalogue({collection: 1})) as emulator:
        item = emulator.item(emulator.products[0])
    assert set(item) == set(real)
    assert set(item["properties"]) == set(real["properties"])
    assert [a["roles"] for a in item["assets"].values()] == [a["roles"] for a in real["assets"].values()]
    for mine, theirs in zip(item["assets"].values(), real["assets"].values()):
        assert set(mine) == set(theirs)
        assert set(parse_description(mine["description"])) == set(parse_description(theirs["description"]))
    assert [link["rel"] for link in item["links"]] == [link["rel"] for link in real["links"]]
    assert item["id"].startswith("URN:FEATURE:DATA:gdh:") and item["id"].endswith(":V1")
