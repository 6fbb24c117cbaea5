"""``scene-picker search``: query a catalog and print the scenes as GeoJSON or CSV.

    scene-picker search --provider stac --url URL [--collections A,B]
        (--bbox=W,S,E,N | --aoi WKT_OR_GEOJSON_FILE [--aoi-crs EPSG:N])
        [--start DATE] [--end DATE] [--cloud-max N] [--cloud-min N] [--limit N]
        [--sidecar-filter EXPR]... [--sidecar-field NAME=PATH]... [--keep-unreadable]
        [--format geojson|csv] [--out FILE]

The scenes go to stdout (or ``--out``); the count and the server's total go to stderr. A bad AOI,
an unreachable server or a malformed answer ends with one clear line on stderr and a non-zero exit
code (see :mod:`scene_picker.core.errors`). ``--sidecar-filter`` reads each found scene's metadata label
and keeps the scenes that pass (:mod:`scene_picker.cli.sidecar_opts`); the values become columns.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.export import write_csv, write_geojson
from ..core.query import Query
from . import sidecar_opts
from .aoi_file import add_aoi_arguments, resolve_aoi
from .command import add_command, add_option_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "search", run)
    parser.add_argument("--provider", default="stac", help="provider name (default: stac)")
    parser.add_argument("--url", help="catalog URL (STAC API root, or a static catalog's JSON)")
    add_option_argument(parser)
    parser.add_argument("--collections", help="comma-separated collection ids")
    parser.add_argument("--platforms", help="comma-separated platforms (e.g. sentinel-2a,landsat-8)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bbox", metavar="W,S,E,N", help="box in EPSG:4326 degrees (W > E crosses 180°)")
    add_aoi_arguments(
        where,
        "WKT text, or a GeoJSON/WKT file, or a vector file (Shapefile, GeoPackage, KML…) read with GDAL",
        crs_group=parser,
    )
    parser.add_argument("--start", metavar="DATE", help="first day/time (YYYY-MM-DD or ISO 8601, UTC)")
    parser.add_argument("--end", metavar="DATE", help="last day/time, inclusive (a date means the whole day)")
    parser.add_argument("--cloud-min", metavar="N", help="minimum cloud cover, percent")
    parser.add_argument("--cloud-max", metavar="N", help="maximum cloud cover, percent")
    parser.add_argument(
        "--tile", metavar="ID", help="tile id, e.g. 31TCJ (providers with a tile grid: geodes)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="at most N scenes")
    parser.add_argument("--format", choices=("geojson", "csv"), default="geojson")
    parser.add_argument("--out", type=Path, metavar="FILE", help="output file (default: stdout)")
    parser.add_argument("--retries", type=int, default=5, metavar="N", help="tries per request (default 5)")
    sidecar_opts.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """search a catalog; scenes as GeoJSON or CSV

    Search a catalog and write the matching scenes (id, datetime, cloud cover, collection, asset hrefs) as a
    GeoJSON FeatureCollection or CSV. Write a bbox with a negative first number as --bbox=W,S,E,N.
    """
    from ..catalogs import NetworkConfig, build_provider, parse_option_pairs
    from ..core.errors import UsageError
    from ..core.http import RetryPolicy

    if args.aoi_crs and not args.aoi:
        raise UsageError("--aoi-crs applies to --aoi only (a --bbox is in EPSG:4326 degrees).")
    if args.retries < 1:
        raise UsageError("--retries must be at least 1.")
    sidecar = sidecar_opts.spec_from_args(args)
    aoi, aoi_crs = resolve_aoi(args.aoi, args.aoi_crs)
    query = Query.build(
        aoi=aoi,
        aoi_crs=aoi_crs,
        bbox=args.bbox,
        start=args.start,
        end=args.end,
        cloud_min=args.cloud_min,
        cloud_max=args.cloud_max,
        collections=args.collections,
        platforms=args.platforms,
        max_results=args.limit,
        extras={"tile": args.tile} if args.tile else None,
    )
    options = parse_option_pairs(args.option)
    if args.url:
        options["url"] = args.url
    network = NetworkConfig(retry=RetryPolicy(max_attempts=args.retries, backoff_max=10.0))
    provider = build_provider(args.provider, options, network)
    results = provider.search(query)
    scenes = sidecar_opts.filter_scenes(results, sidecar, provider.http, args.sidecar_workers)
    target = args.out if args.out is not None else sys.stdout
    if args.format == "csv":
        write_csv(scenes, target)
    else:
        write_geojson(scenes, target, aoi=query.aoi)
    total = results.total
    told = f" of {total} matching" if total is not None else ""
    print(f"{len(scenes)} scene{'s' if len(scenes) != 1 else ''}{told} ({provider.label})", file=sys.stderr)
    return 0
