"""Side-car labels (JSON, namespaced XML, PVL) fetched concurrently from a loopback server, with a
bounded pool, values exposed on the scenes and used as a filter; failures stay per scene."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from scene_picker.core.errors import UsageError
from scene_picker.core.scene import Asset, Scene
from scene_picker.core.sidecar import SidecarField, iter_with_sidecars, load_sidecar, within
from scene_picker.providers.stac_static import StaticStacProvider

from conftest import PKG_PARENT
from support.http_emulator import EmulatorHandler, EmulatorServer

FORMATS = ("json", "xml", "pvl")


def angle(i: int) -> float:
    return round(5 + (i * 7.3) % 60, 1)


def label(fmt: str, i: int) -> bytes:
    if fmt == "json":
        return f'{{"view": {{"incidence_angle": {angle(i)}, "sun": [1, 2, 3]}}}}'.encode()
    if fmt == "xml":
        return (
            f'<?xml version="1.0"?><l:label xmlns:l="urn:test:label"><l:IMAGE>'
            f'<l:INCIDENCE_ANGLE l:unit="deg">{angle(i)}</l:INCIDENCE_ANGLE></l:IMAGE></l:label>'
        ).encode()
    return textwrap.dedent(
        f"""\
        PDS_VERSION_ID = PDS3
        OBJECT = IMAGE
          INCIDENCE_ANGLE = {angle(i)} <DEG>
          LINES = 1024
        END_OBJECT = IMAGE
        END
        """
    ).encode()


class LabelServer:
    """Serves /labels/<fmt>/<i>.<ext>; counts requests in flight (each answer takes a few ms)."""

    def __init__(self) -> None:
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(EmulatorHandler):
            def do_GET(self) -> None:  # noqa: N802
                with owner.lock:
                    owner.inflight += 1
                    owner.max_inflight = max(owner.max_inflight, owner.inflight)
                try:
                    time.sleep(0.01)  # lets concurrent requests overlap; no assertion is timed
                    path, _ = self.split()
                    parts = path.strip("/").split("/")
                    if len(parts) == 3 and parts[0] == "labels" and parts[1] in FORMATS:
                        index = int(parts[2].split(".")[0])
                        if index % 13 == 12:
                            self.send_text(404, "not found")
                        else:
                            self.send_body(200, label(parts[1], index), "application/octet-stream")
                    else:
                        self.send_text(404, "not found")
                finally:
                    with owner.lock:
                        owner.inflight -= 1

        self.server = EmulatorServer(Handler, self).start()

    def scenes(self, fmt: str, count: int) -> list[Scene]:
        ext = {"json": "json", "xml": "xml", "pvl": "lbl"}[fmt]
        return [
            Scene(
                "test",
                f"{fmt}-{i}",
                assets={
                    "data": Asset("data", f"{self.server.base_url}/data/{i}.tif", roles=("data",)),
                    "label": Asset(
                        "label", f"{self.server.base_url}/labels/{fmt}/{i}.{ext}", roles=("metadata",)
                    ),
                },
            )
            for i in range(count)
        ]


@pytest.fixture(scope="module")
def labels():
    server = LabelServer()
    yield server
    server.server.stop()


PATHS = {"json": "view.incidence_angle", "xml": ".//IMAGE/INCIDENCE_ANGLE", "pvl": "IMAGE.INCIDENCE_ANGLE"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_are_read_concurrently_and_filter(labels, fmt):
    from scene_picker.core.http import HttpClient, RetryPolicy

    http = HttpClient(retry=RetryPolicy(max_attempts=1))
    labels.max_inflight = 0
    scenes = labels.scenes(fmt, 40)
    field = SidecarField("incidence_angle", PATHS[fmt])
    done = list(iter_with_sidecars(iter(scenes), [field], http, workers=4))
    assert [s.id for s in done] == [s.id for s in scenes]  # order kept
    for i, scene in enumerate(done):
        if i % 13 == 12:
            assert scene.properties["incidence_angle"] is None
            assert "404" in scene.properties["sidecar_errors"]["incidence_angle"]
        else:
            assert scene.properties["incidence_angle"] == angle(i)
            assert "sidecar_errors" not in scene.properties
    assert 1 < labels.max_inflight <= 4
    kept = [s.id for s in within(done, "incidence_angle", 10, 30)]
    assert kept == [f"{fmt}-{i}" for i in range(40) if i % 13 != 12 and 10 <= angle(i) <= 30]
    assert kept


def test_xml_attributes_json_lists_and_missing_paths(labels):
    from scene_picker.core.http import HttpClient

    http = HttpClient()
    xml_scene = labels.scenes("xml", 1)[0]
    json_scene = labels.scenes("json", 1)[0]
    load_sidecar(xml_scene, [SidecarField("unit", ".//INCIDENCE_ANGLE@unit", convert=None)], http)
    assert xml_scene.properties["unit"] == "deg"
    load_sidecar(
        json_scene,
        [SidecarField("sun1", "view.sun.1", asset="label"), SidecarField("nothing", "view.absent")],
        http,
    )
    assert json_scene.properties["sun1"] == 2.0
    assert json_scene.properties["nothing"] is None
    assert "view.absent not found" in json_scene.properties["sidecar_errors"]["nothing"]
    bare = Scene(
        "test", "no-label", assets={"data": Asset("data", "http://127.0.0.1:9/x.tif", roles=("data",))}
    )
    load_sidecar(bare, [SidecarField("a", "x")], http)
    assert bare.properties["sidecar_errors"] == {"a": "no metadata asset"}
    with pytest.raises(UsageError):
        SidecarField("a", "x", format="yaml")


def test_local_labels_of_a_static_catalog(tmp_path):
    (tmp_path / "l.json").write_text('{"view": {"incidence_angle": 33.5}}')
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "one",
        "geometry": None,
        "properties": {"datetime": "2023-01-01T00:00:00Z"},
        "assets": {"meta": {"href": "./l.json", "roles": ["metadata"], "type": "application/json"}},
        "links": [],
    }
    import json

    (tmp_path / "item.json").write_text(json.dumps(item))
    (tmp_path / "catalog.json").write_text(
        json.dumps({"type": "Catalog", "id": "c", "links": [{"rel": "item", "href": "./item.json"}]})
    )
    from scene_picker.core.query import Query

    scenes = StaticStacProvider(tmp_path / "catalog.json").search(Query.build())
    (scene,) = iter_with_sidecars(scenes, [SidecarField("incidence_angle", "view.incidence_angle")])
    assert scene.properties["incidence_angle"] == 33.5


def test_pvl_without_the_optional_package_says_how_to_get_it(labels):
    code = textwrap.dedent(
        f"""
        import sys
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name == "pvl" or name.startswith("pvl."):
                    raise ImportError("blocked")
        sys.meta_path.insert(0, Blocker())
        sys.path.insert(0, {str(PKG_PARENT)!r})
        from scene_picker.core.errors import UsageError
        from scene_picker.core.http import HttpClient
        from scene_picker.core.scene import Asset, Scene
        from scene_picker.core.sidecar import SidecarField, load_sidecar
        scene = Scene("t", "s", assets={{"l": Asset("l", {labels.scenes("pvl", 1)[0].assets["label"].href!r},
                                                   roles=("metadata",))}})
        try:
            load_sidecar(scene, [SidecarField("a", "IMAGE.INCIDENCE_ANGLE")], HttpClient())
        except UsageError as exc:
            print("USAGE:", exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "USAGE:" in done.stdout and "pip install pvl" in done.stdout
