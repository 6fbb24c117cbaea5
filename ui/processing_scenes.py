"""Scenes as Processing features: the attribute table of the "Search scenes" output and the way back.

A footprint feature carries the scene's main attributes for people (id, provider, date, cloud cover…)
and, for the machine, the whole scene record (``scene_json``, GeoJSON as :meth:`Scene.to_feature`
writes it, with :attr:`Scene.source`) plus the provider options it came from (``provider_options``:
the catalog URL; never a secret), so "Download scenes" needs no second search (a scene whose hrefs
are signed URLs keeps no record: it is fetched again). Layers without ``scene_json`` (e.g. the dock's
footprint layer) still work: the scene is fetched again by ``provider`` + ``scene_id``.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any, Optional

from qgis.core import QgsFeature, QgsFields, QgsGeometry
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QVariant

from ..core.errors import ProviderResponseError, UsageError
from ..core.redact import feature_carries_secret, url_carries_secret
from ..core.scene import Scene
from . import field_types

SCENE_FIELDS = (
    ("scene_id", field_types.STRING),
    ("provider", field_types.STRING),
    ("platform", field_types.STRING),
    ("collection", field_types.STRING),
    ("datetime", field_types.DATETIME),
    ("cloud_cover", field_types.DOUBLE),
    ("online", field_types.BOOL),
    ("quicklook", field_types.STRING),
    ("assets", field_types.STRING),
    ("provider_options", field_types.STRING),
    ("scene_json", field_types.STRING),
)


def scene_fields() -> QgsFields:
    return field_types.qgs_fields(SCENE_FIELDS)


def scene_to_feature(scene: Scene, fields: QgsFields, provider_options: dict[str, Any]) -> QgsFeature:
    """A MultiPolygon feature (EPSG:4326) for ``scene`` found by a provider built with
    ``provider_options`` (the scene's recorded :attr:`Scene.source` wins); the geometry stays empty
    without a footprint."""
    feature = QgsFeature(fields)
    if scene.footprint is not None:
        geometry = QgsGeometry.fromWkt(scene.footprint.wkt)
        geometry.convertToMultiType()
        feature.setGeometry(geometry)
    when = QDateTime()
    if scene.datetime is not None:
        utc = scene.datetime.astimezone(timezone.utc)
        when = QDateTime(
            QDate(utc.year, utc.month, utc.day),
            QTime(utc.hour, utc.minute, utc.second, utc.microsecond // 1000),
            Qt.TimeSpec.UTC,
        )
    record = scene.to_feature()
    record.pop("geometry", None)  # the feature's own geometry holds it
    # a layer may be saved anywhere (a GeoPackage, the project): a scene whose hrefs are signed URLs
    # keeps no record, "Download scenes" fetches it again by provider + id
    scene_json = None if feature_carries_secret(record) else json.dumps(record, sort_keys=True)
    quicklook = None if scene.quicklook and url_carries_secret(scene.quicklook) else scene.quicklook
    feature.setAttributes(
        [
            scene.id,
            scene.provider,
            scene.platform,
            scene.collection,
            when,
            scene.cloud_cover,
            bool(scene.online),
            quicklook,
            ",".join(scene.assets),
            json.dumps({**provider_options, **scene.source}, sort_keys=True),
            scene_json,
        ]
    )
    return feature


def _text(feature: QgsFeature, name: str) -> Optional[str]:
    if feature.fields().indexOf(name) < 0:
        return None
    value = feature[name]
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return None
    text = str(value).strip()
    return text or None


def provider_of(feature: QgsFeature) -> tuple[str, dict[str, Any]]:
    """The registered provider name and options a footprint feature came from."""
    name = _text(feature, "provider") or ""
    if not name:
        raise UsageError("A feature has no 'provider' attribute: use a layer made by 'Search scenes'.")
    options_text = _text(feature, "provider_options")
    options: dict[str, Any] = {}
    if options_text:
        try:
            options = json.loads(options_text)
        except ValueError as exc:
            raise UsageError(f"The 'provider_options' of a {name} feature is not JSON.") from exc
        if not isinstance(options, dict):
            raise UsageError(f"The 'provider_options' of a {name} feature is not a JSON object.")
    return name, options


def scene_id_of(feature: QgsFeature) -> str:
    scene_id = _text(feature, "scene_id")
    if not scene_id:
        raise UsageError("A feature has no 'scene_id' attribute: use a layer made by 'Search scenes'.")
    return scene_id


def scene_from_feature(feature: QgsFeature) -> Optional[Scene]:
    """The scene stored in the feature's ``scene_json``, or None when the layer does not carry it."""
    text = _text(feature, "scene_json")
    if not text:
        return None
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise ProviderResponseError(f"The 'scene_json' of scene {scene_id_of(feature)} is not JSON.") from exc
    geometry = feature.geometry()
    if record.get("geometry") is None and geometry is not None and not geometry.isEmpty():
        record["geometry"] = json.loads(geometry.asJson())
    name, _options = provider_of(feature)
    return Scene.from_feature(record, provider=name)
