"""``scene-picker members URL``: list the members of a remote zip (name, compressed and full size)
after reading only its central directory with range requests."""

from __future__ import annotations

import argparse
import json

from ..core.remotezip import RANGE_MODES, RemoteZip
from .command import add_command
from .fetch import add_http_options, http_client_from_args
from .progress_view import human_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "members", run)
    parser.add_argument("url", metavar="URL")
    add_remote_zip_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per member, on stdout")
    parser.add_argument("--bytes", action="store_true", help="sizes in bytes instead of KiB/MiB")


def add_remote_zip_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``members`` and ``extract``."""
    parser.add_argument(
        "--range-mode",
        choices=RANGE_MODES,
        default="auto",
        help="how to ask for byte ranges: auto (bounded, open-ended only if bounded ones bring nothing), "
        "bounded, open-ended (default: auto)",
    )
    add_http_options(parser)


def open_remote_zip(args: argparse.Namespace) -> RemoteZip:
    """The :class:`RemoteZip` the common options describe (its client closes with ``.http.close()``)."""
    return RemoteZip(args.url, http_client_from_args(args), args.range_mode)


def run(args: argparse.Namespace) -> int:
    """list the members of a remote zip archive

    List the members of the zip archive at URL (name, compressed size, full size), reading only its central
    directory with HTTP range requests.
    """
    archive = open_remote_zip(args)
    try:
        members = archive.members()
    finally:
        archive.http.close()
    if args.json:
        for m in members:
            record = {
                "name": m.name,
                "compressed_size": m.compressed_size,
                "file_size": m.file_size,
                "crc32": f"{m.crc32:08x}",
                "method": m.method_name,
                "is_dir": m.is_dir,
                "is_symlink": m.is_symlink,
            }
            print(json.dumps(record))
        return 0
    size = str if args.bytes else human_bytes
    rows = [(size(m.compressed_size), size(m.file_size), m.name) for m in members]
    rows.append(
        (
            size(sum(m.compressed_size for m in members)),
            size(sum(m.file_size for m in members)),
            f"{len(members)} members",
        )
    )
    width_c = max(len("compressed"), *(len(r[0]) for r in rows))
    width_f = max(len("size"), *(len(r[1]) for r in rows))
    print(f"{'compressed':>{width_c}}  {'size':>{width_f}}  name")
    for compressed, full, name in rows:
        print(f"{compressed:>{width_c}}  {full:>{width_f}}  {name}")
    return 0
