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


# -- named settings of the dock (defaults and types in one place) ----------------------------------
OUTPUT_DIR = "download/output_dir"
WORKERS = "download/workers"
PER_PROVIDER = "download/per_provider"
RATE_10S = "network/requests_per_10s"
RATE_MINUTE = "network/requests_per_minute"

DEFAULTS: dict[str, Any] = {
    OUTPUT_DIR: "",
    WORKERS: 3,
    PER_PROVIDER: 2,
    RATE_10S: 80,
    RATE_MINUTE: 200,
}


def named_setting(name: str) -> Any:
    """A setting listed in :data:`DEFAULTS`, with its default and the default's type."""
    default = DEFAULTS[name]
    return read_setting(name, default, type(default))


def output_dir() -> str:
    """The download folder chosen by the user, else ``~/scene_picker``."""
    import os

    return named_setting(OUTPUT_DIR) or os.path.join(os.path.expanduser("~"), "scene_picker")
