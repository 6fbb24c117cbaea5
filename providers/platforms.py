"""Platform names: one spelling (``landsat-8``, ``sentinel-2``, ``terra``) for the many that catalogs and
users write (``LANDSAT_8``, ``Landsat8``, ``Sentinel-2A``, ``LC08``)."""

from __future__ import annotations

import re

#: Landsat product-identifier prefixes (sensor letter + satellite number) → platform.
LANDSAT_PREFIXES = {
    "LT04": "landsat-4",
    "LT05": "landsat-5",
    "LE07": "landsat-7",
    "LC08": "landsat-8",
    "LO08": "landsat-8",
    "LT08": "landsat-8",
    "LC09": "landsat-9",
    "LO09": "landsat-9",
}


def normalise_platform(name: str) -> str:
    """``LANDSAT_8`` / ``Landsat8`` / ``Sentinel-2A`` → ``landsat-8`` / ``landsat-8`` / ``sentinel-2``."""
    text = re.sub(r"[\s_]+", "-", name.strip().lower())
    match = re.match(r"^([a-z]+)-?(\d+)([a-z]?)$", text)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return text


def platforms_match(wanted: str, offered: str) -> bool:
    """Whether a requested platform name designates an offered one (spelling-insensitive)."""
    return normalise_platform(wanted) == normalise_platform(offered)
