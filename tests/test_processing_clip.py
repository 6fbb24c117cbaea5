"""The Processing algorithm "Download scenes" with a clip area (a polygon layer in another CRS): the
clipped rasters equal GDAL's windowed read of the sources, were read by window, and the layers it
loads on completion get their acquisition time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
)

from scene_picker.core.clip import WINDOWED, read_record

from support.cog import aoi_lonlat, window_read, write_cog_catalog
from support.nginx import NginxServer

pytestmark = pytest.mark.qgis

DAYS = ("2023-08-03T10:00:00Z", "2023-08-13T10:00:00Z")
WINDOW = (300, 200, 300, 300)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("processing-clip")
    with NginxServer(root) as server:
        yield root, server.url(write_cog_catalog(root, server.url(""), DAYS).name)


def run(algorithm: str, parameters: dict, context: QgsProcessingContext):
    import processing

    context.setProject(QgsProject.instance())
    return processing.run(algorithm, parameters, feedback=QgsProcessingFeedback(), context=context)


def test_download_scenes_with_a_clip_area(provider, catalog, tmp_path):
    root, url = catalog
    found = run(
        "scenepicker:searchscenes",
        {"PROVIDER": "stac-static", "URL": url, "OUTPUT": "memory:"},
        QgsProcessingContext(),
    )
    footprints = found["OUTPUT"]
    if not isinstance(footprints, QgsVectorLayer):
        footprints = QgsProject.instance().mapLayer(footprints)
    assert footprints.featureCount() == 2
    area = QgsVectorLayer("Polygon?crs=EPSG:3857", "area", "memory")  # another CRS than the rasters'
    feature = QgsFeature()
    geometry = QgsGeometry.fromWkt(aoi_lonlat(300, 200, 600, 500))
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

    geometry.transform(
        QgsCoordinateTransform(
            QgsCoordinateReferenceSystem("EPSG:4326"),
            QgsCoordinateReferenceSystem("EPSG:3857"),
            QgsProject.instance(),
        )
    )
    feature.setGeometry(geometry)
    area.dataProvider().addFeature(feature)
    context = QgsProcessingContext()
    results = run(
        "scenepicker:downloadscenes",
        {
            "INPUT": footprints,
            "CLIP_AREA": area,
            "LOAD_LAYERS": True,
            "OUTPUT_FOLDER": str(tmp_path / "dl"),
        },
        context,
    )
    files = sorted(Path(p) for p in results["FILES"])
    assert [p.name for p in files] == ["S2X_20230803_B04.clip.tif", "S2X_20230813_B04.clip.tif"]
    assert results["FAILED"] == 0
    assert (tmp_path / "dl" / "stack" / "B04.vrt").is_file()  # the two dates stacked
    for path in files:
        record = read_record(path)
        assert record["method"] == WINDOWED
        # the AOI went EPSG:3857 -> 4326 -> the raster's UTM: still the same pixels (within a pixel)
        assert all(abs(a - b) <= 1 for a, b in zip(record["window"], WINDOW))
        window = tuple(record["window"])
        assert window_read(path) == window_read(root / path.name.replace(".clip.tif", ".tif"), window)
        details = context.layerToLoadOnCompletionDetails(str(path))
        layer = QgsRasterLayer(str(path), path.stem, "gdal")
        details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
        assert layer.temporalProperties().isActive()
        begin = layer.temporalProperties().fixedTemporalRange().begin().toUTC()
        assert begin.toString("yyyy-MM-ddThh:mm:ssZ") == record["datetime"].replace("+00:00", "Z")
