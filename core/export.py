"""Search results as files: a GeoJSON FeatureCollection or a CSV table of scenes.

The GeoJSON is what :meth:`Scene.to_feature` gives, one feature per scene. The CSV has one row per
scene: id, provider, collection, platform, datetime (UTC, RFC 3339), cloud cover, online, quicklook,
the footprint's bbox, the asset hrefs (``key=href`` joined by ``;`` in one column, plus one
column per asset key when ``asset_columns`` is true), and ``source``: the catalog options the scene
came from (:attr:`Scene.source` as compact JSON, e.g. ``{"url": ...}``; empty when none); then one
column per side-car value read (:mod:`scene_picker.core.sidecar_filter`) and ``sidecar_errors`` (why a
label gave no value) when any scene carries them. Both write to a path or an open text stream.
Text that comes from a catalog and would start a spreadsheet formula (``=``, ``+``, ``-``, ``@``, a tab
or carriage return) is written with a leading ``'`` so that opening the CSV runs nothing.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator, Union

from .scene import Scene
from .sidecar import ERRORS_KEY
from .sidecar_filter import sidecar_columns

CSV_COLUMNS = (
    "id",
    "provider",
    "collection",
    "platform",
    "datetime",
    "cloud_cover",
    "online",
    "quicklook",
    "bbox",
    "assets",
    "source",
)

Target = Union[str, Path, IO[str]]


def feature_collection(scenes: Iterable[Scene]) -> dict:
    """A GeoJSON FeatureCollection of the scenes (their ``to_feature()``)."""
    features = [scene.to_feature() for scene in scenes]
    return {"type": "FeatureCollection", "numberReturned": len(features), "features": features}


def write_geojson(scenes: Iterable[Scene], target: Target, indent: int | None = None) -> int:
    """Write the scenes as a FeatureCollection; returns how many were written."""
    collection = feature_collection(scenes)
    with _open(target) as stream:
        json.dump(collection, stream, indent=indent, ensure_ascii=False)
        stream.write("\n")
    return len(collection["features"])


def write_csv(scenes: Iterable[Scene], target: Target, asset_columns: bool = False) -> int:
    """Write one CSV row per scene (see the module docstring); returns how many were written."""
    scenes = list(scenes)
    rows = [_row(scene) for scene in scenes]
    columns = list(CSV_COLUMNS)
    extra = sidecar_columns(scenes)
    if extra:
        columns += [name for name in extra if name not in CSV_COLUMNS] + [ERRORS_KEY]
    if asset_columns:
        keys: list[str] = []
        for row in rows:
            keys.extend(k for k in row["_assets"] if k not in keys)
        columns += [f"asset:{k}" for k in keys]
    with _open(target, newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            flat = {k: _cell(v) if k in _CATALOG_TEXT else v for k, v in row.items() if not k.startswith("_")}
            flat.update(row["_sidecar"])
            if asset_columns:
                flat.update({f"asset:{k}": _cell(href) for k, href in row["_assets"].items()})
            writer.writerow(flat)
    return len(rows)


#: Columns whose text comes from the catalog as is (the others are numbers and dates we format).
_CATALOG_TEXT = frozenset({"id", "provider", "collection", "platform", "quicklook", "assets", "source"})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """``text``, with a leading ``'`` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(scene: Scene) -> dict:
    feature = scene.to_feature()
    props = feature["properties"]
    hrefs = {key: asset.href for key, asset in scene.assets.items()}
    bbox = feature.get("bbox")
    return {
        "id": scene.id,
        "provider": scene.provider,
        "collection": scene.collection or "",
        "platform": scene.platform or "",
        "datetime": props.get("datetime") or "",
        "cloud_cover": "" if scene.cloud_cover is None else f"{scene.cloud_cover:g}",
        "online": "yes" if scene.online else "no",
        "quicklook": scene.quicklook or "",
        "bbox": ",".join(f"{v:.6f}" for v in bbox) if bbox else "",
        "assets": ";".join(f"{k}={href}" for k, href in hrefs.items()),
        "source": json.dumps(scene.source, sort_keys=True, separators=(",", ":")) if scene.source else "",
        "_assets": hrefs,
        "_sidecar": _sidecar_cells(scene),
    }


def _sidecar_cells(scene: Scene) -> dict[str, str]:
    """The side-car values of a scene as text (numbers as ``%g``), and its errors as ``name: reason``."""
    cells = {}
    for name in sidecar_columns([scene]):
        value = scene.properties.get(name)
        if name in CSV_COLUMNS or value is None:
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        cells[name] = f"{value:g}" if number else _cell(str(value))
    errors = scene.properties.get(ERRORS_KEY)
    if isinstance(errors, dict) and errors:
        cells[ERRORS_KEY] = _cell("; ".join(f"{k}: {v}" for k, v in errors.items()))
    return cells


@contextmanager
def _open(target: Target, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a path for writing (UTF-8), or pass an already open stream through (left open)."""
    if isinstance(target, (str, Path)):
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
    else:
        yield target


def to_csv_text(scenes: Iterable[Scene], asset_columns: bool = False) -> str:
    """The CSV as a string (for the clipboard or a message)."""
    buffer = io.StringIO()
    write_csv(scenes, buffer, asset_columns=asset_columns)
    return buffer.getvalue()
