"""Deterministic STAC collections and items for the real STAC API server the tests run.

Items carry footprints (some crossing or touching the antimeridian, stored split as RFC 7946 asks),
datetimes spread over 2023 (a few late on 2023-12-31 to test the inclusive end date), ``eo:cloud_cover``
on the optical collections, assets with roles, ``file:size`` and ``file:checksum`` (SHA-256 multihash).
The brute-force reference filters in the tests work on these same dicts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry

UTC = dt.timezone.utc
EO = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"

#: name → (item count, has eo:cloud_cover, platform)
DEFAULT_COLLECTIONS: dict[str, tuple[int, bool, str]] = {
    "sentinel-2-test": (160, True, "sentinel-2a"),
    "landsat-test": (100, True, "landsat-8"),
    "dem-test": (60, False, "tandem-x"),
}


def collection(name: str, description: str = "") -> dict[str, Any]:
    return {
        "type": "Collection",
        "stac_version": "1.0.0",
        "stac_extensions": [],
        "id": name,
        "description": description or f"Generated test collection {name}",
        "license": "CC-BY-4.0",
        "links": [],
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z"]]},
        },
    }


def _footprint(rng: random.Random, index: int) -> BaseGeometry:
    """A small quadrilateral; every 12th one straddles or touches the antimeridian."""
    if index % 12 == 0:
        west = rng.uniform(176.0, 179.5)
        width = rng.uniform(1.0, 6.0)
    elif index % 12 == 6:
        west = rng.uniform(-179.9, -175.0)  # near it on the western hemisphere side
        width = rng.uniform(0.5, 3.0)
    else:
        west = rng.uniform(-170.0, 165.0)
        width = rng.uniform(0.5, 4.0)
    south = rng.uniform(-60.0, 60.0)
    height = rng.uniform(0.5, 4.0)
    skew = rng.uniform(-0.3, 0.3) * width
    quad = Polygon(
        [
            (west + skew, south),
            (west + width + skew, south),
            (west + width, south + height),
            (west, south + height),
            (west + skew, south),
        ]
    )
    if quad.bounds[2] <= 180.0:
        return quad
    east_part = quad.intersection(box(180.0, -90.0, 540.0, 90.0))
    west_part = quad.intersection(box(-180.0, -90.0, 180.0, 90.0))
    shifted = Polygon([(x - 360.0, y) for x, y in east_part.exterior.coords])
    return MultiPolygon([west_part, shifted])


def _moment(rng: random.Random, index: int) -> dt.datetime:
    if index % 40 == 1:  # late on the last day of the year
        return dt.datetime(2023, 12, 31, 23, rng.randrange(60), rng.randrange(60), tzinfo=UTC)
    if index % 40 == 2:  # the first minute of the next day: outside an end of 2023-12-31
        return dt.datetime(2024, 1, 1, 0, 0, rng.randrange(60), tzinfo=UTC)
    start = dt.datetime(2023, 1, 1, tzinfo=UTC)
    return start + dt.timedelta(seconds=rng.randrange(365 * 86400))


def multihash_sha256(data: bytes) -> str:
    return "1220" + hashlib.sha256(data).hexdigest()


def item(collection_id: str, index: int, rng: random.Random, cloudy: bool, platform: str) -> dict[str, Any]:
    geom = _footprint(rng, index)
    moment = _moment(rng, index)
    item_id = f"{collection_id}-{index:05d}"
    props: dict[str, Any] = {
        "datetime": moment.isoformat().replace("+00:00", "Z"),
        "platform": platform,
    }
    if cloudy:
        props["eo:cloud_cover"] = round(rng.uniform(0.0, 100.0), 2)
    payload = f"{item_id} B01".encode()
    assets = {
        "B01": {
            "href": f"https://data.invalid/{collection_id}/{item_id}/B01.tif",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "title": "Band 1",
            "roles": ["data"],
            "file:size": len(payload),
            "file:checksum": multihash_sha256(payload),
        },
        "thumbnail": {
            "href": f"https://data.invalid/{collection_id}/{item_id}/thumb.png",
            "type": "image/png",
            "roles": ["thumbnail"],
        },
        "metadata": {
            "href": f"https://data.invalid/{collection_id}/{item_id}/metadata.json",
            "type": "application/json",
            "roles": ["metadata"],
        },
    }
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": [EO, FILE] if cloudy else [FILE],
        "id": item_id,
        "collection": collection_id,
        "geometry": mapping(geom),
        "bbox": list(geom.bounds),
        "properties": props,
        "assets": assets,
        "links": [],
    }


def generate(
    collections: dict[str, tuple[int, bool, str]] | None = None, seed: int = 20231231
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(collections, items) — the same every run for a given seed."""
    rng = random.Random(seed)
    spec = collections or DEFAULT_COLLECTIONS
    cols = [collection(name) for name in spec]
    items = []
    for name, (count, cloudy, platform) in spec.items():
        items.extend(item(name, i, rng, cloudy, platform) for i in range(count))
    return cols, items


