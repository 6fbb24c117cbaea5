"""Platform names: one spelling (``landsat-8``, ``sentinel-2a``, ``terra``) for the many that catalogs and
users write (``LANDSAT_8``, ``Landsat 8``, ``Sentinel-2A``, ``LC08``).

:func:`canonical_platform` is applied once, when a :class:`~scene_picker.core.query.Query` is built, so every
provider receives the same spelling; :func:`normalise_platform` further drops the satellite letter (the
mission: ``sentinel-2a`` → ``sentinel-2``)."""

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


#: Missions whose letter is part of the name, not a satellite of a constellation.
_LETTERED_MISSIONS = frozenset({"sentinel-5p"})


def canonical_platform(name: str) -> str:
    """``LANDSAT_8`` / ``Landsat 8`` / ``Sentinel2A`` → ``landsat-8`` / ``landsat-8`` / ``sentinel-2a``."""
    text = re.sub(r"[\s_]+", "-", name.strip().lower())
    match = re.match(r"^([a-z]+)-?(\d+)([a-z]?)$", text)
    if match:
        return f"{match.group(1)}-{match.group(2)}{match.group(3)}"
    return text


def normalise_platform(name: str) -> str:
    """The mission: ``LANDSAT_8`` / ``Sentinel-2A`` / ``Sentinel-5P`` → ``landsat-8`` / ``sentinel-2`` /
    ``sentinel-5p``."""
    text = canonical_platform(name)
    if text in _LETTERED_MISSIONS:
        return text
    match = re.match(r"^([a-z]+-\d+)[a-z]$", text)
    return match.group(1) if match else text
