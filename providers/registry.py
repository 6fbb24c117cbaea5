"""The provider registry: which catalogs exist, what they serve, what they take and need.

Providers are discovered, not listed: the first read of the registry imports every module of the
``providers`` package and registers each :class:`Provider` subclass that declares a
:class:`~scene_picker.providers.spec.ProviderSpec` (and the spec's aliases, e.g. ``theia`` → ``geodes``).
Adding a provider is adding its module. :func:`register` remains for providers defined elsewhere (tests).
"""

from __future__ import annotations

import inspect
import pkgutil
import threading
from pathlib import Path
from typing import Any, Optional, Union

from ..core.errors import UnknownProviderError
from ..core.network import NetworkConfig
from .base import Provider
from .spec import ProviderSpec

#: What the UI and ``scene-picker providers`` show about a provider: its spec.
ProviderInfo = ProviderSpec

_registry: dict[str, type[Provider]] = {}
#: Former names -> the registered name now serving them (``theia`` -> ``geodes``); not listed.
_aliases: dict[str, str] = {}
_lock = threading.RLock()
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
        if cls.spec is not None:
            for alias in cls.spec.aliases:
                _aliases[alias.strip().lower()] = key
    return cls


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
    with _lock:
        if _loaded:
            return
        for module_info in pkgutil.iter_modules([str(Path(__file__).parent)]):
            if module_info.name.startswith("_"):
                continue
            # Through builtins.__import__ (not importlib.import_module): QGIS hooks it to track a plugin's
            # modules, and unloads exactly those; an untracked module would outlive a plugin reload.
            package = __import__("", globals(), None, [module_info.name], 1)
            module = getattr(package, module_info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, Provider)
                    and cls.__module__ == module.__name__
                    and cls.__dict__.get("spec")
                ):
                    register(cls)
        _loaded = True


def provider_class(name: str) -> type[Provider]:
    """The class registered as ``name`` (or an alias of it); UnknownProviderError naming the known ones."""
    key = canonical_name(name)
    cls = _registry.get(key)
    if cls is None:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownProviderError(f"Unknown provider {name!r}; known providers: {known}.", provider=name)
    return cls


def provider_spec(name: str) -> ProviderSpec:
    """The spec of the provider ``name`` (one built from the class attributes when it declares none)."""
    cls = provider_class(name)
    if cls.spec is not None:
        return cls.spec
    key = canonical_name(name)
    return ProviderSpec(key, cls.title or key, tuple(cls.platforms), credentials=cls.credentials)


def get_provider(
    name: Union[str, Provider], network: Optional[NetworkConfig] = None, **options: Any
) -> Provider:
    """An instance of the provider registered as ``name``, built with ``options`` (e.g. ``url=``); every
    HTTP client it makes, from its constructor on, goes out with ``network`` (proxy, retries, limits)."""
    if isinstance(name, Provider):
        return name
    cls = provider_class(name)
    provider = cls.__new__(cls)
    if network is not None:
        provider.network = network  # before __init__: clients built there already see it
    provider.__init__(**options)  # type: ignore[misc]
    return provider


def list_providers() -> list[ProviderSpec]:
    """Every registered provider's spec, sorted by name (aliases are not listed)."""
    _load_builtin()
    with _lock:
        names = sorted(_registry)
    return [provider_spec(name) for name in names]