def brute_force(items: list[dict[str, Any]], query: Any) -> set[str]:
    """The ids a correct server returns for ``query`` (a ``scene_picker.core.query.Query``): footprint
    intersects the AOI, datetime within the inclusive range, cloud cover within range, collection listed."""
    from shapely.geometry import shape

    from scene_picker.core.scene import parse_scene_datetime

    out = set()
    for item in items:
        props = item["properties"]
        if query.collections and item["collection"] not in query.collections:
            continue
        if query.aoi is not None and not shape(item["geometry"]).intersects(query.aoi):
            continue
        when = parse_scene_datetime(props["datetime"])
        if query.start is not None and when < query.start:
            continue
        if query.end is not None and when > query.end:
            continue
        if query.has_cloud_filter:
            cloud = props.get("eo:cloud_cover")
            if cloud is None:
                continue
            if query.cloud_min is not None and cloud < query.cloud_min:
                continue
            if query.cloud_max is not None and cloud > query.cloud_max:
                continue
        out.add(item["id"])
    return out


def write_static_catalog(root: Path, collections: list[dict[str, Any]], items: list[dict[str, Any]]) -> Path:
    """Write a self-contained static catalog (relative links) under ``root``; returns catalog.json.

    Layout: catalog.json → <collection>/collection.json → <collection>/items/<id>.json. Items of the
    first collection get relative asset hrefs (``./<key>.tif``) and a small real file for B01.
    """
    root.mkdir(parents=True, exist_ok=True)
    catalog = {
        "type": "Catalog",
        "stac_version": "1.0.0",
        "id": "static-test",
        "description": "Static copy of the generated test items",
        "links": [{"rel": "root", "href": "./catalog.json"}],
    }
    first = collections[0]["id"]
    for col in collections:
        folder = root / col["id"]
        (folder / "items").mkdir(parents=True, exist_ok=True)
        doc = dict(
            col,
            links=[{"rel": "root", "href": "../catalog.json"}, {"rel": "parent", "href": "../catalog.json"}],
        )
        for item in items:
            if item["collection"] != col["id"]:
                continue
            data = json.loads(json.dumps(item))
            data["links"] = [{"rel": "collection", "href": "../collection.json"}]
            if col["id"] == first:
                payload = f"{item['id']} B01".encode()
                item_dir = folder / "items" / item["id"]
                item_dir.mkdir(exist_ok=True)
                (item_dir / "B01.tif").write_bytes(payload)
                data["assets"]["B01"]["href"] = f"./{item['id']}/B01.tif"
            (folder / "items" / f"{item['id']}.json").write_text(json.dumps(data))
            doc["links"].append({"rel": "item", "href": f"./items/{item['id']}.json"})
        (folder / "collection.json").write_text(json.dumps(doc))
        catalog["links"].append({"rel": "child", "href": f"./{col['id']}/collection.json"})
    path = root / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path
