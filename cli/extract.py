"""``scene-picker extract URL PATTERN... --out DIR``: fetch only the members of a remote zip whose full
path matches a glob pattern (or equals a name), keeping the archive's folders under DIR (``--flat``
puts the files directly in DIR).

An archive with any unsafe member (zip-slip path, symlink, zip bomb) is refused as a whole. Progress
goes to stderr; the written paths to stdout. Exit code 0 only when every matching member was written
(or found complete) and its CRC32 verified.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.cancel import CancelToken
from .command import add_command
from .members import add_remote_zip_options, open_remote_zip
from .progress_view import ProgressView, human_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "extract", run)
    parser.add_argument("url", metavar="URL")
    parser.add_argument("patterns", nargs="+", metavar="PATTERN", help="glob on full member paths")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument("--flat", action="store_true", help="write files directly in DIR, without folders")
    parser.add_argument("--overwrite", action="store_true", help="fetch again files already complete")
    add_remote_zip_options(parser)


def run(args: argparse.Namespace) -> int:
    """fetch chosen members of a remote zip archive

    Fetch only the members of the zip archive at URL whose full path matches any PATTERN (shell glob such as
    '*B04*.jp2', or an exact name), with HTTP range requests.
    """
    archive = open_remote_zip(args)
    view = ProgressView()
    try:
        paths = archive.extract(
            args.patterns,
            args.out,
            keep_folders=not args.flat,
            progress=view,
            cancel=CancelToken(),
            overwrite=args.overwrite,
        )
    finally:
        view.close()
        archive.http.close()
    stats = archive.stats
    reader = archive.reader
    skipped = f", {stats.skipped} already complete" if stats.skipped else ""
    view.message(
        f"{archive.name}: {stats.written} member{'s' if stats.written != 1 else ''} written and "
        f"CRC32-verified{skipped} ({human_bytes(reader.bytes_received)} read in {reader.requests} "
        f"request{'s' if reader.requests != 1 else ''})"
    )
    for path in paths:
        print(path)
    return 0
