"""The ``$filter`` language of the CDSE OData catalogue, parsed and evaluated for the emulator.

Written from the public CDSE OData documentation (documentation.dataspace.copernicus.eu/APIs/OData):
comparisons ``eq ne gt ge lt le`` on product properties (``Name``, ``Id``, ``Collection/Name``,
``ContentDate/Start``, ``ContentDate/End``, ``PublicationDate``, ``ModificationDate``, ``OriginDate``,
``Online``, ``ContentLength``, ``S3Path``), the functions ``contains``, ``startswith``, ``endswith``
on ``Name``, ``OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((…))')`` (also ``POINT`` and
``MULTIPOLYGON``), attribute lambdas
``Attributes/OData.CSC.<Type>Attribute/any(att:att/Name eq '…' and att/OData.CSC.<Type>Attribute/Value le …)``
for the String, Double, Integer and DateTimeOffset types, ``and`` / ``or`` / ``not`` and parentheses.
Anything else raises :class:`ODataFilterError`, which the emulator answers with a 400.

A compiled filter is a predicate ``(product) -> bool`` over :class:`cdse_groundtruth.Product`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.prepared import prep

Predicate = Callable[[Any], bool]


class ODataFilterError(ValueError):
    """The ``$filter`` text is not valid for the catalogue."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<geography>geography'(?P<geo>[^']*)')
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<punct>[(),:/=])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)

_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_KEYWORDS = {"and", "or", "not", *_COMPARISONS}

#: Product properties usable in comparisons: path -> (kind, getter)
_PROPERTIES: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "Name": ("string", lambda p: p.name),
    "Id": ("string", lambda p: p.id),
    "Collection/Name": ("string", lambda p: p.collection),
    "ContentDate/Start": ("datetime", lambda p: p.start),
    "ContentDate/End": ("datetime", lambda p: p.end),
    "PublicationDate": ("datetime", lambda p: p.publication),
    "ModificationDate": ("datetime", lambda p: p.modification),
    "OriginDate": ("datetime", lambda p: p.origin),
    "Online": ("bool", lambda p: p.online),
    "ContentLength": ("number", lambda p: p.content_length),
    "S3Path": ("string", lambda p: p.s3_path),
}
_STRING_FUNCTIONS = {
    "contains": lambda value, arg: arg in value,
    "startswith": lambda value, arg: value.startswith(arg),
    "endswith": lambda value, arg: value.endswith(arg),
}
_ATTRIBUTE_TYPES = {
    "OData.CSC.StringAttribute": "String",
    "OData.CSC.DoubleAttribute": "Double",
    "OData.CSC.IntegerAttribute": "Integer",
    "OData.CSC.DateTimeOffsetAttribute": "DateTimeOffset",
}


class _Token:
    __slots__ = ("kind", "text", "value", "pos")

    def __init__(self, kind: str, text: str, value: Any, pos: int) -> None:
        self.kind, self.text, self.value, self.pos = kind, text, value, pos

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{self.kind}:{self.text}"


