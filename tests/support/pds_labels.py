"""Labels for the side-car tests: PDS3/PVL and namespaced PDS4-like XML labels served on loopback, some
missing (404), some malformed, some without the value; a static STAC ItemCollection whose items point at
them; and a brute-force sequential read of the same labels (the reference the filters are checked against).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .http_emulator import EmulatorHandler, EmulatorServer

COUNT = 36


def angle(i: int) -> float:
    return round(5 + (i * 7.3) % 60, 1)


def kind(i: int) -> str:
    if i % 9 == 4:
        return "missing"
    if i % 7 == 5:
        return "malformed"
    if i % 11 == 8:
        return "no-value"
    return "ok"


def label(i: int) -> bytes:
    value = f"INCIDENCE_ANGLE = {angle(i)} <DEG>" if kind(i) != "no-value" else "EMISSION_ANGLE = 3.0 <DEG>"
    if i % 2:  # PVL (PDS3)
        text = f"PDS_VERSION_ID = PDS3\nOBJECT = IMAGE\n  LINES = 1024\n  {value}\nEND_OBJECT = IMAGE\nEND\n"
        if kind(i) == "malformed":
            text = text.replace("LINES = 1024", "LINES = (1024, 2")
        return text.encode()
    name, number = value.split(" = ")[0], value.split(" = ")[1].split()[0]
    text = (
        '<?xml version="1.0"?><p:Product xmlns:p="urn:test:pds4"><p:Geometry><p:Illumination>'
        f'<p:{name} p:unit="deg">{number}</p:{name}></p:Illumination></p:Geometry></p:Product>'
    )
    if kind(i) == "malformed":
        text = text[: len(text) // 2]
    return text.encode()


def suffix(i: int) -> str:
    return "lbl" if i % 2 else "xml"


class LabelServer:
    """/labels/<i>.<lbl|xml> and /data/<i>.tif; counts label requests in flight."""

    def __init__(self) -> None:
        self.inflight = self.max_inflight = 0
        self.lock = threading.Lock()
        owner = self

        class Handler(EmulatorHandler):
            def do_GET(self) -> None:  # noqa: N802
                path, _ = self.split()
                folder, _, name = path.strip("/").partition("/")
                index = name.split(".")[0]
                if folder == "data" and index.isdigit():
                    self.send_body(200, f"pixels {index}".encode(), "image/tiff")
                    return
                if folder != "labels" or not index.isdigit() or kind(int(index)) == "missing":
                    self.send_text(404, "not found")
                    return
                with owner.lock:
                    owner.inflight += 1
                    owner.max_inflight = max(owner.max_inflight, owner.inflight)
                try:
                    time.sleep(0.01)  # lets concurrent reads overlap; nothing here is timed
                    self.send_body(200, label(int(index)), "application/octet-stream")
                finally:
                    with owner.lock:
                        owner.inflight -= 1

        self.server = EmulatorServer(Handler, self).start()
        self.url = self.server.base_url


@pytest.fixture(scope="module")
def labels():
    """A running :class:`LabelServer` (a plugin of tests/conftest.py)."""
    server = LabelServer()
    yield server
    server.server.stop()


def write_catalog(labels: LabelServer, path: Path) -> Path:
    """A static STAC ItemCollection of COUNT scenes whose metadata assets are the labels."""
    features = []
    for i in range(COUNT):
        features.append(
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": f"scene-{i:02d}",
                "geometry": {"type": "Point", "coordinates": [10.0, 45.0]},
                "bbox": [10.0, 45.0, 10.0, 45.0],
                "properties": {"datetime": f"2024-05-{1 + i % 28:02d}T10:00:00Z"},
                "assets": {
                    "data": {"href": f"{labels.url}/data/{i}.tif", "roles": ["data"]},
                    "label": {"href": f"{labels.url}/labels/{i}.{suffix(i)}", "roles": ["metadata"]},
                },
                "links": [],
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def brute_force(labels: LabelServer, below: float) -> tuple[set[str], set[str]]:
    """(ids passing 'incidence_angle < below', ids whose label gives no value), read one by one."""
    import pvl  # the tests using it skip when the optional package is missing

    passing, unreadable = set(), set()
    for i in range(COUNT):
        scene_id = f"scene-{i:02d}"
        try:
            with urllib.request.urlopen(f"{labels.url}/labels/{i}.{suffix(i)}", timeout=10) as answer:
                data = answer.read()
        except urllib.error.HTTPError:
            unreadable.add(scene_id)
            continue
        value = None
        try:
            if suffix(i) == "xml":
                for element in ElementTree.fromstring(data).iter():
                    if element.tag.endswith("}INCIDENCE_ANGLE"):
                        value = float(element.text)
            else:
                image = pvl.loads(data.decode())["IMAGE"]
                if "INCIDENCE_ANGLE" in image:
                    value = float(image["INCIDENCE_ANGLE"].value)
        except (ElementTree.ParseError, pvl.exceptions.LexerError, pvl.exceptions.ParseError):
            value = None
        if value is None:
            unreadable.add(scene_id)
        elif value < below:
            passing.add(scene_id)
    return passing, unreadable
