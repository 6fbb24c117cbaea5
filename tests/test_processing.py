"""The Processing provider in real headless QGIS: registration by the plugin, "Search scenes" against
the real STAC API and the demo's static catalog, "Download scenes" through remote zip extraction, and a
cancelled feedback stopping a download.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest
from qgis.core import (
    QgsApplication,
    QgsFeatureRequest,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsProcessingFeedback,
    QgsProject,
    QgsVectorLayer,
)

from scene_picker.core.query import Query
from scene_picker.demo.generate import generate
from scene_picker.demo.server import RangeServer
from scene_picker.ui.processing_provider import PROVIDER_ID

from support.stac_items import brute_force
from support.stac_server import stac_api  # noqa: F401 - session fixture (a real STAC API)

pytestmark = pytest.mark.qgis

BANDS = "*_B04_20m.tif,*_B08_20m.tif"


@pytest.fixture(scope="module")
def demo_catalog(tmp_path_factory):
    catalog = generate(tmp_path_factory.mktemp("demo") / "catalog")
    with RangeServer(catalog.root) as server:
        yield catalog, server, server.url_for(catalog.catalog_relpath)


def run(algorithm: str, parameters: dict, feedback: QgsProcessingFeedback | None = None, context=None):
    import processing

    context = context or QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run(
        algorithm, parameters, feedback=feedback or QgsProcessingFeedback(), context=context
    )


def as_layer(value) -> QgsVectorLayer:
    if isinstance(value, QgsVectorLayer):
        return value
    layer = QgsProject.instance().mapLayer(value)
    assert layer is not None, value
    return layer


def test_plugin_registers_the_provider_and_unload_removes_it(qgis_iface):
    import scene_picker

    registry = QgsApplication.processingRegistry()
    before = registry.providerById(PROVIDER_ID)
    if before is not None:
        registry.removeProvider(before)
    plugin = scene_picker.classFactory(qgis_iface)
    plugin.initProcessing()
    registered = registry.providerById(PROVIDER_ID)
    assert registered is not None
    assert {a.id() for a in registered.algorithms()} == {
        "scenepicker:searchscenes",
        "scenepicker:downloadscenes",
    }
    plugin.unload()
    assert registry.providerById(PROVIDER_ID) is None


def test_search_against_the_real_stac_api_gives_a_footprint_layer(provider, stac_api):  # noqa: F811
    results = run(
        "scenepicker:searchscenes",
        {
            "EXTENT": "-20,60,-30,40 [EPSG:4326]",
            "PROVIDER": "stac",
            "URL": stac_api.url,
            "COLLECTIONS": "sentinel-2-test",
            "END": "2023-12-31",
            "CLOUD_MAX": 40,
            "MAX_RESULTS": 1000,
            "OUTPUT": "memory:",
        },
    )
    layer = as_layer(results["OUTPUT"])
    expected = brute_force(
        stac_api.items,
        Query.build(bbox="-20,-30,60,40", end="2023-12-31", cloud_max=40, collections="sentinel-2-test"),
    )
    assert expected, "the reference filter must select some items"
    ids = {f["scene_id"] for f in layer.getFeatures()}
    assert ids == expected
    assert results["COUNT"] == len(expected)
    assert layer.crs().authid() == "EPSG:4326"
    feature = next(layer.getFeatures())
    assert feature["provider"] == "stac"
    assert 0 <= feature["cloud_cover"] <= 40
    assert feature["datetime"].isValid()
    assert json.loads(feature["provider_options"]) == {"url": stac_api.url}
    record = json.loads(feature["scene_json"])
    assert record["id"] == feature["scene_id"]
    assert record["properties"]["provider"] == "stac"
    assert record["properties"]["scene_picker:source"] == {"url": stac_api.url}
    assert feature.geometry().intersects(layer.extent()) and not feature.geometry().isEmpty()


def test_search_with_an_aoi_layer_in_another_crs(provider, demo_catalog):
    _catalog, _server, url = demo_catalog
    aoi = QgsVectorLayer("Polygon?crs=EPSG:32631", "aoi", "memory")
    from qgis.core import QgsFeature, QgsGeometry

    feature = QgsFeature()
    # Inside tile 31TDJ only (its south-east part), in UTM metres.
    feature.setGeometry(
        QgsGeometry.fromWkt(
            "POLYGON((371000 4825500, 372500 4825500, 372500 4827000, 371000 4827000, 371000 4825500))"
        )
    )
    aoi.dataProvider().addFeatures([feature])
    results = run(
        "scenepicker:searchscenes",
        {
            "AOI_LAYER": aoi,
            "PROVIDER": "stac-static",
            "URL": url,
            "START": "2024-06-01",
            "END": "2024-06-08",
            "OUTPUT": "memory:",
        },
    )
    layer = as_layer(results["OUTPUT"])
    names = sorted(f["scene_id"] for f in layer.getFeatures())
    assert len(names) == 2 and all("_T31TDJ_" in n for n in names)
    assert {n.split("_")[2][:8] for n in names} == {"20240603", "20240608"}  # the end day is included


def test_bad_input_is_a_processing_error(provider, demo_catalog):
    _catalog, _server, url = demo_catalog
    with pytest.raises(QgsProcessingException, match="after the end"):
        run(
            "scenepicker:searchscenes",
            {
                "PROVIDER": "stac-static",
                "URL": url,
                "START": "2024-07-01",
                "END": "2024-06-01",
                "OUTPUT": "memory:",
            },
        )


def _search_demo(url: str, cloud_max: float) -> QgsVectorLayer:
    results = run(
        "scenepicker:searchscenes",
        {
            "EXTENT": "1.35,1.39,43.59,43.62 [EPSG:4326]",
            "PROVIDER": "stac-static",
            "URL": url,
            "CLOUD_MAX": cloud_max,
            "OUTPUT": "memory:",
        },
    )
    layer = as_layer(results["OUTPUT"])
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_search_then_download_the_selection_by_partial_extraction(provider, demo_catalog, tmp_path):
    catalog, server, url = demo_catalog
    layer = _search_demo(url, 20)
    clouds = {f["scene_id"]: f["cloud_cover"] for f in layer.getFeatures()}
    assert clouds == {i.id: i.cloud_cover for i in catalog.items if i.cloud_cover <= 20}
    best = min(clouds, key=clouds.get)
    layer.selectByExpression(f"\"scene_id\" = '{best}'")
    assert layer.selectedFeatureCount() == 1
    server.log.clear()
    context = QgsProcessingContext()
    results = run(
        "scenepicker:downloadscenes",
        {
            "INPUT": QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True),
            "MEMBERS": BANDS,
            "OUTPUT_FOLDER": str(tmp_path / "dl"),
            "LOAD_LAYERS": True,
            "OUTPUT": "memory:",
        },
        context=context,
    )
    files = sorted(Path(p) for p in results["FILES"])
    assert [p.name.split("_")[2] for p in files] == ["B04", "B08"]
    item = next(i for i in catalog.items if i.id == best)
    with zipfile.ZipFile(item.archive_path) as zf:
        for path in files:
            (member,) = [n for n in zf.namelist() if n.endswith(path.name)]
            assert path.read_bytes() == zf.read(member)
            assert str(path).startswith(str(tmp_path / "dl" / best))
    archive_bytes = server.log.bytes_sent(item.archive_path.name)
    assert 0 < archive_bytes < item.archive_size / 3
    assert results["CANCELLED"] is False and results["FAILED"] == 0
    table = as_layer(results["OUTPUT"])
    assert sorted(Path(f["path"]).name for f in table.getFeatures()) == [p.name for p in files]
    assert sorted(context.layersToLoadOnCompletion()) == sorted(str(p) for p in files)
    QgsProject.instance().removeMapLayer(layer.id())


def wait_for_archive_requests(server, timeout: float = 20.0) -> list:
    """The server logs a request once its handler is done writing (after the client hung up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        archives = [e for e in server.log.entries() if e.path.endswith(".zip")]
        if archives:
            return archives
        time.sleep(0.05)
    return []


class CancelOnFirstProgress(QgsProcessingFeedback):
    """A user who presses Cancel as soon as the download reports progress."""

    def __init__(self) -> None:
        super().__init__()
        self.reports = 0

    def setProgress(self, progress: float) -> None:  # noqa: N802 - Qt API
        super().setProgress(progress)
        self.reports += 1
        self.cancel()


def test_a_cancelled_feedback_stops_the_download(provider, demo_catalog, tmp_path):
    catalog, server, url = demo_catalog
    layer = _search_demo(url, 100)
    assert layer.featureCount() == 6
    server.log.clear()
    feedback = CancelOnFirstProgress()
    out = tmp_path / "dl"
    server.chunk_delay = 0.05  # a slow link: the engine reports progress while bytes still flow
    try:
        results = run(
            "scenepicker:downloadscenes",
            {"INPUT": layer, "ASSETS": "archive", "OUTPUT_FOLDER": str(out)},
            feedback=feedback,
        )
    finally:
        server.chunk_delay = 0.0
    assert feedback.reports >= 1
    assert results["CANCELLED"] is True
    assert results["FILES"] == []
    complete = [p for p in out.rglob("*.zip")]
    assert complete == []  # nothing under a final name
    archives = wait_for_archive_requests(server)
    assert len({e.path for e in archives}) == 1  # the later scenes were never requested
    first = next(i for i in catalog.items if i.archive_path.name == archives[0].path.rsplit("/", 1)[-1])
    assert sum(e.body_bytes for e in archives) < first.archive_size  # stopped mid-transfer
    QgsProject.instance().removeMapLayer(layer.id())


def test_download_reports_a_failing_scene_and_goes_on(provider, demo_catalog, tmp_path):
    _catalog, _server, url = demo_catalog
    layer = _search_demo(url, 20)
    request = QgsFeatureRequest().setLimit(1)
    first = next(layer.getFeatures(request))
    record = json.loads(first["scene_json"])
    record["assets"]["archive"]["href"] = url.rsplit("/", 1)[0] + "/data/missing.zip"
    layer.dataProvider().changeAttributeValues(
        {first.id(): {layer.fields().indexOf("scene_json"): json.dumps(record)}}
    )
    results = run(
        "scenepicker:downloadscenes",
        {"INPUT": layer, "MEMBERS": "*_B04_20m.tif", "OUTPUT_FOLDER": str(tmp_path / "dl")},
    )
    assert results["FAILED"] == 1
    assert len(results["FILES"]) == layer.featureCount() - 1
    QgsProject.instance().removeMapLayer(layer.id())


def test_the_algorithms_chain_in_a_model(provider, demo_catalog, tmp_path):
    """Model Designer use: search → download, the footprint layer flowing from one child to the next."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterString,
    )

    catalog, _server, url = demo_catalog
    source = QgsProcessingModelChildParameterSource
    model = QgsProcessingModelAlgorithm("Search and download", "Scene Picker")
    model.addModelParameter(
        QgsProcessingParameterString("url", "Catalog URL"), QgsProcessingModelParameter("url")
    )
    search = QgsProcessingModelChildAlgorithm("scenepicker:searchscenes")
    search.setChildId("search")
    for name, value in (
        ("PROVIDER", "stac-static"),
        ("EXTENT", "1.35,1.39,43.59,43.62 [EPSG:4326]"),
        ("CLOUD_MIN", 0),
        ("CLOUD_MAX", 5),
        ("MAX_RESULTS", 10),
    ):
        search.addParameterSources(name, [source.fromStaticValue(value)])
    search.addParameterSources("URL", [source.fromModelParameter("url")])
    model.addChildAlgorithm(search)
    download = QgsProcessingModelChildAlgorithm("scenepicker:downloadscenes")
    download.setChildId("download")
    download.addParameterSources("INPUT", [source.fromChildOutput("search", "OUTPUT")])
    download.addParameterSources("MEMBERS", [source.fromStaticValue("*_B04_20m.tif")])
    download.addParameterSources("OVERWRITE", [source.fromStaticValue(False)])
    download.addParameterSources("LOAD_LAYERS", [source.fromStaticValue(False)])
    folder = QgsProcessingModelOutput("folder", "Download folder")
    folder.setChildId("download")
    folder.setChildOutputName("OUTPUT_FOLDER")
    download.setModelOutputs({"folder": folder})
    model.addChildAlgorithm(download)
    assert model.dependentChildAlgorithms("search") == {"download"}

    # the model names its output parameter (QGIS 3.22 "download:folder", >= 3.40 "download_folder")
    model.updateDestinationParameters()
    (folder_parameter,) = [p.name() for p in model.destinationParameterDefinitions() if "folder" in p.name()]
    run(model, {"url": url, folder_parameter: str(tmp_path / "dl")})
    got = sorted(p.relative_to(tmp_path / "dl").parts[0] for p in (tmp_path / "dl").rglob("*_B04_20m.tif"))
    assert got == sorted(i.id for i in catalog.items if i.cloud_cover <= 5)


def test_download_from_a_layer_without_scene_records(provider, demo_catalog, tmp_path):
    """A layer that only has provider + scene_id (like the dock's footprints): scenes are looked up again,
    in the catalog of the URL parameter, which overrides the one the layer records."""
    from qgis.core import QgsFeature, QgsField

    from scene_picker.ui.field_types import STRING

    catalog, _server, url = demo_catalog
    layer = QgsVectorLayer("Polygon?crs=EPSG:4326", "dock footprints", "memory")
    layer.dataProvider().addAttributes(
        [
            QgsField("provider", STRING),
            QgsField("scene_id", STRING),
            QgsField("provider_options", STRING),
        ]
    )
    layer.updateFields()
    item = catalog.items[1]
    feature = QgsFeature(layer.fields())
    moved = json.dumps({"url": "http://127.0.0.1:9/moved/catalog.json"})  # nothing listens on port 9
    feature.setAttributes(["stac-static", item.id, moved])
    layer.dataProvider().addFeatures([feature])
    results = run(
        "scenepicker:downloadscenes",
        {"INPUT": layer, "MEMBERS": "*MTD_MSIL2A.xml", "URL": url, "OUTPUT_FOLDER": str(tmp_path / "dl")},
    )
    (path,) = results["FILES"]
    assert Path(path).name == "MTD_MSIL2A.xml" and item.id in Path(path).read_text()


def test_a_cancelled_search_stops_early(provider, demo_catalog):
    _catalog, _server, url = demo_catalog
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    results = run(
        "scenepicker:searchscenes",
        {"PROVIDER": "stac-static", "URL": url, "OUTPUT": "memory:"},
        feedback=feedback,
    )
    assert results["COUNT"] == 0


def test_without_a_url_the_dock_settings_configure_the_provider(provider, demo_catalog):
    from scene_picker.ui.providers_info import endpoint_setting
    from scene_picker.ui.settings import write_setting

    _catalog, _server, url = demo_catalog
    write_setting(endpoint_setting("stac-static"), url)
    try:
        results = run(
            "scenepicker:searchscenes", {"PROVIDER": "stac-static", "CLOUD_MAX": 5, "OUTPUT": "memory:"}
        )
    finally:
        write_setting(endpoint_setting("stac-static"), "")
    assert results["COUNT"] == 2


def test_download_defaults_to_the_plugins_output_folder(provider, demo_catalog, tmp_path):
    """The algorithm's dialog proposes the folder the dock downloads to (Settings ▸ output folder, or its
    default), not a temporary folder; a run given that default writes there."""
    from scene_picker.ui import settings

    registry = QgsApplication.processingRegistry()
    first = registry.createAlgorithmById("scenepicker:downloadscenes")
    assert (
        first.parameterDefinition("OUTPUT_FOLDER").defaultValue() == settings.output_dir()
    )  # the built-in default when none is set
    _catalog, _server, url = demo_catalog
    folder = tmp_path / "plugin-output"
    settings.write_setting(settings.OUTPUT_DIR, str(folder))
    try:
        algorithm = registry.createAlgorithmById("scenepicker:downloadscenes")
        default = algorithm.parameterDefinition("OUTPUT_FOLDER").defaultValue()
        assert default == str(folder)
        layer = _search_demo(url, 5)
        results = run(
            "scenepicker:downloadscenes",
            {"INPUT": layer, "MEMBERS": "*_B04_20m.tif", "OUTPUT_FOLDER": default},
        )
    finally:
        settings.write_setting(settings.OUTPUT_DIR, "")
    assert Path(results["OUTPUT_FOLDER"]) == folder
    assert results["FILES"] and all(Path(p).is_relative_to(folder) for p in results["FILES"])
    QgsProject.instance().removeMapLayer(layer.id())
