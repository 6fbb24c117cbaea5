"""Side-car filters: keep the scenes whose metadata label holds a passing value (``incidence_angle<30``).

A filter is ``NAME OP VALUE`` (OP one of ``< <= > >= = == !=``) or a range ``LOW <= NAME < HIGH``. VALUE
is a number (the label's value is then read as a number) or text (compared as text; quotes optional).
NAME is looked up in each scene's metadata asset (:mod:`scene_picker.core.sidecar`: JSON, XML, PVL)
at the path given for it in ``fields`` (``{"incidence_angle": "IMAGE.INCIDENCE_ANGLE"}``), else
anywhere in the label (first key or element of that name, case ignored).

:func:`apply_filters` reads the labels through the bounded concurrent fetcher
(:func:`~scene_picker.core.sidecar.iter_with_sidecars`), lazily and in order, and yields the scenes
that pass. A scene whose label cannot be fetched or parsed, or lacks the value, is not silently
dropped: it is listed in the :class:`SidecarReport` with the reason (and yielded anyway when
``keep_unreadable``). The values read stay on the scenes (``scene.properties[NAME]``) and the names
read are listed in the property :data:`FIELDS_KEY`, from which exports and the dock's table make columns.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

from .errors import UsageError
from .scene import Scene
from .sidecar import ANYWHERE, ERRORS_KEY, SidecarField, iter_with_sidecars

if TYPE_CHECKING:  # pragma: no cover
    from .cancel import CancelToken
    from .http import HttpClient

#: The scene property listing the side-car values read for it (exports make one column per name).
FIELDS_KEY = "scene_picker:sidecar"

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "==": "==", "!=": "!="}
_OP = r"(<=|>=|==|!=|<|>|=)"
_NAME = r"([A-Za-z_][A-Za-z0-9_:-]*)"
_VALUE = r"""("[^"]*"|'[^']*'|[^<>=!]+?)"""
_SIMPLE = re.compile(rf"^\s*{_NAME}\s*{_OP}\s*{_VALUE}\s*$")
_RANGE = re.compile(rf"^\s*{_VALUE}\s*(<=|<)\s*{_NAME}\s*(<=|<)\s*{_VALUE}\s*$")

Number = Union[float, str]


@dataclass(frozen=True)
class Condition:
    op: str
    value: Number

    def test(self, actual: Any) -> bool:
        if isinstance(self.value, float):
            return bool(_OPS[self.op](float(actual), self.value))
        return bool(_OPS[self.op](str(actual), self.value))


@dataclass(frozen=True)
class SidecarFilter:
    """One parsed filter: the value ``name`` must satisfy every condition."""

    text: str
    name: str
    conditions: tuple[Condition, ...]

    @property
    def numeric(self) -> bool:
        return all(isinstance(c.value, float) for c in self.conditions)

    def passes(self, value: Any) -> bool:
        return value is not None and all(c.test(value) for c in self.conditions)


def _value(text: str) -> Number:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        return text


def parse_filter(text: str) -> SidecarFilter:
    """``'incidence_angle<30'`` or ``'10 <= incidence_angle < 30'`` → a :class:`SidecarFilter`."""
    match = _RANGE.match(text)
    if match:
        low, low_op, name, high_op, high = match.groups()
        conditions = (Condition(_FLIP[low_op], _value(low)), Condition(high_op, _value(high)))
    else:
        match = _SIMPLE.match(text or "")
        if not match:
            raise UsageError(
                f"Bad side-car filter {text!r}: write NAME OP VALUE (OP one of < <= > >= = !=), e.g. "
                "'incidence_angle<30', or a range such as '10<=incidence_angle<30'."
            )
        name, op, value = match.groups()
        conditions = (Condition(op, _value(value)),)
    if any(c.op not in ("=", "==", "!=") and not isinstance(c.value, float) for c in conditions):
        raise UsageError(f"Bad side-car filter {text!r}: < and > need a number.")
    return SidecarFilter(text.strip(), name, conditions)


def parse_field(text: str) -> tuple[str, str]:
    """``'NAME=PATH'`` (``--sidecar-field``) → ``(name, path)``."""
    name, sep, path = (text or "").partition("=")
    if not sep or not re.fullmatch(_NAME, name.strip()) or not path.strip():
        raise UsageError(
            f"Bad side-car field {text!r}: write NAME=PATH, e.g. incidence_angle=IMAGE.INCIDENCE_ANGLE."
        )
    return name.strip(), path.strip()


