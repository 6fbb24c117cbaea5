"""The provider registry: which catalogs exist, what they serve, what credentials they need.

Provider modules call :func:`register` at import time; the modules named in :data:`PROVIDER_MODULES`
are imported the first time the registry is read, so ``get_provider("stac", url=...)`` works without
importing anything else first. To add a provider, append its module name to :data:`PROVIDER_MODULES`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Optional, Union

from ..core.errors import UnknownProviderError
from .base import CredentialSpec, Provider

#: Modules under ``providers/`` that register a provider when imported.
PROVIDER_MODULES: tuple[str, ...] = (
    "stac",
    "stac_static",
    "geodes",
    "terrascope",
    "cmr",
    "usgs",
    "planet",
    "cdse",
)


@dataclass(frozen=True)
class ProviderInfo:
    """What the UI and ``scene-picker providers`` show about a provider."""

    name: str
    title: str
    platforms: tuple[str, ...]
    credentials: Optional[CredentialSpec]


_registry: dict[str, type[Provider]] = {}
#: Former names -> the registered name now serving them (``theia`` -> ``geodes``); not listed.
_aliases: dict[str, str] = {}
_lock = threading.Lock()
_loaded = False


def register(cls: type[Provider], name: Optional[str] = None) -> type[Provider]:
    """Register a :class:`Provider` subclass under ``name`` (default ``cls.name``); usable as decorator."""
    key = (name or cls.name or "").strip().lower()
    if not key:
        raise ValueError(f"{cls.__name__} has no provider name.")
    with _lock:
        existing = _registry.get(key)
        if existing is not None and existing is not cls:
            raise ValueError(f"Provider name {key!r} is already taken by {existing.__name__}.")
        _registry[key] = cls
    return cls


def register_alias(alias: str, target: str) -> None:
    """Make ``alias`` (e.g. a retired provider's name) build the provider registered as ``target``."""
    with _lock:
        _aliases[alias.strip().lower()] = target.strip().lower()


def canonical_name(name: str) -> str:
    """The registered name ``name`` designates (itself, or the target of an alias)."""
    _load_builtin()
    key = name.strip().lower()
    return _aliases.get(key, key)


def unregister(name: str) -> None:
    """Remove a registration (tests registering throw-away providers use it)."""
    with _lock:
        _registry.pop(name.strip().lower(), None)


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    for module in PROVIDER_MODULES:
        # Through builtins.__import__ (not importlib.import_module): QGIS hooks it to track a plugin's
        # modules, and unloads exactly those; an untracked module would outlive a plugin reload.
        # (``from . import module``: records both this package and the module.)
        __import__("", globals(), None, [module], 1)
    _loaded = True


def get_provider(name: Union[str, Provider], **options: Any) -> Provider:
    """An instance of the provider registered as ``name``, built with ``options`` (e.g. ``url=``)."""
    if isinstance(name, Provider):
        return name
    key = canonical_name(name)
    cls = _registry.get(key)
    if cls is None:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownProviderError(f"Unknown provider {name!r}; known providers: {known}.", provider=name)
    return cls(**options)


def list_providers() -> list[ProviderInfo]:
    """Every registered provider, sorted by name (aliases are not listed)."""
    _load_builtin()
    with _lock:
        items = sorted(_registry.items())
    return [ProviderInfo(key, cls.title or key, tuple(cls.platforms), cls.credentials) for key, cls in items]
