"""Saved searches ("sync plans"): a small, human-editable TOML (or JSON) file of searches run again and again.

A plan holds one or more ``[[search]]`` tables (JSON: ``{"search": [{...}, ...]}``)::

    [[search]]
    name = "field-s2"                       # unique; default search-1, search-2…
    provider = "stac"                       # or providers = ["stac", "cdse"]
    url = "https://…/v1"                    # shorthand for options.url
    collections = ["sentinel-2-l2a"]
    aoi = "POLYGON ((…))"                   # WKT or GeoJSON text; or aoi_file = "field.geojson"
                                            # (relative to the plan; any vector file GDAL reads), or
                                            # bbox = [W, S, E, N]; aoi_crs = "EPSG:2154" when not degrees
    last = "60 days"                        # rolling window ending now (days, weeks or hours);
                                            # or start = "2024-01-01" and end = "2024-03-31"
    cloud_max = 20                          # and cloud_min
    sidecar_filters = ["incidence_angle<30"]
    sidecar_fields = { incidence_angle = "IMAGE.INCIDENCE_ANGLE" }   # optional paths
    [search.options]                        # provider options: scalars for every provider,
    stac = { url = "…" }                    # a table named after a provider for that one only
    [search.fetch]
    assets = ["B04", "B08"]                 # or members = ["*_B04_10m.jp2"] (zip members)
    clip = true                             # clip_buffer = 10 (metres), clip_mask = true

Also ``platforms``, ``limit``, ``product_type``, ``extras`` (a table), ``sidecar_asset``,
``keep_unreadable``. Unknown keys are refused (a typo must not silently widen a search). TOML is read
with :mod:`tomllib` (Python 3.11+) or the ``tomli`` package; JSON plans work on every Python.
:func:`dump_plan` writes either (the dock's *Save search…*).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Union

from .errors import UsageError
from .query import Query, format_datetime, parse_datetime
from .sidecar_filter import SidecarSpec

_SEARCH_KEYS = frozenset(
    {
        "name",
        "provider",
        "providers",
        "url",
        "options",
        "collections",
        "platforms",
        "aoi",
        "aoi_file",
        "bbox",
        "aoi_crs",
        "start",
        "end",
        "last",
        "cloud_min",
        "cloud_max",
        "limit",
        "product_type",
        "extras",
        "sidecar_filters",
        "sidecar_fields",
        "sidecar_asset",
        "keep_unreadable",
        "fetch",
    }
)
_FETCH_KEYS = frozenset({"assets", "members", "clip", "clip_buffer", "clip_mask"})
_LAST = re.compile(r"^\s*(?:last\s+)?(\d+)\s*(hours?|h|days?|d|weeks?|w)\s*$", re.IGNORECASE)
_TEXT_AOI = (".json", ".geojson", ".wkt", ".txt")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}

#: Reads a vector file (Shapefile, GeoPackage…) into (geometry, CRS); the command line passes GDAL's.
VectorReader = Callable[[Path], tuple[Any, Optional[str]]]


def parse_last(text: str) -> dt.timedelta:
    """``"60 days"`` / ``"last 2 weeks"`` / ``"36 hours"`` → a timedelta."""
    match = _LAST.match(str(text))
    if not match or int(match.group(1)) < 1:
        raise UsageError(f'Bad rolling window {text!r}: write e.g. last = "30 days" (hours, days or weeks).')
    return dt.timedelta(hours=int(match.group(1)) * _UNIT_HOURS[match.group(2)[0].lower()])


@dataclass(frozen=True)
class FetchSpec:
    """What to download of each scene: assets, zip members, and clipping to the AOI."""

    assets: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    clip: bool = False
    clip_buffer: Optional[float] = None
    clip_mask: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.assets:
            out["assets"] = list(self.assets)
        if self.members:
            out["members"] = list(self.members)
        if self.clip:
            out["clip"] = True
            if self.clip_buffer is not None:
                out["clip_buffer"] = self.clip_buffer
            if self.clip_mask:
                out["clip_mask"] = True
        return out


@dataclass(frozen=True)
class SavedSearch:
    """One search of a plan; :meth:`query` builds its :class:`Query` at a given time."""

    name: str
    providers: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    collections: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    aoi: Optional[str] = None
    aoi_file: Optional[Path] = None
    bbox: Optional[tuple[float, ...]] = None
    aoi_crs: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    last: Optional[str] = None
    cloud_min: Optional[float] = None
    cloud_max: Optional[float] = None
    limit: Optional[int] = None
    product_type: Optional[str] = None
    extras: dict[str, Any] = field(default_factory=dict)
    sidecar: SidecarSpec = field(default_factory=SidecarSpec)
    fetch: FetchSpec = field(default_factory=FetchSpec)
    #: The raw table as read (written back by :func:`dump_plan`).
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def provider_options(self, provider: str) -> dict[str, Any]:
        """Options for ``provider``: the shared scalars, overridden by its own table."""
        shared = {k: v for k, v in self.options.items() if not isinstance(v, dict)}
        own = self.options.get(provider)
        return {**shared, **(own if isinstance(own, dict) else {})}

    def window(self, now: dt.datetime) -> tuple[Optional[dt.datetime], Optional[dt.datetime]]:
        """The (start, end) searched at ``now`` (aware UTC): fixed, or the rolling ``last`` window."""
        if self.last:
            return now - parse_last(self.last), now
        return parse_datetime(self.start), parse_datetime(self.end, end=True)

    def query(self, now: dt.datetime, vector_reader: Optional[VectorReader] = None) -> Query:
        if now.tzinfo is None:
            raise UsageError("The clock of a sync must be timezone-aware.")
        start, end = self.window(now.astimezone(dt.timezone.utc))
        aoi: Any = self.aoi
        crs = self.aoi_crs
        if self.aoi_file is not None:
            if vector_reader is not None and self.aoi_file.suffix.lower() not in _TEXT_AOI:
                aoi, file_crs = vector_reader(self.aoi_file)
                crs = crs or file_crs
            else:
                aoi = self.aoi_file
        return Query.build(
            aoi=aoi,
            aoi_crs=crs,
            bbox=tuple(self.bbox) if self.bbox else None,
            start=start,
            end=end,
            cloud_min=self.cloud_min,
            cloud_max=self.cloud_max,
            platforms=self.platforms,
            collections=self.collections,
            product_type=self.product_type,
            max_results=self.limit,
            extras=self.extras,
        )


@dataclass(frozen=True)
class Plan:
    searches: tuple[SavedSearch, ...]
    path: Optional[Path] = None


# -- reading --------------------------------------------------------------------------------------------
def load_plan(path: Union[str, Path]) -> Plan:
    """Read and validate a plan file (``.json``: JSON, anything else: TOML)."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"No such plan file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read the plan {path}: {exc}") from None
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return replace(parse_plan(text, fmt, base=path.parent, where=str(path)), path=path)