def parse_datetime(text: str) -> datetime:
    """An OData datetime literal (date only, or with time; ``Z`` or offset; none means UTC)."""
    value = text.replace("Z", "+00:00")
    try:
        parsed = (
            datetime.fromisoformat(value) if "T" in value else datetime.fromisoformat(value + "T00:00:00")
        )
    except ValueError as exc:
        raise ODataFilterError(f"Invalid datetime literal: {text}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ODataFilterError(f"Invalid character at position {pos}: {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        raw = match.group(0)
        if kind == "ws":
            pass
        elif kind == "geography":
            tokens.append(_Token("geography", raw, match.group("geo"), pos))
        elif kind == "string":
            tokens.append(_Token("string", raw, raw[1:-1].replace("''", "'"), pos))
        elif kind == "datetime":
            tokens.append(_Token("datetime", raw, parse_datetime(raw), pos))
        elif kind == "number":
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(_Token("number", raw, number, pos))
        elif kind == "punct":
            tokens.append(_Token("punct", raw, raw, pos))
        else:
            lowered = raw.lower()
            if lowered in ("true", "false"):
                tokens.append(_Token("bool", raw, lowered == "true", pos))
            elif raw in _KEYWORDS:
                tokens.append(_Token("keyword", raw, raw, pos))
            else:
                tokens.append(_Token("ident", raw, raw, pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    # -- token helpers ----------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> _Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def next(self) -> _Token:
        tok = self.peek()
        if tok is None:
            raise ODataFilterError("Unexpected end of filter expression")
        self.i += 1
        return tok

    def expect(self, kind: str, text: str | None = None) -> _Token:
        tok = self.next()
        if tok.kind != kind or (text is not None and tok.text != text):
            want = text or kind
            raise ODataFilterError(f"Expected {want!r} at position {tok.pos}, found {tok.text!r}")
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind and (text is None or tok.text == text)

    # -- grammar ----------------------------------------------------------------------------------
    def parse(self) -> Predicate:
        if not self.tokens:
            raise ODataFilterError("Empty filter expression")
        predicate = self.or_expr(lambda_var=None)
        if self.peek() is not None:
            tok = self.peek()
            raise ODataFilterError(f"Unexpected token {tok.text!r} at position {tok.pos}")
        return predicate

    def or_expr(self, lambda_var: str | None) -> Predicate:
        parts = [self.and_expr(lambda_var)]
        while self.at("keyword", "or"):
            self.next()
            parts.append(self.and_expr(lambda_var))
        if len(parts) == 1:
            return parts[0]
        return lambda p: any(part(p) for part in parts)

    def and_expr(self, lambda_var: str | None) -> Predicate:
        parts = [self.unary(lambda_var)]
        while self.at("keyword", "and"):
            self.next()
            parts.append(self.unary(lambda_var))
        if len(parts) == 1:
            return parts[0]
        return lambda p: all(part(p) for part in parts)

    def unary(self, lambda_var: str | None) -> Predicate:
        if self.at("keyword", "not"):
            self.next()
            inner = self.unary(lambda_var)
            return lambda p: not inner(p)
        if self.at("punct", "("):
            self.next()
            inner = self.or_expr(lambda_var)
            self.expect("punct", ")")
            return inner
        tok = self.peek()
        if tok is None:
            raise ODataFilterError("Unexpected end of filter expression")
        if tok.kind != "ident":
            raise ODataFilterError(f"Unexpected token {tok.text!r} at position {tok.pos}")
        if tok.text in _STRING_FUNCTIONS and lambda_var is None:
            return self.string_function()
        if tok.text == "OData.CSC.Intersects" and lambda_var is None:
            return self.intersects()
        path = self.path()
        if lambda_var is not None:
            return self.lambda_comparison(path, lambda_var)
        if path.startswith("Attributes/") and path.endswith("/any"):
            return self.attribute_any(path)
        return self.comparison(path)

    def path(self) -> str:
        parts = [self.expect("ident").text]
        while self.at("punct", "/"):
            self.next()
            parts.append(self.expect("ident").text)
        return "/".join(parts)

    def literal(self) -> _Token:
        tok = self.next()
        if tok.kind not in ("string", "number", "datetime", "bool"):
            raise ODataFilterError(f"Expected a literal at position {tok.pos}, found {tok.text!r}")
        return tok

    def operator(self) -> str:
        tok = self.next()
        if tok.kind != "keyword" or tok.text not in _COMPARISONS:
            raise ODataFilterError(
                f"Expected a comparison operator at position {tok.pos}, found {tok.text!r}"
            )
        return tok.text

    def comparison(self, path: str) -> Predicate:
        if path not in _PROPERTIES:
            raise ODataFilterError(f"Unknown property '{path}'")
        kind, getter = _PROPERTIES[path]
        op = self.operator()
        lit = self.literal()
        value = _coerce(kind, lit, path)
        compare = _COMPARISONS[op]
        if kind in ("string", "bool") and op not in ("eq", "ne"):
            raise ODataFilterError(f"Operator '{op}' is not supported for property '{path}'")
        return lambda p: compare(getter(p), value)

    def string_function(self) -> Predicate:
        name = self.next().text
        self.expect("punct", "(")
        path = self.path()
        if path != "Name":
            raise ODataFilterError(f"Function '{name}' is only supported on 'Name', not '{path}'")
        self.expect("punct", ",")
        arg = self.expect("string").value
        self.expect("punct", ")")
        func = _STRING_FUNCTIONS[name]
        return lambda p: func(p.name, arg)

    def intersects(self) -> Predicate:
        self.next()
        self.expect("punct", "(")
        self.expect("ident", "area")
        self.expect("punct", "=")
        geo = self.expect("geography")
        self.expect("punct", ")")
        area = _parse_geography(geo.value)
        prepared = prep(area)
        return lambda p: prepared.intersects(p.footprint)

    def attribute_any(self, path: str) -> Predicate:
        parts = path.split("/")
        if len(parts) != 3 or parts[1] not in _ATTRIBUTE_TYPES:
            raise ODataFilterError(f"Invalid attribute path '{path}'")
        value_type = _ATTRIBUTE_TYPES[parts[1]]
        self.expect("punct", "(")
        var = self.expect("ident").text
        self.expect("punct", ":")
        inner = self.or_expr(lambda_var=var)
        self.expect("punct", ")")
        return lambda p: any(inner(att) for att in p.attributes if att.value_type == value_type)

    def lambda_comparison(self, path: str, var: str) -> Predicate:
        parts = path.split("/")
        if parts[0] != var or len(parts) < 2:
            raise ODataFilterError(f"Unknown lambda variable path '{path}'")
        op = self.operator()
        lit = self.literal()
        compare = _COMPARISONS[op]
        if parts[1:] == ["Name"]:
            if lit.kind != "string" or op not in ("eq", "ne"):
                raise ODataFilterError("Attribute Name must be compared with eq/ne to a string")
            name = lit.value
            return lambda att: compare(att.name, name)
        if len(parts) == 3 and parts[1] in _ATTRIBUTE_TYPES and parts[2] == "Value":
            value_type = _ATTRIBUTE_TYPES[parts[1]]
            if value_type == "String":
                if lit.kind != "string":
                    raise ODataFilterError("StringAttribute values must be compared to a string literal")
                if op not in ("eq", "ne"):
                    raise ODataFilterError(f"Operator '{op}' is not supported for StringAttribute values")
            elif value_type in ("Double", "Integer") and lit.kind != "number":
                raise ODataFilterError(f"{value_type}Attribute values must be compared to a number")
            elif value_type == "DateTimeOffset" and lit.kind != "datetime":
                raise ODataFilterError("DateTimeOffsetAttribute values must be compared to a datetime")
            value = lit.value

            def check(att: Any) -> bool:
                try:
                    return compare(att.value, value)
                except TypeError:
                    return False

            return check
        raise ODataFilterError(f"Unknown lambda variable path '{path}'")


def _coerce(kind: str, lit: _Token, path: str) -> Any:
    if kind == "string" and lit.kind == "string":
        return lit.value
    if kind == "datetime" and lit.kind == "datetime":
        return lit.value
    if kind == "bool" and lit.kind == "bool":
        return lit.value
    if kind == "number" and lit.kind == "number":
        return lit.value
    raise ODataFilterError(f"Literal {lit.text!r} has the wrong type for property '{path}'")


def _parse_geography(text: str):
    match = re.fullmatch(r"\s*SRID=(\d+);(.*)", text, re.DOTALL)
    if not match:
        raise ODataFilterError("geography literal must start with 'SRID=4326;'")
    if match.group(1) != "4326":
        raise ODataFilterError("Coordinates must be given in EPSG 4326")
    body = match.group(2).strip()
    if not re.match(r"(?i)(POLYGON|POINT|MULTIPOLYGON)\s*\(", body):
        raise ODataFilterError(f"Unsupported geometry type in {body[:30]!r}")
    try:
        geometry = wkt.loads(body)
    except (ShapelyError, ValueError) as exc:
        raise ODataFilterError(f"Invalid WKT geometry: {exc}") from exc
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        polygons = [geometry] if geometry.geom_type == "Polygon" else list(geometry.geoms)
        if any(polygon.is_empty for polygon in polygons) or not geometry.is_valid:
            raise ODataFilterError("The geometry is invalid")
    return geometry


def compile_filter(text: str) -> Predicate:
    """Compile ``$filter`` text into a predicate over products; raises :class:`ODataFilterError`."""
    _check_closed_rings(text)
    return _Parser(text).parse()


# Shapely closes open rings silently; the service refuses them: check the text itself.
def _check_closed_rings(text: str) -> None:
    """Reject ``POLYGON`` rings whose first and last points differ (as the service documents)."""
    for geo in re.findall(r"geography'SRID=\d+;([^']*)'", text):
        for ring in re.findall(r"\(([^()]+)\)", geo):
            points = [p.strip() for p in ring.split(",")]
            if len(points) > 1 and geo.strip().upper().startswith(("POLYGON", "MULTIPOLYGON")):
                try:
                    closed = [float(v) for v in points[0].split()] == [float(v) for v in points[-1].split()]
                except ValueError as exc:
                    raise ODataFilterError(f"Invalid coordinates in {ring[:40]!r}") from exc
                if not closed:
                    raise ODataFilterError("Polygon must start and end with the same point")
