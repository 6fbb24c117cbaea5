"""One CDSE OData product as a :class:`~scene_picker.core.scene.Scene`: attributes, footprint, MD5
checksum, the download URL of its archive."""

from __future__ import annotations

from typing import Any, Optional

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..core.checksums import Checksum
from ..core.errors import ProviderResponseError, UsageError
from ..core.scene import ROLE_DATA, Asset, Scene, parse_cloud_cover, parse_scene_datetime


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for att in item.get("Attributes") or ():
        if isinstance(att, dict) and isinstance(att.get("Name"), str):
            out[att["Name"]] = att.get("Value")
    return out


def _footprint(item: dict[str, Any]) -> Optional[BaseGeometry]:
    geo = item.get("GeoFootprint")
    try:
        if isinstance(geo, dict) and geo.get("type"):
            return shape(geo)
        text = item.get("Footprint")
        if isinstance(text, str) and ";" in text:
            return wkt.loads(text.split(";", 1)[1].rstrip("'"))
    except (ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise ProviderResponseError(f"CDSE answered an unreadable footprint ({exc}).", "cdse") from None
    return None


def md5_of(item: dict[str, Any]) -> Optional[Checksum]:
    """The MD5 from a product's ``Checksum`` list, if there is a usable one."""
    for entry in item.get("Checksum") or ():
        if isinstance(entry, dict) and str(entry.get("Algorithm", "")).upper() == "MD5":
            try:
                return Checksum("md5", str(entry.get("Value", "")))
            except UsageError:
                return None
    return None


def to_scene(item: dict[str, Any], download_url: str, provider: str = "cdse") -> Scene:
    """A :class:`Scene` from one OData product (expanded with ``Attributes``)."""
    try:
        product_id = str(item["Id"])
        name = str(item["Name"])
        start = (item.get("ContentDate") or {}).get("Start")
    except (KeyError, TypeError, AttributeError) as exc:
        raise ProviderResponseError(f"CDSE answered a malformed product ({exc}).", provider) from None
    attrs = _attributes(item)
    s3_path = item.get("S3Path") if isinstance(item.get("S3Path"), str) else None
    size = item.get("ContentLength")
    asset = Asset(
        key="product",
        href=f"{download_url.rstrip('/')}/Products({product_id})/$value",
        title=f"{name}.zip",
        media_type="application/zip",
        roles=(ROLE_DATA,),
        size=int(size) if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None,
        checksum=md5_of(item),
        alternates={"s3": "s3:/" + s3_path} if s3_path else {},
    )
    short = attrs.get("platformShortName")
    serial = attrs.get("platformSerialIdentifier")
    platform = f"{short}{serial or ''}".lower() if isinstance(short, str) else None
    cloud = attrs.get("cloudCover")
    keep = (
        "productType",
        "operationalMode",
        "tileId",
        "relativeOrbitNumber",
        "orbitDirection",
        "processingLevel",
    )
    collection = name.split("_", 1)[0][:2]
    collection_name = {"S1": "SENTINEL-1", "S2": "SENTINEL-2", "S3": "SENTINEL-3", "S5": "SENTINEL-5P"}.get(
        collection
    )
    return Scene(
        provider=provider,
        id=name,
        platform=platform,
        collection=collection_name,
        datetime=parse_scene_datetime(start),
        footprint=_footprint(item),
        cloud_cover=parse_cloud_cover(cloud),
        quicklook=None,
        assets={"product": asset},
        raw=item,
        online=bool(item.get("Online", True)),
        properties={
            "cdse_id": product_id,
            "s3_path": s3_path,
            "publication_date": item.get("PublicationDate"),
            **{k: attrs[k] for k in keep if k in attrs},
        },
    )
