"""The side-car options shared by ``scene-picker search`` and ``sync``: reading each scene's metadata
label and keeping the scenes whose value passes (:mod:`scene_picker.core.sidecar_filter`), with a
progress line and a report of the unreadable labels on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Iterable, Optional, TextIO

from ..core.scene import Scene
from ..core.sidecar_filter import SidecarReport, SidecarSpec

if TYPE_CHECKING:  # pragma: no cover
    from ..core.http import HttpClient

#: Unreadable labels listed one by one on stderr; the rest are counted.
MAX_LISTED = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("side-car filters (values read from each scene's metadata label)")
    group.add_argument(
        "--sidecar-filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="keep scenes whose label value passes, e.g. 'incidence_angle<30' or '10<=incidence_angle<30' "
        "(repeatable; all must pass)",
    )
    group.add_argument(
        "--sidecar-field",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="where NAME is in the label: JSON/PVL dotted path, XML ElementTree path (default: the first "
        "key or element called NAME); a field without a filter is read as a column only",
    )
    group.add_argument(
        "--sidecar-asset", metavar="KEY", help="asset holding the label (default: role metadata)"
    )
    group.add_argument(
        "--sidecar-workers", type=int, default=8, metavar="N", help="labels fetched at once (default 8)"
    )
    group.add_argument(
        "--keep-unreadable",
        action="store_true",
        help="keep scenes whose label cannot be read (they are reported either way)",
    )


def spec_from_args(args: argparse.Namespace) -> SidecarSpec:
    return SidecarSpec.build(
        args.sidecar_filter, args.sidecar_field, args.sidecar_asset, args.keep_unreadable
    )


def filter_scenes(
    scenes: Iterable[Scene],
    spec: SidecarSpec,
    http: Optional[HttpClient],
    workers: int = 8,
    stream: Optional[TextIO] = None,
    label: str = "",
) -> list[Scene]:
    """The scenes passing ``spec`` (all of them when it is empty), with progress and the report on
    ``stream`` (stderr)."""
    if not spec.active:
        return list(scenes)
    stream = stream or sys.stderr
    tty = bool(getattr(stream, "isatty", None) and stream.isatty())
    prefix = f"{label}: " if label else ""

    def progress(count: int) -> None:
        if tty:
            stream.write(f"\r{prefix}reading side-car labels: {count}")
            stream.flush()
        elif count % 25 == 0:
            stream.write(f"{prefix}reading side-car labels: {count}\n")

    report = SidecarReport()
    kept = list(spec.apply(scenes, http=http, workers=workers, progress=progress, report=report))
    if tty and report.read:
        stream.write("\n")
    stream.write(prefix + report.summary() + "\n")
    action = "kept" if spec.keep_unreadable else "left out"
    for scene, reason in report.unreadable[:MAX_LISTED]:
        stream.write(f"  unreadable ({action}): {scene.provider}:{scene.id}: {reason}\n")
    if len(report.unreadable) > MAX_LISTED:
        stream.write(f"  … and {len(report.unreadable) - MAX_LISTED} more unreadable labels\n")
    stream.flush()
    return kept
