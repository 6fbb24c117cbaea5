"""Short labels a person tells scenes apart by, e.g. ``2024-06-03 T31TDJ S2A`` (date, tile or path/row,
platform), for the dock's results table, the Downloads list and the Members dialog. Pure Python.

The tile comes from the catalog's properties when it gives one (STAC ``mgrs:*``/``s2:mgrs_tile``,
``landsat:wrs_path``/``wrs_row``, ``sat:relative_orbit``, CDSE/Terrascope ``tileId``), else from the
product name (Sentinel-2 ``_T31TDJ_``, Landsat ``_198030_``).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .scene import ROLE_DATA, Scene

_S2_TILE = re.compile(r"(?:^|_)T(\d{2}[C-X][A-Z]{2})(?:_|$)")
_LANDSAT_PATH_ROW = re.compile(r"^L[CETMO]\d{2}_[A-Z0-9]{4}_(\d{3})(\d{3})_")
_PLATFORM = re.compile(r"^(sentinel|landsat)[-_ ]?(\d+)[-_ ]?([a-z]?)$", re.IGNORECASE)
_S2_ID = re.compile(r"^S(\d)([A-D])_")


def _text(value: Any) -> Optional[str]:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def scene_tile(scene: Scene) -> Optional[str]:
    """The tile (``T31TDJ``), path/row (``198/030``) or relative orbit (``R037``) of ``scene``."""
    props = scene.properties
    tile = _text(props.get("s2:mgrs_tile")) or _text(props.get("tileId")) or _text(props.get("tile_id"))
    if tile is None and props.get("mgrs:utm_zone") is not None:
        parts = [_text(props.get(k)) for k in ("mgrs:utm_zone", "mgrs:latitude_band", "mgrs:grid_square")]
        if all(parts):
            tile = f"{int(parts[0]):02d}{parts[1]}{parts[2]}" if parts[0].isdigit() else "".join(parts)
    if tile is not None:
        return tile if tile.upper().startswith("T") else f"T{tile}"
    match = _S2_TILE.search(scene.id)
    if match:
        return f"T{match.group(1)}"
    path, row = props.get("landsat:wrs_path"), props.get("landsat:wrs_row")
    if path is None:
        match = _LANDSAT_PATH_ROW.match(scene.id)
        if match:
            path, row = match.groups()
    if path is not None and row is not None:
        try:
            return f"{int(path):03d}/{int(row):03d}"
        except (TypeError, ValueError):
            return f"{path}/{row}"
    orbit = props.get("sat:relative_orbit")
    if isinstance(orbit, int) and not isinstance(orbit, bool):
        return f"R{orbit:03d}"
    return None


def short_platform(scene: Scene) -> Optional[str]:
    """``sentinel-2a`` → ``S2A``, ``landsat-8`` → ``L8``; other platforms as the catalog names them."""
    platform = _text(scene.platform)
    if platform is None:
        match = _S2_ID.match(scene.id)
        return f"S{match.group(1)}{match.group(2)}" if match else None
    match = _PLATFORM.match(platform)
    if match:
        family, number, unit = match.groups()
        return f"{family[0].upper()}{number}{unit.upper()}"
    return platform


def scene_label(scene: Scene) -> str:
    """``2024-06-03 T31TDJ S2A``: what is known of date, tile and platform; the id when none is."""
    parts = [
        scene.datetime.strftime("%Y-%m-%d") if scene.datetime else None,
        scene_tile(scene),
        short_platform(scene),
    ]
    known = [part for part in parts if part]
    return " ".join(known) if known and (parts[0] or len(known) > 1) else scene.id


def scene_size(scene: Scene) -> Optional[int]:
    """Bytes of the scene's data assets when the catalog gives all their sizes, else None."""
    assets = scene.assets_with_role(ROLE_DATA) or list(scene.assets.values())
    sizes = [asset.size for asset in assets]
    if not sizes or any(size is None for size in sizes):
        return None
    return sum(sizes)


def member_label(path: str) -> str:
    """A zip member's path with its file name first: ``B04.jp2 — S2A….SAFE/GRANULE/…/IMG_DATA``."""
    folder, _, name = path.rstrip("/").rpartition("/")
    return f"{name} — {folder}" if folder else name


def fetch_summary(
    scene: Scene, assets: Optional[list[str]], members: Optional[list[str]]
) -> tuple[str, list[str]]:
    """What a download of ``scene`` fetches: ``("members", members)`` (part of an archive),
    ``("archive", keys)`` (a whole zip archive) or ``("assets", keys)``; the UI words it."""
    if members:
        return "members", list(members)
    chosen = [scene.assets[key] for key in assets if key in scene.assets] if assets else []
    chosen = chosen or scene.assets_with_role(ROLE_DATA) or list(scene.assets.values())
    keys = [asset.key for asset in chosen]
    return ("archive" if any(asset.is_zip for asset in chosen) else "assets"), keys
