"""``make demo``: search a local STAC catalog, fetch two bands out of a remote zip, map them in QGIS.

1. Generates (first run only) the synthetic catalog under ``build/demo/catalog`` (``demo/generate.py``).
2. Serves it on an ephemeral loopback port with the range-capable server of ``demo/server.py``.
3. Searches it through the plugin's STAC static-catalog provider (AOI, dates, cloud cover).
4. Downloads the red (B04) and near-infrared (B08) bands of the least cloudy scene by partial
   extraction: HTTP Range requests read the zip's central directory and the two members only.
5. Loads the bands and the footprints into a headless QGIS project, renders a PNG map with
   ``QgsMapRendererParallelJob`` and prints where everything is and the bytes fetched vs the archive.

Run ``make demo``, or ``python demo/run_demo.py`` from the repository root with the project's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AOI_BBOX = (1.35, 43.59, 1.39, 43.62)
START, END = "2024-06-01", "2024-06-30"
MAX_CLOUD = 20.0
BAND_PATTERNS = ("*_B04_20m.tif", "*_B08_20m.tif")
STATIC_PROVIDER = "stac-static"


def _bootstrap() -> None:
    """Make the repository importable as ``scene_picker`` (as ``tests/conftest.py`` does) and headless."""
    parent = ROOT / "build" / "pkgroot"
    link = parent / "scene_picker"
    if not link.is_symlink():
        parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)
    if str(parent) not in sys.path:
        sys.path.insert(0, str(parent))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = ROOT / "build" / "demo" / "runtime"
        runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ.setdefault("PROJ_DATA", "/usr/share/proj")
    # Loopback only: never through a proxy from the environment.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scene Picker's offline demo.")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "demo", help="default: build/demo")
    parser.add_argument(
        "--png", type=Path, default=None, help="map image (default: WORKDIR/out/demo-map.png)"
    )
    args = parser.parse_args(argv)
    _bootstrap()
    from scene_picker.cli.progress_view import ProgressView, human_bytes
    from scene_picker.core.errors import ScenePickerError
    from scene_picker.demo.generate import generate
    from scene_picker.demo.server import RangeServer

    workdir: Path = args.workdir.resolve()
    out = workdir / "out"
    png = (args.png or out / "demo-map.png").resolve()
    started = time.monotonic()
    catalog = generate(workdir / "catalog")
    print(f"Catalog: {len(catalog.items)} synthetic scenes in {catalog.root}")
    try:
        with RangeServer(catalog.root) as server:
            catalog_url = server.url_for(catalog.catalog_relpath)
            print(f"Serving it at {catalog_url}")
            provider, scenes, chosen = _search(catalog_url)
            archive = chosen.assets["archive"]
            server.log.clear()
            view = ProgressView(sys.stdout)
            # A fresh folder each run, so every run shows a real partial extraction.
            shutil.rmtree(out / "downloads", ignore_errors=True)
            result = _download(provider, chosen, out / "downloads", view)
            view.close()
            archive_path = "/" + archive.href.split("/", 3)[3]
            fetched = server.log.bytes_sent(archive_path)
            requests_made = [e for e in server.log.entries() if e.path == archive_path]
    except ScenePickerError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    footprints = out / "footprints.geojson"
    _write_footprints(footprints, scenes, chosen.id)
    project_path = out / "demo.qgz"
    caption = [
        f"Scene Picker demo: near-infrared band (B08) of tile {chosen.id.split('_')[5][1:]}, "
        f"{chosen.datetime:%Y-%m-%d} ({chosen.platform})",
        "red: the scene downloaded (2 of its bands, by HTTP range requests)",
        f"yellow: other scenes with cloud cover <= {MAX_CLOUD:g}% ({START} to {END})",
        "dashed blue: the search area",
    ]
    _render(footprints, [Path(p) for p in result.files], png, project_path, caption)
    archive_size = archive.size or 0
    print()
    print("Downloaded bands:")
    for path in result.files:
        print(f"  {path}  ({human_bytes(Path(path).stat().st_size)})")
    print(
        f"Fetched {fetched} bytes ({human_bytes(fetched)}) in {len(requests_made)} HTTP range requests "
        f"out of a {archive_size} byte ({human_bytes(archive_size)}) archive: "
        f"{100.0 * fetched / archive_size:.1f}% of it."
        if archive_size
        else f"Fetched {fetched} bytes."
    )
    print(f"Footprints: {footprints}")
    print(f"QGIS project: {project_path}")
    print(f"Map: {png}")
    print(f"Done in {time.monotonic() - started:.1f} s.")
    return 0


def _search(catalog_url: str):
    from scene_picker.core.query import Query
    from scene_picker.providers.registry import get_provider

    provider = get_provider(STATIC_PROVIDER, url=catalog_url)
    query = Query.build(bbox=AOI_BBOX, start=START, end=END, cloud_max=MAX_CLOUD)
    print(f"Searching {provider.label}: bbox {AOI_BBOX}, {START} to {END}, cloud cover <= {MAX_CLOUD:g}%")
    scenes = list(provider.search(query))
    if not scenes:
        from scene_picker.core.errors import ProviderError

        raise ProviderError("The demo search found no scene; the catalog is not what the demo expects.")
    for scene in sorted(scenes, key=lambda s: (s.datetime, s.id)):
        print(f"  {scene.id}  {scene.datetime:%Y-%m-%d}  cloud {scene.cloud_cover:5.1f}%")
    chosen = min(scenes, key=lambda s: (s.cloud_cover if s.cloud_cover is not None else 101.0, s.id))
    print(f"Least cloudy: {chosen.id} ({chosen.cloud_cover:g}%)")
    return provider, scenes, chosen


def _download(provider, scene, outdir: Path, progress):
    print(f"Extracting {', '.join(BAND_PATTERNS)} from its remote zip archive:")
    downloader = provider.downloader(scene)
    return downloader.download(
        outdir, assets=["archive"], members=list(BAND_PATTERNS), overwrite=True, progress=progress
    )


def _write_footprints(path: Path, scenes, chosen_id: str) -> None:
    features = []
    for scene in scenes:
        feature = scene.to_feature()
        props = feature["properties"]
        features.append(
            {
                "type": "Feature",
                "id": scene.id,
                "geometry": feature["geometry"],
                "properties": {
                    "id": scene.id,
                    "datetime": props.get("datetime"),
                    "platform": props.get("platform"),
                    "cloud_cover": props.get("eo:cloud_cover"),
                    "downloaded": scene.id == chosen_id,
                },
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))


def _caption(image, lines: list[str]) -> None:
    """Write a small legend in the lower-left corner of the rendered map."""
    from qgis.PyQt.QtCore import QRectF
    from qgis.PyQt.QtGui import QColor, QFont, QFontMetrics, QPainter

    font = QFont("DejaVu Sans", 10)
    metrics = QFontMetrics(font)
    height = metrics.height() * len(lines) + 16
    width = max(metrics.horizontalAdvance(line) for line in lines) + 24
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(12, image.height() - height - 12, width, height)
        painter.fillRect(box, QColor(0, 0, 0, 170))
        painter.setFont(font)
        for index, line in enumerate(lines):
            colour = {0: "#ffffff", 1: "#e31a1c", 2: "#ffd92f", 3: "#4fc3f7"}.get(index, "#ffffff")
            painter.setPen(QColor(colour))
            y = box.top() + 8 + metrics.ascent() + index * metrics.height()
            painter.drawText(int(box.left() + 12), int(y), line)
    finally:
        painter.end()


def _render(footprints: Path, bands: list[Path], png: Path, project_path: Path, caption: list[str]) -> None:
    from qgis.core import (
        QgsApplication,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsFeature,
        QgsFillSymbol,
        QgsGeometry,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProject,
        QgsRasterLayer,
        QgsRectangle,
        QgsRuleBasedRenderer,
        QgsSingleSymbolRenderer,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    app = QgsApplication([], False)
    app.initQgis()
    try:
        project = QgsProject.instance()
        project.clear()
        crs = QgsCoordinateReferenceSystem("EPSG:32631")
        project.setCrs(crs)
        rasters = []
        for path in sorted(bands):
            band = path.name.split("_")[-2]
            layer = QgsRasterLayer(str(path), f"{band} ({path.name})")
            if not layer.isValid():
                raise RuntimeError(f"QGIS could not open {path}")
            rasters.append(layer)
        vector = QgsVectorLayer(str(footprints), "Scene footprints", "ogr")
        if not vector.isValid():
            raise RuntimeError(f"QGIS could not open {footprints}")
        root_rule = QgsRuleBasedRenderer.Rule(None)
        for label, expression, colour, width in (
            ("Downloaded scene", '"downloaded" = true', "#e31a1c", "0.9"),
            ("Other matching scenes", '"downloaded" = false', "#ffd92f", "0.6"),
        ):
            symbol = QgsFillSymbol.createSimple(
                {"style": "no", "outline_color": colour, "outline_width": width, "outline_style": "solid"}
            )
            root_rule.appendChild(QgsRuleBasedRenderer.Rule(symbol, 0, 0, expression, label))
        vector.setRenderer(QgsRuleBasedRenderer(root_rule))
        west, south, east, north = AOI_BBOX
        aoi = QgsVectorLayer("Polygon?crs=EPSG:4326", "Search area", "memory")
        outline = QgsFeature()
        outline.setGeometry(QgsGeometry.fromRect(QgsRectangle(west, south, east, north)))
        aoi.dataProvider().addFeatures([outline])
        aoi.setRenderer(
            QgsSingleSymbolRenderer(
                QgsFillSymbol.createSimple(
                    {
                        "style": "no",
                        "outline_color": "#4fc3f7",
                        "outline_width": "0.7",
                        "outline_style": "dash",
                    }
                )
            )
        )
        # Near infrared on top: vegetation bright, water dark.
        ordered = sorted(rasters, key=lambda layer: "B08" not in layer.name())
        for layer in reversed(ordered):
            project.addMapLayer(layer)
        project.addMapLayer(vector)
        project.addMapLayer(aoi)
        project.write(str(project_path))

        settings = QgsMapSettings()
        settings.setLayers([aoi, vector, ordered[0]])
        settings.setDestinationCrs(crs)
        to_map = QgsCoordinateTransform(vector.crs(), crs, project)
        extent = to_map.transformBoundingBox(vector.extent())
        extent = QgsRectangle(extent)
        extent.scale(1.08)
        # room under the footprints for the legend (about a sixth of the image): it covers nothing
        extent.setYMinimum(extent.yMinimum() - extent.height() * 0.2)
        settings.setExtent(extent)
        settings.setOutputSize(QSize(1000, 800))
        settings.setBackgroundColor(QColor("#2b2b2b"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        _caption(image, caption)
        png.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(png), "PNG"):
            raise RuntimeError(f"could not write {png}")
        project.clear()
    finally:
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main())