def parse_plan(text: str, fmt: str = "toml", base: Optional[Path] = None, where: str = "the plan") -> Plan:
    data = _loads(text, fmt, where)
    unknown = set(data) - {"search", "version"}
    if unknown:
        raise UsageError(
            f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}; searches go in [[search]]."
        )
    tables = data.get("search")
    if isinstance(tables, dict):
        tables = [tables]
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise UsageError(f"{where} names no search: add a [[search]] table.")
    searches = [_search(table, number, base, where) for number, table in enumerate(tables, start=1)]
    names = [s.name for s in searches]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"{where}: search names must be unique ({', '.join(duplicates)} repeated).")
    return Plan(tuple(searches))


def _loads(text: str, fmt: str, where: str) -> dict[str, Any]:
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{where} is not valid JSON: {exc}") from None
    else:
        toml = _toml_module()
        try:
            data = toml.loads(text)
        except toml.TOMLDecodeError as exc:
            raise UsageError(f"{where} is not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where} must hold a table (object) of searches.")
    return data


def _toml_module() -> Any:
    try:
        import tomllib  # Python 3.11+

        return tomllib
    except ImportError:
        pass
    try:
        import tomli

        return tomli
    except ImportError:
        raise UsageError(
            "Reading a TOML plan needs Python 3.11+ or the package tomli (pip install tomli); "
            "or write the plan as JSON (a .json file with the same keys)."
        ) from None


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of strings.")
    return tuple(v.strip() for v in value if v.strip())


