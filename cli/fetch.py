"""``scene-picker fetch URL --out DIR``: one resumable, verified download from the command line.

Progress goes to stderr (a bar on a TTY, plain lines otherwise); the path of the written file goes to
stdout. Run it again after an interruption and it resumes from the ``.part``; a file already downloaded
and verified is skipped. Exit code 0 only when the file was written (or found) and verified.
"""

from __future__ import annotations

import argparse
import posixpath
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit

from ..core.cancel import CancelToken
from ..core.checksums import Checksum
from ..core.errors import UsageError
from ..core.http import HttpClient, RetryPolicy
from ..core.transfer import download_file
from .command import add_command
from .progress_view import ProgressView, human_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "fetch", run)
    parser.add_argument("url", metavar="URL")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    parser.add_argument("--name", help="file name in DIR (default: the last part of the URL path)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--md5", metavar="HEX", help="expected MD5")
    group.add_argument("--sha256", metavar="HEX", help="expected SHA-256")
    group.add_argument(
        "--checksum",
        metavar="ALGO:HEX|MULTIHASH",
        help="expected checksum, e.g. sha512:… or a STAC multihash",
    )
    parser.add_argument("--size", type=int, metavar="BYTES", help="expected size in bytes")
    parser.add_argument("--overwrite", action="store_true", help="download again even if verified")
    add_http_options(parser)


def add_http_options(parser: argparse.ArgumentParser) -> None:
    """``--header`` and ``--retries``, shared by the commands that talk to one URL."""
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="extra request header (repeatable); credentials-like headers go to the URL's host only",
    )
    parser.add_argument("--retries", type=int, default=5, metavar="N", help="tries per request (default 5)")


def http_client_from_args(args: argparse.Namespace, *, with_headers: bool = True) -> HttpClient:
    """The :class:`HttpClient` that :func:`add_http_options` describes."""
    if args.retries < 1:
        raise UsageError("--retries must be at least 1.")
    headers = dict(parse_header(h) for h in args.header) if with_headers else None
    return HttpClient(headers=headers, retry=RetryPolicy(max_attempts=args.retries))


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise UsageError(f"--header must look like 'Name: value', not {text.split(':')[0]!r}…")
    return name, value.strip()


def parse_checksum(args: argparse.Namespace) -> Optional[Checksum]:
    if args.md5:
        return Checksum("md5", args.md5)
    if args.sha256:
        return Checksum("sha256", args.sha256)
    if args.checksum:
        algorithm, sep, digest = args.checksum.partition(":")
        return Checksum(algorithm, digest) if sep else Checksum.from_multihash(args.checksum)
    return None


def file_name_for(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"Only http and https URLs can be fetched, not {parts.scheme or 'this'!r}.")
    name = posixpath.basename(unquote(parts.path))
    if name in ("", ".", ".."):
        raise UsageError("The URL does not end with a file name; give one with --name.")
    return name


def run(args: argparse.Namespace) -> int:
    """download one URL (resumable, verified)

    Download URL into DIR: resumes an interrupted download, verifies the size and checksum when given, and
    skips a file already downloaded and verified.
    """
    name = args.name or file_name_for(args.url)
    if "/" in name or "\\" in name or name in (".", ".."):
        raise UsageError(f"--name must be a plain file name, not {name!r}.")
    headers = dict(parse_header(h) for h in args.header)
    checksum = parse_checksum(args)
    http = http_client_from_args(args, with_headers=False)  # headers go with this download only
    view = ProgressView()
    cancel = CancelToken()
    try:
        result = download_file(
            args.url,
            args.out / name,
            http=http,
            expected_size=args.size,
            checksum=checksum,
            overwrite=args.overwrite,
            progress=view,
            cancel=cancel,
            headers=headers,
        )
    finally:
        view.close()
        http.close()
    verified = f", {checksum.algorithm} verified" if checksum else ""
    if result.skipped:
        view.message(
            f"{result.path.name}: already downloaded and verified ({human_bytes(result.size)}); skipped"
        )
    else:
        view.message(
            f"{result.path.name}: {human_bytes(result.size)} written "
            f"({human_bytes(result.bytes_fetched)} transferred{verified})"
        )
    print(result.path)
    return 0
