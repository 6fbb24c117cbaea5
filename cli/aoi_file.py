"""Areas of interest from vector files (Shapefile, GeoPackage, KML, GML, FlatGeobuf…) read with GDAL/OGR.

GDAL's Python bindings are optional: they are imported only when such a file is given, and their
absence is a clear :class:`~scene_picker.core.errors.InvalidAOIError`. WKT and GeoJSON files are read by
:mod:`scene_picker.core.geometry` without GDAL.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Optional

from shapely import wkb
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from ..core.errors import InvalidAOIError

#: File suffixes read through OGR (others: WKT or GeoJSON text).
VECTOR_SUFFIXES = frozenset(
    {".shp", ".gpkg", ".kml", ".kmz", ".gml", ".fgb", ".sqlite", ".tab", ".mif", ".gpx", ".dxf"}
)


def is_vector_file(value: Optional[str]) -> bool:
    """Whether ``value`` names an existing file of a vector format OGR reads."""
    if not value:
        return False
    path = Path(value).expanduser()
    return path.suffix.lower() in VECTOR_SUFFIXES and path.is_file()


def add_aoi_arguments(
    group: argparse._ActionsContainer, help: str, crs_group: Optional[argparse._ActionsContainer] = None
) -> None:
    """``--aoi WKT_OR_FILE`` (``help`` says what for) in ``group`` and its ``--aoi-crs EPSG:N`` (in
    ``crs_group``, by default the same group); :func:`resolve_aoi` reads them."""
    group.add_argument("--aoi", metavar="WKT_OR_FILE", help=help)
    (crs_group or group).add_argument("--aoi-crs", metavar="EPSG:N", help="CRS of --aoi (default EPSG:4326)")


def resolve_aoi(aoi: Optional[str], crs: Optional[str]) -> tuple[Any, Optional[str]]:
    """An ``--aoi`` value and its ``--aoi-crs``: a vector file read (its CRS unless ``crs`` is given),
    anything else (WKT, GeoJSON or a WKT/GeoJSON file, None) as given."""
    if not is_vector_file(aoi):
        return aoi, crs
    geometry, file_crs = read_vector_aoi(Path(aoi).expanduser())
    return geometry, crs or file_crs


def read_vector_aoi(path: Path, layer: Optional[str] = None) -> tuple[BaseGeometry, Optional[str]]:
    """The union of the geometries of ``layer`` (the first layer by default) and its CRS
    (``"EPSG:n"`` when identifiable, else WKT; None when the file declares none)."""
    try:
        from osgeo import ogr
    except ImportError:
        raise InvalidAOIError(
            f"Reading {path} needs GDAL's Python bindings (Debian: python3-gdal); "
            "or give the AOI as WKT, GeoJSON or --bbox."
        ) from None
    ogr.UseExceptions()
    try:
        source = ogr.Open(str(path))
    except RuntimeError as exc:
        raise InvalidAOIError(f"GDAL cannot read the AOI file {path}: {exc}") from None
    if source is None:
        raise InvalidAOIError(f"GDAL cannot read the AOI file {path} as a vector file.")
    if source.GetLayerCount() == 0:
        raise InvalidAOIError(f"The AOI file {path} holds no vector layer.")
    vector = source.GetLayerByName(layer) if layer else source.GetLayer(0)
    if vector is None:
        raise InvalidAOIError(f"The AOI file {path} has no layer named {layer!r}.")
    geometries = []
    for feature in vector:
        geometry = feature.GetGeometryRef()
        if geometry is not None and not geometry.IsEmpty():
            geometries.append(wkb.loads(bytes(geometry.ExportToIsoWkb())))
    if not geometries:
        raise InvalidAOIError(f"The AOI file {path} has no geometry.")
    return unary_union(geometries), _crs_of(vector.GetSpatialRef())


def _crs_of(srs) -> Optional[str]:
    if srs is None:
        return None
    try:
        srs.AutoIdentifyEPSG()
    except RuntimeError:
        pass  # not an EPSG CRS: its WKT below
    authority, code = srs.GetAuthorityName(None), srs.GetAuthorityCode(None)
    if authority and code:
        return f"{authority}:{code}"
    return srs.ExportToWkt()
