"""Batches of CDSE searches, like cdsodatacli's: a table of queries in, one table of products out.

A query table is a list of rows (dicts, e.g. read from CSV with :func:`read_table`) with the columns
``id, start, end, geometry, collection, product_type, sensor_mode, name`` (``geometry`` is WKT or
GeoJSON in EPSG:4326; empty cells mean "any"). :func:`run_batch` runs the queries one after another or
``parallel`` at a time and returns one list of result rows, each tagged with its ``query_id``, in the
order of the query table. With ``cache_dir`` each query's result is kept on disk under a key made from
the query itself (not its id), so running the batch again reads the cache instead of the catalogue.
No pandas: rows are plain dicts; :func:`write_table` writes them as CSV.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, TextIO, Union

from ..core.errors import ProviderError, ScenePickerError, UsageError
from ..core.query import Query, format_datetime
from ..core.scene import Scene

if TYPE_CHECKING:  # pragma: no cover
    from .cdse import CdseProvider

log = logging.getLogger(__name__)

QUERY_COLUMNS = ("id", "start", "end", "geometry", "collection", "product_type", "sensor_mode", "name")
RESULT_COLUMNS = (
    "query_id",
    "name",
    "cdse_id",
    "collection",
    "datetime",
    "cloud_cover",
    "product_type",
    "sensor_mode",
    "online",
    "size",
    "md5",
    "s3_path",
    "footprint",
)
CACHE_VERSION = 1


def read_table(path: Union[str, Path]) -> list[dict[str, str]]:
    """Rows of a CSV file (header line first) as dicts."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def write_table(rows: Iterable[Mapping[str, Any]], target: Union[str, Path, TextIO]) -> None:
    """Write result rows as CSV (to a path or an open text stream) with :data:`RESULT_COLUMNS` first,
    then any extra columns, sorted."""
    rows = list(rows)
    extra = sorted({k for row in rows for k in row} - set(RESULT_COLUMNS))

    def write(handle: TextIO) -> None:
        writer = csv.DictWriter(handle, fieldnames=[*RESULT_COLUMNS, *extra])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})

    if isinstance(target, (str, Path)):
        with open(target, "w", newline="", encoding="utf-8") as handle:
            write(handle)
    else:
        write(target)


def _cell(row: Mapping[str, Any], key: str) -> Optional[str]:
    value = row.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def query_of(row: Mapping[str, Any]) -> Query:
    """The :class:`Query` a table row describes."""
    unknown = set(row) - set(QUERY_COLUMNS)
    if unknown:
        raise UsageError(
            f"Unknown column(s) {', '.join(sorted(unknown))}; expected {', '.join(QUERY_COLUMNS)}."
        )
    extras: dict[str, Any] = {}
    if _cell(row, "sensor_mode"):
        extras["sensor_mode"] = _cell(row, "sensor_mode")
    if _cell(row, "name"):
        extras["name_contains"] = _cell(row, "name")
    return Query.build(
        aoi=_cell(row, "geometry"),
        start=_cell(row, "start"),
        end=_cell(row, "end"),
        collections=_cell(row, "collection"),
        product_type=_cell(row, "product_type"),
        extras=extras,
    )


def cache_key(provider: CdseProvider, query: Query) -> str:
    """A digest of everything that decides a query's answer (the catalogue and the criteria)."""
    material = {
        "version": CACHE_VERSION,
        "catalogue": provider.catalogue_url,
        "online_only": provider.online_only,
        "aoi": query.aoi.wkt if query.aoi is not None else None,
        "start": format_datetime(query.start) if query.start else None,
        "end": format_datetime(query.end) if query.end else None,
        "collections": list(query.collections),
        "product_type": query.product_type,
        "cloud": [query.cloud_min, query.cloud_max],
        "extras": {k: str(v) for k, v in sorted(query.extras.items())},
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def result_row(scene: Scene) -> dict[str, Any]:
    """One result row (without ``query_id``) for a scene."""
    asset = scene.assets.get("product")
    props = scene.properties
    return {
        "name": scene.id,
        "cdse_id": props.get("cdse_id"),
        "collection": scene.collection,
        "datetime": format_datetime(scene.datetime) if scene.datetime else None,
        "cloud_cover": scene.cloud_cover,
        "product_type": props.get("productType"),
        "sensor_mode": props.get("operationalMode"),
        "online": scene.online,
        "size": asset.size if asset else None,
        "md5": asset.checksum.hexdigest if asset and asset.checksum else None,
        "s3_path": props.get("s3_path"),
        "footprint": scene.footprint.wkt if scene.footprint is not None else None,
    }


def _read_cache(path: Path) -> Optional[list[dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = data.get("rows") if isinstance(data, dict) else None
    return rows if isinstance(rows, list) else None


def _write_cache(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": CACHE_VERSION, "rows": rows}, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_batch(
    provider: CdseProvider,
    queries: Iterable[Mapping[str, Any]],
    *,
    parallel: int = 1,
    cache_dir: Optional[Union[str, Path]] = None,
) -> list[dict[str, Any]]:
    """Run every query of the table; one list of rows tagged ``query_id``, in table order."""
    table = list(queries)
    ids = [_cell(row, "id") for row in table]
    if any(i is None for i in ids):
        raise UsageError("Every batch query needs an 'id'.")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(f"Batch query ids must be unique; repeated: {', '.join(duplicates)}.")
    if parallel < 1:
        raise UsageError(f"parallel must be at least 1, not {parallel}.")
    cache = Path(cache_dir) if cache_dir is not None else None

    def one(row: Mapping[str, Any]) -> list[dict[str, Any]]:
        query_id = str(_cell(row, "id"))
        try:
            query = query_of(row)
            path = cache / f"{cache_key(provider, query)}.json" if cache is not None else None
            rows = _read_cache(path) if path is not None and path.is_file() else None
            if rows is None:
                rows = [result_row(scene) for scene in provider.search(query)]
                if path is not None:
                    _write_cache(path, rows)
            else:
                log.info("CDSE batch query %s: %d products from the cache", query_id, len(rows))
        except UsageError as exc:
            raise UsageError(f"Batch query '{query_id}': {exc}") from exc
        except ScenePickerError as exc:
            raise ProviderError(f"Batch query '{query_id}' failed: {exc}", "cdse") from exc
        return [{"query_id": query_id, **r} for r in rows]

    if parallel == 1:
        results = [one(row) for row in table]
    else:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="cdse-batch") as executor:
            results = list(executor.map(one, table))
    return [row for rows in results for row in rows]
