"""One STAC Item as a :class:`~scene_picker.core.scene.Scene`: the parser shared by the STAC API, static
catalog, NDJSON and GEODES providers (relative hrefs resolved, assets with roles and checksums)."""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urljoin

from shapely.errors import ShapelyError
from shapely.geometry import shape

from ..core.errors import ProviderResponseError
from ..core.redact import redact_url
from ..core.scene import ROLE_OVERVIEW, ROLE_THUMBNAIL, Asset, Scene, parse_cloud_cover, parse_scene_datetime

#: The item property of the cloud cover (percent), from STAC's ``eo`` extension.
CLOUD_PROPERTY = "eo:cloud_cover"


def item_to_scene(
    item: Any,
    provider: str,
    base_url: str,
    *,
    label: Optional[str] = None,
    source: Optional[dict[str, str]] = None,
) -> Scene:
    """A :class:`Scene` of the provider registered as ``provider`` from one STAC Item found at
    ``base_url`` (relative hrefs resolve against the item's ``self`` link, else ``base_url``), recording
    ``source`` (the options that rebuild the provider); a malformed item raises a ProviderResponseError
    naming ``label`` (default: ``provider``) and ``base_url``."""
    where = redact_url(base_url)
    label = label or provider

    def malformed(what: str) -> ProviderResponseError:
        return ProviderResponseError(f"{label}: {where} {what}", provider=label)

    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise malformed("sent an item without an 'id'.")
    item_id = item["id"]
    props = item.get("properties")
    if not isinstance(props, dict):
        raise malformed(f"sent item {item_id!r} without 'properties'.")
    footprint = None
    if item.get("geometry"):
        try:
            footprint = shape(item["geometry"])
        except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise malformed(f"sent item {item_id!r} with a malformed geometry: {exc}") from None
    item_base = urljoin(base_url, _self_href(item) or "") if _self_href(item) else base_url
    assets: dict[str, Asset] = {}
    raw_assets = item.get("assets") or {}
    if not isinstance(raw_assets, dict):
        raise malformed(f"sent item {item_id!r} whose 'assets' is not an object.")
    for key, data in raw_assets.items():
        if not isinstance(data, dict) or not isinstance(data.get("href"), str):
            raise malformed(f"sent item {item_id!r} with asset {key!r} without href.")
        href = data["href"]
        if not href.startswith(("https://", "http://", "s3://")):
            href = urljoin(item_base, href)  # relative (urljoin is the costliest step per item)
        assets[key] = Asset.from_dict(key, {**data, "href": href})
    when = parse_scene_datetime(props.get("datetime")) or parse_scene_datetime(props.get("start_datetime"))
    cloud = props.get(CLOUD_PROPERTY)
    extra = {k: v for k, v in props.items() if k not in ("datetime", CLOUD_PROPERTY)}
    return Scene(
        provider=provider,
        id=item_id,
        platform=props.get("platform") or props.get("constellation"),
        collection=item.get("collection"),
        datetime=when,
        footprint=footprint,
        cloud_cover=parse_cloud_cover(cloud),
        quicklook=_quicklook(assets),
        assets=assets,
        raw=item,
        online=True,
        properties=extra,
        source=dict(source or {}),
    )


def _self_href(item: dict[str, Any]) -> Optional[str]:
    for link in item.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "self" and isinstance(link.get("href"), str):
            return link["href"]
    return None


def _quicklook(assets: dict[str, Asset]) -> Optional[str]:
    for role in (ROLE_THUMBNAIL, ROLE_OVERVIEW):
        for asset in assets.values():
            if role in asset.roles:
                return asset.href
    for key in ("thumbnail", "rendered_preview", "preview", "quicklook"):
        if key in assets:
            return assets[key].href
    return None


def matched_total(answer: dict[str, Any]) -> Optional[int]:
    """The number of items a STAC search answer announces (``numberMatched``, else the context
    extension's ``context.matched``), or None when it announces none usable."""
    context = answer.get("context")
    matched = context.get("matched") if isinstance(context, dict) else None
    for value in (answer.get("numberMatched"), matched):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None