def _number(value: Any, key: str, where: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{where}: {key} must be a number, not {value!r}.")
    return float(value)


def _search(table: dict[str, Any], number: int, base: Optional[Path], where: str) -> SavedSearch:
    name = table.get("name", f"search-{number}")
    here = f"{where}, search {name!r}"
    unknown = set(table) - _SEARCH_KEYS
    if unknown:
        raise UsageError(f"{here}: unknown key(s) {', '.join(sorted(unknown))}.")
    if not isinstance(name, str) or not name.strip():
        raise UsageError(f"{where}: search {number} has an empty or non-text name.")
    if "provider" in table and "providers" in table:
        raise UsageError(f"{here}: give provider or providers, not both.")
    providers = _strings(table.get("providers", table.get("provider")), "provider(s)", here)
    if not providers:
        raise UsageError(f'{here}: name its provider (provider = "stac").')
    options = table.get("options") or {}
    if not isinstance(options, dict):
        raise UsageError(f"{here}: options must be a table.")
    options = dict(options)
    if "url" in table:
        options["url"] = str(table["url"])
    if sum(k in table for k in ("aoi", "aoi_file", "bbox")) > 1:
        raise UsageError(f"{here}: give one of aoi, aoi_file and bbox.")
    aoi_file = None
    if table.get("aoi_file"):
        aoi_file = Path(str(table["aoi_file"])).expanduser()
        if not aoi_file.is_absolute() and base is not None:
            aoi_file = base / aoi_file
        if not aoi_file.is_file():
            raise UsageError(f"{here}: the AOI file {aoi_file} does not exist.")
    aoi = table.get("aoi")
    if isinstance(aoi, dict):
        aoi = json.dumps(aoi)
    bbox = table.get("bbox")
    if bbox is not None and (not isinstance(bbox, list) or len(bbox) != 4):
        raise UsageError(f"{here}: bbox must be [W, S, E, N].")
    if table.get("last") and (table.get("start") or table.get("end")):
        raise UsageError(f"{here}: a rolling window (last) takes no start or end.")
    if table.get("last"):
        parse_last(str(table["last"]))
    limit = table.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        raise UsageError(f"{here}: limit must be a whole number.")
    extras = table.get("extras") or {}
    if not isinstance(extras, dict):
        raise UsageError(f"{here}: extras must be a table.")
    fields = table.get("sidecar_fields") or {}
    if not isinstance(fields, dict):
        raise UsageError(f'{here}: sidecar_fields must be a table of NAME = "path".')
    search = SavedSearch(
        name=name.strip(),
        providers=providers,
        options=options,
        collections=_strings(table.get("collections"), "collections", here),
        platforms=_strings(table.get("platforms"), "platforms", here),
        aoi=str(aoi) if aoi is not None else None,
        aoi_file=aoi_file,
        bbox=tuple(float(v) for v in bbox) if bbox else None,
        aoi_crs=str(table["aoi_crs"]) if table.get("aoi_crs") else None,
        start=_date_text(table.get("start")),
        end=_date_text(table.get("end")),
        last=str(table["last"]) if table.get("last") else None,
        cloud_min=_number(table.get("cloud_min"), "cloud_min", here),
        cloud_max=_number(table.get("cloud_max"), "cloud_max", here),
        limit=limit,
        product_type=str(table["product_type"]) if table.get("product_type") else None,
        extras=dict(extras),
        sidecar=SidecarSpec.build(
            _strings(table.get("sidecar_filters"), "sidecar_filters", here),
            fields,
            table.get("sidecar_asset"),
            bool(table.get("keep_unreadable", False)),
        ),
        fetch=_fetch(table.get("fetch") or {}, here),
        raw=dict(table),
    )
    try:  # dates, clouds and the AOI are checked now, not at the first cron run
        search.query(dt.datetime.now(dt.timezone.utc), vector_reader=lambda _path: (None, None))
    except UsageError as exc:
        raise UsageError(f"{here}: {exc}") from None
    return search


def _date_text(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):  # a TOML date-time
        return format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
    if isinstance(value, dt.date):  # a TOML local date
        return value.isoformat()
    return str(value)


def _fetch(table: Any, here: str) -> FetchSpec:
    if not isinstance(table, dict):
        raise UsageError(f"{here}: fetch must be a table.")
    unknown = set(table) - _FETCH_KEYS
    if unknown:
        raise UsageError(f"{here}: unknown fetch key(s) {', '.join(sorted(unknown))}.")
    buffer = _number(table.get("clip_buffer"), "clip_buffer", here)
    clip = bool(table.get("clip", False))
    if not clip and (buffer is not None or table.get("clip_mask")):
        raise UsageError(f"{here}: clip_buffer and clip_mask need clip = true.")
    if buffer is not None and buffer < 0:
        raise UsageError(f"{here}: clip_buffer must be at least 0 metres.")
    return FetchSpec(
        assets=_strings(table.get("assets"), "assets", here),
        members=_strings(table.get("members"), "members", here),
        clip=clip,
        clip_buffer=buffer,
        clip_mask=bool(table.get("clip_mask", False)),
    )


# -- writing --------------------------------------------------------------------------------------------
def dump_plan(searches: list[dict[str, Any]], path: Union[str, Path]) -> Path:
    """Write search tables (the keys of the format above) as a plan file (``.json`` or TOML), after
    checking they read back as a valid plan."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    text = plan_text(searches, fmt)
    parse_plan(text, fmt, base=path.parent, where=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def plan_text(searches: list[dict[str, Any]], fmt: str = "toml") -> str:
    if fmt == "json":
        return json.dumps({"version": 1, "search": searches}, indent=2, ensure_ascii=False) + "\n"
    lines = ["# Scene Picker saved search (scene-picker sync PLAN --out DIR)", "version = 1"]
    for table in searches:
        lines += ["", "[[search]]"]
        nested = {k: v for k, v in table.items() if isinstance(v, dict) and k in ("options", "fetch")}
        lines += [
            f"{_toml_key(k)} = {_toml_value(v)}"
            for k, v in table.items()
            if k not in nested and v is not None
        ]
        for key, sub in nested.items():
            if sub:
                lines += [f"[search.{key}]"]
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sub.items() if v is not None]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise UsageError(f"Cannot write {value!r} in a plan.")
