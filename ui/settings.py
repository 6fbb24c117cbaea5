"""Plugin settings: every QgsSettings key lives under one prefix, read and written here only."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsSettings

PREFIX = "scene_picker"


def settings_key(name: str) -> str:
    return f"{PREFIX}/{name}"


def read_setting(name: str, default: Any = None, type_: type | None = None) -> Any:
    settings = QgsSettings()
    if type_ is None:
        return settings.value(settings_key(name), default)
    return settings.value(settings_key(name), default, type=type_)


def write_setting(name: str, value: Any) -> None:
    QgsSettings().setValue(settings_key(name), value)
