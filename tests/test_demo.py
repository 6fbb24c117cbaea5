"""The offline demo end to end (``demo/run_demo.py``, what ``make demo`` runs) in a fresh process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtGui import QColor, QImage

from conftest import ROOT

pytestmark = pytest.mark.qgis


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "run_demo.py"), "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return workdir, result.stdout


def test_demo_fetches_two_bands_with_a_small_share_of_the_archive(demo_run):
    workdir, out = demo_run
    assert "Least cloudy: S2A_MSIL2A_20240603T105621_N0510_R051_T31TDJ_20240603T135959 (0%)" in out
    match = re.search(r"Fetched (\d+) bytes .* in (\d+) HTTP range requests out of a (\d+) byte", out)
    assert match, out
    fetched, requests, archive = (int(g) for g in match.groups())
    bands = sorted((workdir / "out" / "downloads").rglob("*_20m.tif"))
    assert [b.name.split("_")[2] for b in bands] == ["B04", "B08"]
    payload = sum(b.stat().st_size for b in bands)
    assert payload <= fetched < archive / 4  # the two members plus the directory, not the archive
    assert 1 <= requests <= 4
    for path in bands:
        assert str(path) in out


def test_demo_project_holds_the_bands_and_the_footprints(demo_run):
    workdir, _out = demo_run
    project = QgsProject()
    assert project.read(str(workdir / "out" / "demo.qgz"))
    layers = list(project.mapLayers().values())
    rasters = [layer for layer in layers if isinstance(layer, QgsRasterLayer)]
    vectors = {layer.name(): layer for layer in layers if isinstance(layer, QgsVectorLayer)}
    assert len(rasters) == 2 and all(layer.isValid() for layer in rasters)
    assert vectors["Scene footprints"].featureCount() == 3
    assert rasters[0].crs().authid() == "EPSG:32631"
    project.clear()


def test_demo_map_shows_footprints_and_a_band(demo_run):
    workdir, out = demo_run
    png = workdir / "out" / "demo-map.png"
    assert f"Map: {png}" in out
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1000, 800)
    colours: Counter = Counter()
    greys = set()
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            colour = QColor(image.pixel(x, y))
            rgb = (colour.red(), colour.green(), colour.blue())
            colours[rgb] += 1
            if rgb[0] == rgb[1] == rgb[2] and rgb != (0x2B, 0x2B, 0x2B):
                greys.add(rgb[0])
    background = colours[(0x2B, 0x2B, 0x2B)]
    red = sum(n for (r, g, b), n in colours.items() if r > 200 and g < 60 and b < 60)
    yellow = sum(n for (r, g, b), n in colours.items() if r > 200 and g > 180 and b < 90)
    assert 0.2 < background / sum(colours.values()) < 0.9
    assert red > 100, "the downloaded scene's red outline is missing"
    assert yellow > 100, "the other footprints' yellow outlines are missing"
    assert len(greys) > 100, "the band is not drawn (too few grey levels)"
    # the legend has a strip of its own under the map: nothing is drawn beside it there
    for y in range(image.height() - 90, image.height(), 3):
        for x in range(660, image.width(), 3):
            assert QColor(image.pixel(x, y)).name() == "#2b2b2b", (x, y)
