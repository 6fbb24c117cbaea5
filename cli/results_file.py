"""Reading a search result file (GeoJSON) one feature at a time, in bounded memory.

``scene-picker search --out`` writes a FeatureCollection; a plan of 10 000 scenes should not be held
in memory as 10 000 parsed STAC items. :func:`iter_features` walks the top-level object with the
standard library's JSON decoder, yielding the members of its ``features`` array one by one (a list of
Features and a single Feature are accepted too). Malformed JSON raises ``ValueError``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator, TextIO

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")
_READ = 1 << 20


class _Reader:
    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _fill(self) -> bool:
        chunk = "" if self.eof else self.handle.read(_READ)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise ValueError(f"expected {char!r} but found {found or 'the end of the file'!r}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if not self._fill():
                    raise
                continue
            if end == len(self.buf) and self._fill():  # a number may go on in the next chunk
                continue
            self.pos = end
            return value

    def array(self) -> Iterator[Any]:
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.pos += 1
                continue
            self.take("]")
            return


def iter_features(path: Path) -> Iterator[Any]:
    """The features of a GeoJSON FeatureCollection (or list of Features, or one Feature) at ``path``."""
    with open(path, encoding="utf-8") as handle:
        reader = _Reader(handle)
        first = reader.peek()
        if first == "[":
            yield from reader.array()
            return
        reader.take("{")
        kind = None
        while reader.peek() != "}":
            key = reader.value()
            reader.take(":")
            if key == "features" and reader.peek() == "[":
                yield from reader.array()
                return
            value = reader.value()
            if key == "type":
                kind = value
            if reader.peek() == ",":
                reader.pos += 1
        if kind != "Feature":
            raise ValueError("not a GeoJSON FeatureCollection (no 'features' list)")
    with open(path, encoding="utf-8") as handle:  # a single Feature: small, read whole
        yield json.load(handle)
