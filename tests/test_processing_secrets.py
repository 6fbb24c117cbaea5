"""A "Search scenes" layer may be saved anywhere (a GeoPackage, the project file): when a catalog hands out
signed hrefs (a pre-signed URL's signature, an access token), the layer keeps none of them, and "Download
scenes" still downloads those scenes by fetching them again from the provider.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from qgis.core import (
    NULL,
    QgsProcessingContext,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer

pytestmark = [pytest.mark.qgis]

SIGNATURE = "X-Amz-Signature=5ec12e7d00d1e5&X-Amz-Credential=AKIDEXAMPLE"


@pytest.fixture(scope="module")
def signed_catalog(tmp_path_factory):
    """The demo catalog with every asset href and quicklook signed (the server ignores the query)."""
    catalog = generate(tmp_path_factory.mktemp("signed") / "catalog")
    for path in Path(catalog.root).rglob("*.json"):
        record = json.loads(path.read_text())
        if record.get("type") != "Feature":
            continue
        for asset in record["assets"].values():
            asset["href"] += f"?{SIGNATURE}"
        path.write_text(json.dumps(record))
    with RangeServer(catalog.root) as server:
        yield catalog, server, server.url_for(catalog.catalog_relpath)


def _run(algorithm: str, parameters: dict) -> dict:
    import processing

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run(algorithm, parameters, feedback=QgsProcessingFeedback(), context=context)


def test_signed_hrefs_stay_out_of_the_layer_and_the_download_still_works(provider, signed_catalog, tmp_path):
    catalog, server, url = signed_catalog
    saved = tmp_path / "scenes.gpkg"
    results = _run(
        "scenepicker:searchscenes",
        {
            "EXTENT": "1.35,1.39,43.59,43.62 [EPSG:4326]",
            "PROVIDER": "stac-static",
            "URL": url,
            "CLOUD_MAX": 20,
            "OUTPUT": str(saved),
        },
    )
    layer = QgsVectorLayer(results["OUTPUT"], "scenes", "ogr")
    assert layer.isValid() and layer.featureCount() == 3
    features = list(layer.getFeatures())
    assert [f.attribute("scene_json") for f in features] == [NULL] * 3
    assert all(f["quicklook"] == NULL for f in features)
    # nothing of the signature is in the saved file
    data = saved.read_bytes()
    assert b"5ec12e7d00d1e5" not in data and b"AKIDEXAMPLE" not in data and b"Signature" not in data

    best = min(features, key=lambda f: f["cloud_cover"])
    layer.selectByIds([best.id()])
    QgsProject.instance().addMapLayer(layer)
    out = tmp_path / "dl"
    server.log.clear()
    try:
        done = _run(
            "scenepicker:downloadscenes",
            {
                "INPUT": QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True),
                "MEMBERS": "*_B04_20m.tif",
                "OUTPUT_FOLDER": str(out),
                "OUTPUT": "memory:",
            },
        )
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
    (path,) = [Path(p) for p in done["FILES"]]
    item = next(i for i in catalog.items if i.id == best["scene_id"])
    with zipfile.ZipFile(item.archive_path) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith("_B04_20m.tif")]
        assert path.read_bytes() == zf.read(member)
    # the scene was fetched again from the catalog (its item), then its archive read by ranges
    paths = [entry.path for entry in server.log.entries()]
    assert any(p.endswith(f"{best['scene_id']}.json") for p in paths)
    assert any(p.endswith(item.archive_path.name) for p in paths)
