"""The service layer between the faces (dock, Processing, command line) and the catalogs.

The faces build providers and search through here, never through ``providers/`` directly and never
through each other: :func:`build_provider` checks a provider's options against its spec, converts them to
the declared types and hands the provider one :class:`~scene_picker.core.network.NetworkConfig` that all
its HTTP clients receive at construction; :func:`job_options` are the options a queued job keeps to
build its provider again (text, checked against the spec, never a credential or an object);
:func:`provider_details` is the spec as text. Pure Python.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..core.errors import UsageError
from ..core.network import DIRECT, NetworkConfig
from ..providers.base import Provider
from ..providers.registry import canonical_name, get_provider, list_providers, provider_spec
from ..providers.spec import ProviderSpec, option_text, parse_option_pairs, refuse_secret_option

__all__ = [
    "DIRECT",
    "NetworkConfig",
    "ProviderSpec",
    "build_provider",
    "canonical_name",
    "job_options",
    "list_providers",
    "option_text",
    "parse_option_pairs",
    "provider_details",
    "provider_spec",
    "refuse_secret_option",
]

#: Keywords the faces pass beside the spec's options: objects, not user text (auth, retry policy...).
_OBJECT_OPTIONS = frozenset({"auth", "retry", "http", "poll", "download_retry", "username", "password"})


def build_provider(
    name: str, options: Optional[Mapping[str, Any]] = None, network: Optional[NetworkConfig] = None
) -> Provider:
    """The provider ``name`` built with ``options`` (checked against its spec and converted to the declared
    types; unknown names are a :class:`UsageError` naming the valid ones) and ``network``."""
    spec = provider_spec(name)
    given = dict(options or {})
    objects = {k: given.pop(k) for k in list(given) if k in _OBJECT_OPTIONS}
    converted = spec.convert_options(given)
    try:
        return get_provider(spec.name, network=network or DIRECT, **converted, **objects)
    except TypeError:
        if not (converted or objects):
            raise  # no option to blame: a fault of the provider itself
        raise UsageError(
            f"Provider {spec.name} takes no {', '.join(sorted({**converted, **objects}))} option."
        ) from None


def job_options(name: str, options: Optional[Mapping[str, Any]]) -> dict[str, str]:
    """The ``options`` of provider ``name`` as a queued job keeps them (its payload's ``options``, which
    :func:`build_provider` takes back when the job runs, in any process): the options its spec declares,
    checked and kept as text as given. A credential or an object (auth, HTTP client, retry or poll
    policy) is refused with a :class:`UsageError`: a job payload never holds one."""
    return provider_spec(name).kept_options(options or {})


def provider_details(name: str) -> str:
    """The spec of provider ``name`` as text (``scene-picker providers --details NAME``)."""
    spec = provider_spec(name)
    lines = [f"{spec.name}: {spec.title}"]
    if spec.aliases:
        lines.append(f"  aliases: {', '.join(spec.aliases)}")
    lines.append(f"  platforms: {', '.join(spec.platforms) or 'any'}")
    if spec.collections:
        lines.append(f"  collections: {', '.join(spec.collections)}")
    creds = spec.credentials
    lines.append(f"  credentials: {f'{creds.kind} ({creds.description})' if creds else 'none'}")
    if creds and creds.signup_url:
        lines.append(f"  sign up: {creds.signup_url}")
    if spec.rate_limits:
        windows = ", ".join(f"{count} requests / {seconds:g} s" for count, seconds in spec.rate_limits)
        lines.append(f"  rate limits: {windows}")
    if spec.max_concurrency:
        lines.append(f"  simultaneous downloads per account: {spec.max_concurrency}")
    if spec.options:
        lines.append("  options (--option NAME=VALUE):")
        lines += [f"    {option.describe()}" for option in spec.options]
    return "\n".join(lines)