@dataclass
class SidecarReport:
    """What a filtering pass saw: counts, and the scenes whose label gave no value (with why)."""

    columns: list[str] = field(default_factory=list)
    read: int = 0
    passed: int = 0
    rejected: int = 0
    unreadable: list[tuple[Scene, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"side-car labels: {self.read} read, {self.passed} passed, {self.rejected} filtered out, "
            f"{len(self.unreadable)} unreadable"
        )


def fields_for(
    filters: Sequence[SidecarFilter], paths: Optional[Mapping[str, str]] = None, asset: Optional[str] = None
) -> list[SidecarField]:
    """One :class:`SidecarField` per filtered name (and per extra name of ``paths``, read as columns)."""
    paths = dict(paths or {})
    numeric: dict[str, bool] = {}
    for item in filters:
        numeric[item.name] = numeric.get(item.name, True) and item.numeric
    for name in paths:
        numeric.setdefault(name, False)
    return [
        SidecarField(name, paths.get(name) or ANYWHERE + name, asset=asset, convert=float if num else None)
        for name, num in numeric.items()
    ]


def apply_filters(
    scenes: Iterable[Scene],
    filters: Sequence[SidecarFilter],
    *,
    paths: Optional[Mapping[str, str]] = None,
    asset: Optional[str] = None,
    http: Optional[HttpClient] = None,
    workers: int = 8,
    cancel: Optional[CancelToken] = None,
    progress: Optional[Callable[[int], None]] = None,
    keep_unreadable: bool = False,
    report: Optional[SidecarReport] = None,
) -> Iterator[Scene]:
    """Yield the scenes passing every filter, reading labels ``workers`` at a time (see module doc).

    ``progress(n)`` is called after each label read (n labels so far). ``paths`` may name values to
    read as columns without filtering on them.
    """
    report = report if report is not None else SidecarReport()
    fields = fields_for(filters, paths, asset)
    report.columns = [f.name for f in fields]
    if not fields:
        yield from scenes
        return
    for scene in iter_with_sidecars(scenes, fields, http, workers=workers, cancel=cancel):
        report.read += 1
        if progress is not None:
            progress(report.read)
        scene.properties[FIELDS_KEY] = list(report.columns)
        errors = scene.properties.get(ERRORS_KEY) or {}
        reasons = [f"{name}: {errors[name]}" for name in (f.name for f in filters) if name in errors]
        if reasons:
            report.unreadable.append((scene, "; ".join(reasons)))
            if keep_unreadable:
                yield scene
            continue
        try:
            ok = all(f.passes(scene.properties.get(f.name)) for f in filters)
        except (TypeError, ValueError) as exc:  # a text value against a number
            report.unreadable.append((scene, f"cannot compare: {exc}"))
            if keep_unreadable:
                yield scene
            continue
        if ok:
            report.passed += 1
            yield scene
        else:
            report.rejected += 1


def sidecar_columns(scenes: Iterable[Scene]) -> list[str]:
    """The side-car value names recorded on ``scenes`` (:data:`FIELDS_KEY`), in first-seen order."""
    names: list[str] = []
    for scene in scenes:
        for name in scene.properties.get(FIELDS_KEY) or ():
            if isinstance(name, str) and name not in names:
                names.append(name)
    return names


@dataclass(frozen=True)
class SidecarSpec:
    """The side-car part of a search: filters, explicit paths per name, the asset key, what to do with
    unreadable labels. Built from the command line or a saved search by :meth:`build`."""

    filters: tuple[SidecarFilter, ...] = ()
    paths: tuple[tuple[str, str], ...] = ()
    asset: Optional[str] = None
    keep_unreadable: bool = False

    @classmethod
    def build(
        cls,
        filters: Iterable[str] = (),
        paths: Union[Mapping[str, str], Iterable[str], None] = None,
        asset: Optional[str] = None,
        keep_unreadable: bool = False,
    ) -> SidecarSpec:
        """``filters`` as text; ``paths`` a mapping or ``NAME=PATH`` texts."""
        if isinstance(paths, Mapping):
            pairs = [(str(k), str(v)) for k, v in paths.items()]
        else:
            pairs = [parse_field(text) for text in paths or ()]
        return cls(
            tuple(parse_filter(t) for t in filters), tuple(pairs), asset or None, bool(keep_unreadable)
        )

    @property
    def active(self) -> bool:
        return bool(self.filters or self.paths)

    def apply(self, scenes: Iterable[Scene], **kwargs: Any) -> Iterator[Scene]:
        """:func:`apply_filters` with this spec (``kwargs``: http, workers, cancel, progress, report)."""
        return apply_filters(
            scenes,
            self.filters,
            paths=dict(self.paths),
            asset=self.asset,
            keep_unreadable=self.keep_unreadable,
            **kwargs,
        )
