"""Time stacks of clipped bands, and the summary of how each file was clipped.

:func:`build_stacks` groups clipped outputs (read from their clip records, see
:mod:`scene_picker.core.clip`) by band and CRS and writes one VRT per group into ``OUT/stack/``: one
VRT band per date, in acquisition-time order, each band described by its date-time
(``<band>.vrt``; ``<band>_EPSG<N>.vrt`` when the dates fall into several CRSs).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterable

from .clip import DOWNLOADED, EXTRACTED, LOCAL, WINDOWED, read_record
from .clip_raster import ClipError, open_raster, quiet_gdal

STACK_FOLDER = "stack"


def clip_records(paths: Iterable[Path]) -> list[tuple[Path, dict]]:
    """``(path, record)`` of the clipped files among ``paths`` (others left out)."""
    found = []
    for path in paths:
        record = read_record(Path(path))
        if record is not None and Path(path).is_file():
            found.append((Path(path), record))
    return found


def build_stacks(paths: Iterable[Path], outdir: Path) -> list[Path]:
    """One VRT per band (and CRS) stacking the clipped dates in time order; returns the VRTs."""
    groups: dict[tuple[str, str], list[tuple[str, Path]]] = defaultdict(list)
    for path, record in clip_records(paths):
        try:
            dataset = open_raster(path)
        except ClipError:
            continue  # a clip GDAL cannot read any more: left out of the stack
        srs = dataset.GetSpatialRef()
        epsg = (srs.GetAuthorityCode(None) if srs is not None else None) or "unknown"
        groups[(record.get("band") or "band", epsg)].append((record.get("datetime") or "", path))
    with quiet_gdal() as gdal:
        several = {band for band, _ in groups if sum(1 for b, _ in groups if b == band) > 1}
        written = []
        folder = Path(outdir) / STACK_FOLDER
        for (band, epsg), dated in sorted(groups.items()):
            dated.sort()
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{_safe(band)}_EPSG{epsg}.vrt" if band in several else f"{_safe(band)}.vrt"
            dest = folder / name
            sources = [str(path.resolve()) for _, path in dated]
            options = gdal.BuildVRTOptions(separate=True, resolution="highest")
            vrt = gdal.BuildVRT(str(dest), sources, options=options)
            if vrt is None:
                raise ClipError(f"could not build the stack {name}: {gdal.GetLastErrorMsg()}")
            for index, (when, path) in enumerate(dated, start=1):
                band_obj = vrt.GetRasterBand(index)
                band_obj.SetDescription(when or path.stem)
                band_obj.SetMetadataItem("SCENE_PICKER_DATETIME", when)
                band_obj.SetMetadataItem("SCENE_PICKER_FILE", path.name)
            vrt.SetMetadataItem("SCENE_PICKER_BAND", band)
            vrt = None
            written.append(dest)
    return written


def clip_summary(paths: Iterable[Path]) -> list[str]:
    """Lines saying which files were read by window and which were fetched whole and clipped."""
    labels = {
        WINDOWED: "windowed (only the AOI's tiles/strips fetched)",
        EXTRACTED: "zip member extracted whole, then clipped (compressed member: no random access)",
        DOWNLOADED: "downloaded whole, then clipped (no range access or not a GeoTIFF)",
        LOCAL: "local file clipped",
    }
    lines = []
    for path, record in clip_records(paths):
        how = labels.get(record.get("method", ""), record.get("method", "?"))
        source = record.get("source", "")
        if record.get("member"):
            source += f"!{record['member']}"
        size = record.get("source_size")
        of = f" of {size} bytes" if size else ""
        lines.append(f"  {path.name}: {how}; {record.get('bytes_read', 0)} bytes read{of} from {source}")
    return lines


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text) or "band"
