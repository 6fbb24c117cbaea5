"""The GEODES collections Scene Picker ships, the ids they had before (aliases), and the live list.

GEODES (CNES) distributes the former Theia/MUSCATE products and PEPS's Sentinel products. Its
collection ids were renamed in December 2025 (``MUSCATE_SENTINEL2_SENTINEL2_L2A`` →
``THEIA_REFLECTANCE_SENTINEL2_L2A``, …): the old ids, and the collection names of the retired Theia
resto catalogue (``SENTINEL2``, ``LANDSAT``, ``VENUS``), are accepted as aliases. The shipped list is a
starting point; :func:`fetch_collections` reads the live one (``POST <STAC root>/collections``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..core.errors import ProviderResponseError
from ..core.platforms import normalise_platform


@dataclass(frozen=True)
class GeodesCollection:
    """One GEODES collection: its id, title and the platforms it holds."""

    id: str
    title: str
    platforms: tuple[str, ...] = ()


#: Shipped with the provider (ids and titles as GEODES's /collections lists them).
COLLECTIONS: tuple[GeodesCollection, ...] = (
    GeodesCollection("THEIA_REFLECTANCE_SENTINEL2_L2A", "THEIA SENTINEL2 L2A (MAJA)", ("sentinel-2",)),
    GeodesCollection("THEIA_REFLECTANCE_SENTINEL2_L3A", "THEIA SENTINEL2 L3A (WASP)", ("sentinel-2",)),
    GeodesCollection("THEIA_REFLECTANCE_LANDSAT8_L2A", "THEIA LANDSAT8 L2A", ("landsat-8",)),
    GeodesCollection("THEIA_REFLECTANCE_LANDSAT7_L2A", "THEIA LANDSAT7 L2A", ("landsat-7",)),
    GeodesCollection("THEIA_REFLECTANCE_LANDSAT5_L2A", "THEIA LANDSAT5 L2A", ("landsat-5",)),
    GeodesCollection("THEIA_REFLECTANCE_VENUS_VM1_L2A", "THEIA VENUS VM1 L2A", ("venus",)),
    GeodesCollection("THEIA_REFLECTANCE_VENUS_VM1_L3A", "THEIA VENUS VM1 L3A", ("venus",)),
    GeodesCollection("THEIA_REFLECTANCE_VENUS_VM5_L2A", "THEIA VENUS VM5 L2A", ("venus",)),
    GeodesCollection("THEIA_REFLECTANCE_VENUS_VM5_L3A", "THEIA VENUS VM5 L3A", ("venus",)),
    GeodesCollection("THEIA_SNOW_SENTINEL2_L2B", "THEIA SENTINEL2 Snow L2B", ("sentinel-2",)),
    GeodesCollection("THEIA_WATERQUAL_SENTINEL2_L2B", "THEIA WaterQual SENTINEL2 L2B", ("sentinel-2",)),
    GeodesCollection("PEPS_S2_L1C", "PEPS Sentinel-2 L1C tiles", ("sentinel-2",)),
    GeodesCollection("PEPS_S1_L1", "PEPS Sentinel-1 Level1", ("sentinel-1",)),
    GeodesCollection("PEPS_S1_L2", "PEPS Sentinel-1 Level2", ("sentinel-1",)),
)

#: Ids used before the December 2025 renaming, and the retired Theia resto collection names.
ALIASES: dict[str, str] = {
    "MUSCATE_SENTINEL2_SENTINEL2_L2A": "THEIA_REFLECTANCE_SENTINEL2_L2A",
    "MUSCATE_SENTINEL2_SENTINEL2_L3A": "THEIA_REFLECTANCE_SENTINEL2_L3A",
    "MUSCATE_LANDSAT_LANDSAT8_L2A": "THEIA_REFLECTANCE_LANDSAT8_L2A",
    "MUSCATE_LANDSAT57_LANDSAT7_N2A": "THEIA_REFLECTANCE_LANDSAT7_L2A",
    "MUSCATE_LANDSAT57_LANDSAT5_N2A": "THEIA_REFLECTANCE_LANDSAT5_L2A",
    "MUSCATE_VENUS_VM1_L2A": "THEIA_REFLECTANCE_VENUS_VM1_L2A",
    "MUSCATE_VENUS_VM1_L3A": "THEIA_REFLECTANCE_VENUS_VM1_L3A",
    "MUSCATE_VENUSVM05_VM5_L2A": "THEIA_REFLECTANCE_VENUS_VM5_L2A",
    "MUSCATE_VENUSVM05_VM5_L3A": "THEIA_REFLECTANCE_VENUS_VM5_L3A",
    "MUSCATE_SNOW_SENTINEL2_L2B-SNOW": "THEIA_SNOW_SENTINEL2_L2B",
    "MUSCATE_WATERQUAL_SENTINEL2_L2B-WATER": "THEIA_WATERQUAL_SENTINEL2_L2B",
    # The retired Theia catalogue (theia.cnes.fr/atdistrib resto) named its collections so.
    "SENTINEL2": "THEIA_REFLECTANCE_SENTINEL2_L2A",
    "LANDSAT": "THEIA_REFLECTANCE_LANDSAT8_L2A",
    "VENUS": "THEIA_REFLECTANCE_VENUS_VM1_L2A",
}

DEFAULT_COLLECTION = "THEIA_REFLECTANCE_SENTINEL2_L2A"
#: Platform -> the collection searched for it when the query names platforms but no collection.
PLATFORM_DEFAULTS = {
    "sentinel-1": "PEPS_S1_L1",
    "sentinel-2": "THEIA_REFLECTANCE_SENTINEL2_L2A",
    "landsat-5": "THEIA_REFLECTANCE_LANDSAT5_L2A",
    "landsat-7": "THEIA_REFLECTANCE_LANDSAT7_L2A",
    "landsat-8": "THEIA_REFLECTANCE_LANDSAT8_L2A",
    "landsat": "THEIA_REFLECTANCE_LANDSAT8_L2A",
    "venus": "THEIA_REFLECTANCE_VENUS_VM1_L2A",
}


def canonical_collection(collection_id: str) -> str:
    """The current id of ``collection_id`` (an old MUSCATE or Theia name maps to its new id; any other
    id is GEODES's own, passed as written)."""
    text = collection_id.strip()
    return ALIASES.get(text.upper(), text)


def collections_for_platforms(platforms: tuple[str, ...]) -> list[str]:
    """The collections to search for ``platforms`` (``sentinel-2a`` counts as ``sentinel-2``)."""
    chosen: list[str] = []
    for platform in platforms:
        collection = PLATFORM_DEFAULTS.get(normalise_platform(platform))
        if collection and collection not in chosen:
            chosen.append(collection)
    return chosen


def parse_collections(answer: Any) -> list[GeodesCollection]:
    """The collections of a ``/collections`` answer (``{"collections": [...]}``)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("collections"), list):
        raise ProviderResponseError("GEODES answered /collections without a collection list.", "geodes")
    out = []
    for entry in answer["collections"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        summaries = entry.get("summaries") if isinstance(entry.get("summaries"), dict) else {}
        platforms = _platforms(summaries.get("constellation"))
        out.append(GeodesCollection(entry["id"], str(entry.get("title") or entry["id"]), platforms))
    return out


def _platforms(value: Optional[Any]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(normalise_platform(v) for v in value if isinstance(v, str))
