"""The ``--clip`` options of ``scene-picker download``: only the area of interest's pixels.

``--clip`` clips every raster asset (or zip member) to the AOI recorded in the result file by
``scene-picker search`` (``--aoi WKT|FILE [--aoi-crs]`` overrides it), grown by ``--clip-buffer``
metres and masked outside the polygon with ``--clip-mask``. After the run, the summary says which file
was read by window and which was fetched whole, and ``OUT/stack/<band>.vrt`` stacks the dates.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Iterable, Optional

from ..core.errors import UsageError
from .aoi_file import add_aoi_arguments, resolve_aoi


def add_clip_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("clipping to the area of interest")
    group.add_argument(
        "--clip",
        action="store_true",
        help="fetch only the AOI's pixels of each raster (windowed reads of GeoTIFFs) into <name>.clip.tif",
    )
    add_aoi_arguments(group, "AOI to clip to (default: the result file's)")
    group.add_argument("--clip-buffer", type=float, default=0.0, metavar="METRES", help="grow the AOI")
    group.add_argument("--clip-mask", action="store_true", help="pixels outside the AOI: nodata")


def clip_payload(args: argparse.Namespace) -> Optional[dict[str, Any]]:
    """The queue payload of the clip asked for (None without ``--clip``); checks GDAL is there."""
    if not args.clip:
        if args.aoi or args.aoi_crs or args.clip_buffer or args.clip_mask:
            raise UsageError("--aoi, --aoi-crs, --clip-buffer and --clip-mask go with --clip.")
        return None
    from ..core.clip_raster import ClipRequest, gdal_module
    from ..core.geometry import aoi_from

    gdal_module()  # the clear "how to install GDAL" error before anything is queued
    if args.aoi:
        geometry = aoi_from(*resolve_aoi(args.aoi, args.aoi_crs))
    else:
        geometry = _recorded_aoi(args.results)
    return ClipRequest(geometry, args.clip_buffer, args.clip_mask).to_payload()


def _recorded_aoi(results: Optional[Path]):
    from ..core.export import AOI_MEMBER
    from ..core.geometry import aoi_from

    recorded = None
    if results is not None:
        try:
            document = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = None
        if isinstance(document, dict):
            recorded = document.get(AOI_MEMBER)
    if not recorded:
        raise UsageError("--clip needs an area of interest: give --aoi (the result file records none).")
    return aoi_from(recorded)


def report_clips(files: Iterable[str], out: Path) -> None:
    """Print how each file was clipped, and build the time stacks (``OUT/stack/<band>.vrt``)."""
    from ..core.clip_stack import build_stacks, clip_summary

    paths = [Path(p) for p in files]
    lines = clip_summary(paths)
    if lines:
        print("Clipped to the area of interest:")
        for line in lines:
            print(line)
    for stack in build_stacks(paths, out):
        print(f"Time stack: {stack}")
