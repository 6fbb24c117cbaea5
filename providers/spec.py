"""What a provider declares about itself, as data: :class:`ProviderSpec` and its typed :class:`OptionSpec`.

The command line (``--option NAME=VALUE``, ``scene-picker providers --details NAME``), the dock's
settings dialog and the registry all read a provider's spec; nothing keeps a second list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..core.errors import UsageError
from ..core.platforms import canonical_platform
from ..core.redact import SECRET_OPTION_NAMES, url_carries_secret


@dataclass(frozen=True)
class CredentialSpec:
    """What a provider needs to log in: ``kind`` is "password", "api_key" or "token"."""

    kind: str
    description: str
    #: Where the user gets an account or key.
    signup_url: Optional[str] = None
    #: A "password" provider that also takes an access token instead (stored with an empty user name;
    #: ``scene-picker login NAME --token``).
    accepts_token: bool = False


#: Option types a spec may declare, and how a text value becomes one.
OPTION_TYPES = ("str", "url", "int", "float", "bool", "list")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def option_text(value: Any) -> str:
    """An option's value as the text a user writes (``true``, ``a,b``, ``50``; ``""`` for none)."""
    if value in (None, ""):
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def refuse_secret_option(name: str, value: Any) -> None:
    """UsageError when option ``name`` is a credential's name or its value a URL carrying a credential."""
    if name.lower() in SECRET_OPTION_NAMES:
        raise UsageError(
            f"'{name}' is a credential: store it in the keyring (the account fields, or scene-picker "
            "login), not as an option."
        )
    if isinstance(value, str) and url_carries_secret(value):
        raise UsageError(
            f"The value of option '{name}' holds a credential; remove it (the keyring holds those)."
        )


@dataclass(frozen=True)
class OptionSpec:
    """One provider option: its keyword, type, default and help (``choices`` limits a str)."""

    name: str
    type: str = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    #: A credential given at run time: never kept in the settings, a queued job or a result file.
    secret: bool = False

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(f"Option {self.name}: unknown type {self.type!r}.")

    def convert(self, value: Any) -> Any:
        """``value`` (text from a command line or the settings, or already typed) as this option's type."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            if self.type == "int":
                return int(text)
            if self.type == "float":
                return float(text)
        except ValueError:
            raise UsageError(
                f"Option {self.name} takes a{'n' * (self.type == 'int')} {self.type}: {value!r}."
            ) from None
        if self.type == "bool":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise UsageError(f"Option {self.name} takes true or false: {value!r}.")
        if self.type == "list":
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if self.choices and text not in self.choices:
            raise UsageError(f"Option {self.name} takes one of {', '.join(self.choices)}: {value!r}.")
        return text

    def describe(self) -> str:
        """``NAME (TYPE, default X): help`` for usage texts."""
        kind = "|".join(self.choices) if self.choices else self.type
        default = "" if self.default in (None, "", ()) else f", default {self.default}"
        return f"{self.name} ({kind}{default}): {self.help}".rstrip(": ")


@dataclass(frozen=True)
class ProviderSpec:
    """A provider's self-description: identity, coverage, endpoints, options, credentials and limits."""

    name: str
    title: str
    #: Platforms it serves, in the canonical spelling (``landsat-8``); empty when any (generic STAC).
    platforms: tuple[str, ...] = ()
    #: Collection ids it serves by default (empty: whatever the catalog lists).
    collections: tuple[str, ...] = ()
    #: Options a user may set (endpoints are the options of type ``url``).
    options: tuple[OptionSpec, ...] = ()
    credentials: Optional[CredentialSpec] = None
    #: Request windows the service allows: ``(requests, seconds)`` pairs.
    rate_limits: tuple[tuple[int, float], ...] = ()
    #: Simultaneous downloads the service allows per account (None: no stated cap).
    max_concurrency: Optional[int] = None
    #: Former names that still build this provider (``theia`` → ``geodes``).
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "platforms", tuple(canonical_platform(p) for p in self.platforms))

    def option(self, name: str) -> OptionSpec:
        """The option called ``name``; a :class:`UsageError` naming the valid ones when unknown."""
        for option in self.options:
            if option.name == name:
                return option
        valid = ", ".join(o.name for o in self.options) or "none"
        raise UsageError(f"Provider {self.name} has no option {name!r}; valid options: {valid}.")

    def convert_options(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` checked against the spec and converted to the declared types."""
        return {key: self.option(key).convert(value) for key, value in values.items()}

    def kept_options(self, values: Mapping[str, Any]) -> dict[str, str]:
        """``values`` as a queued job keeps them: declared options only, checked against the spec and
        kept as text (``convert_options`` takes them back). A credential (a secret option, a credential's
        name, a URL carrying one) or a value that is no text, number or list (an object) is refused."""
        kept = {}
        for key, value in values.items():
            refuse_secret_option(key, value)
            option = self.option(key)
            if option.secret:
                raise UsageError(f"Option {key} of {self.name} is a credential: it is never queued.")
            if not isinstance(value, (str, int, float, bool, tuple, list)):
                raise UsageError(f"Option {key} of {self.name} takes text, not {type(value).__name__}.")
            text = option_text(value)
            option.convert(text)
            kept[key] = text
        return kept


def parse_option_pairs(pairs: Any) -> dict[str, str]:
    """``["NAME=VALUE", …]`` (command-line ``--option``) as a mapping; UsageError on a pair without ``=``."""
    options: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = str(pair).partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--option takes NAME=VALUE, got {pair!r}.")
        options[name.strip()] = value.strip()
    return options
