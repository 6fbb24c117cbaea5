"""The byte layout of a (Big)TIFF read through byte ranges: which bytes a window of pixels needs.

:func:`read_layout` walks the IFD chain of a TIFF through a ``fetch(start, end) -> bytes`` callable
(ranges relative to the start of the TIFF, e.g. of a member stored in a zip), collecting every
structural byte GDAL reads when it opens the file: the header, each IFD and every out-of-line tag
value (tile/strip offset arrays, GeoTIFF keys, JPEG tables, GDAL metadata). :meth:`TiffLayout.ranges_for`
then lists the byte ranges of the tiles or strips of the full-resolution image that a pixel window
touches (each widened by 4 bytes on both sides: GDAL's COG block leader and trailer). Pure Python.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable

from .errors import ScenePickerError

Fetch = Callable[[int, int], bytes]

#: What GDAL reads first when it opens a remote TIFF: usually the whole header of a COG.
HEADER_BYTES = 16 * 1024
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_TYPE_SIZES.update({16: 8, 17: 8, 18: 8})
_TYPE_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I", 16: "Q", 17: "q", 18: "Q"}
_WIDTH, _HEIGHT, _SAMPLES, _PLANAR = 256, 257, 277, 284
_STRIP_OFFSETS, _ROWS_PER_STRIP, _STRIP_COUNTS = 273, 278, 279
_TILE_WIDTH, _TILE_HEIGHT, _TILE_OFFSETS, _TILE_COUNTS = 322, 323, 324, 325
_MAX_IFDS = 1000
#: Bytes read on each side of a block: GDAL's COG layout has a 4-byte size before each tile and
#: repeats its last 4 bytes after it (BLOCK_LEADER / BLOCK_TRAILER).
BLOCK_MARGIN = 4


class NotRandomAccessError(ScenePickerError):
    """The file is not a TIFF whose pixels can be read by ranges (another format, or corrupt)."""


@dataclass
class TiffLayout:
    """The structure of a TIFF: its structural byte ranges and its first image's blocks."""

    size: int
    width: int
    height: int
    block_width: int
    block_height: int
    tiled: bool
    bands_in_planes: int  # 1 when pixel-interleaved, else the samples per pixel (planar separate)
    offsets: list[int]
    counts: list[int]
    structure: list[tuple[int, int]] = field(default_factory=list)
    #: Every byte read to learn the layout, as ``(offset, data)``: the structure GDAL reads on opening.
    spans: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def structure_bytes(self) -> int:
        return sum(end - start for start, end in merge_ranges(self.structure, 0))

    def blocks_for(self, xoff: int, yoff: int, xsize: int, ysize: int) -> list[int]:
        """Indexes of the blocks (tiles or strips) of every plane that the pixel window touches."""
        across = -(-self.width // self.block_width)
        down = -(-self.height // self.block_height)
        cols = range(xoff // self.block_width, min(across, -(-(xoff + xsize) // self.block_width)))
        rows = range(yoff // self.block_height, min(down, -(-(yoff + ysize) // self.block_height)))
        per_plane = across * down
        return [
            plane * per_plane + row * across + col
            for plane in range(self.bands_in_planes)
            for row in rows
            for col in cols
        ]

    def ranges_for(self, xoff: int, yoff: int, xsize: int, ysize: int) -> list[tuple[int, int]]:
        """The byte ranges ``[start, end)`` of the blocks of the window (empty blocks left out)."""
        ranges = []
        for index in self.blocks_for(xoff, yoff, xsize, ysize):
            if index >= len(self.offsets) or index >= len(self.counts):
                raise NotRandomAccessError(f"block {index} is missing from the TIFF's offset table")
            offset, count = self.offsets[index], self.counts[index]
            if offset and count:
                start, end = max(0, offset - BLOCK_MARGIN), min(self.size, offset + count + BLOCK_MARGIN)
                if offset + count > self.size:
                    raise NotRandomAccessError(f"block {index} ends beyond the end of the file")
                ranges.append((start, end))
        return ranges


def merge_ranges(ranges: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Sorted ranges with overlapping ones, and ones at most ``gap`` bytes apart, joined."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


class _Bytes:
    """The bytes fetched so far (a few spans), fetching what is missing on demand."""

    def __init__(self, fetch: Fetch, size: int, first: bytes) -> None:
        self.fetch = fetch
        self.size = size
        self.spans: list[tuple[int, bytes]] = [(0, first)]

    def get(self, start: int, length: int) -> bytes:
        if start < 0 or start + length > self.size:
            raise NotRandomAccessError(f"TIFF structure points outside the file (offset {start})")
        for origin, data in self.spans:
            if origin <= start and start + length <= origin + len(data):
                return data[start - origin : start - origin + length]
        data = self.fetch(start, start + length)
        if len(data) != length:
            raise NotRandomAccessError(f"short read of the TIFF structure at offset {start}")
        self.spans.append((start, data))
        return data


def read_layout(fetch: Fetch, size: int, first: bytes) -> TiffLayout:
    """The layout of the TIFF of ``size`` bytes whose first bytes are ``first`` (see the module doc)."""
    if len(first) < 16:
        raise NotRandomAccessError("too short to be a TIFF")
    order = {b"II": "<", b"MM": ">"}.get(first[:2])
    if order is None:
        raise NotRandomAccessError("not a TIFF (no II/MM byte-order mark)")
    magic = struct.unpack(order + "H", first[2:4])[0]
    if magic == 42:
        big, ifd = False, struct.unpack(order + "I", first[4:8])[0]
    elif magic == 43:
        big, ifd = True, struct.unpack(order + "Q", first[8:16])[0]
    else:
        raise NotRandomAccessError("not a TIFF (bad magic number)")
    data = _Bytes(fetch, size, first)
    structure = [(0, 16 if big else 8)]
    images: list[dict[int, list]] = []
    seen: set[int] = set()
    while ifd and len(images) < _MAX_IFDS:
        if ifd in seen:
            raise NotRandomAccessError("the TIFF's IFD chain loops")
        seen.add(ifd)
        tags, next_ifd = _read_ifd(data, order, big, ifd, structure)
        images.append(tags)
        ifd = next_ifd
    if not images:
        raise NotRandomAccessError("the TIFF has no image")
    layout = _layout(images[0], size, structure)
    layout.spans = data.spans
    return layout


def _read_ifd(
    data: _Bytes, order: str, big: bool, ifd: int, structure: list[tuple[int, int]]
) -> tuple[dict[int, list], int]:
    count_size, entry_size, pointer = (8, 20, "Q") if big else (2, 12, "I")
    count = struct.unpack(order + ("Q" if big else "H"), data.get(ifd, count_size))[0]
    if count > 4096:
        raise NotRandomAccessError("implausible TIFF directory")
    length = count_size + count * entry_size + (8 if big else 4)
    raw = data.get(ifd, length)
    structure.append((ifd, ifd + length))
    tags: dict[int, list] = {}
    inline = 8 if big else 4
    for index in range(count):
        entry = raw[count_size + index * entry_size : count_size + (index + 1) * entry_size]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        number = struct.unpack(order + ("Q" if big else "I"), entry[4 : 4 + (8 if big else 4)])[0]
        value = entry[4 + (8 if big else 4) :]
        total = _TYPE_SIZES.get(kind, 1) * number
        if total > inline:
            offset = struct.unpack(order + pointer, value)[0]
            structure.append((offset, offset + total))
            if tag in (_TILE_OFFSETS, _TILE_COUNTS, _STRIP_OFFSETS, _STRIP_COUNTS) or tag in _SCALAR_TAGS:
                value = data.get(offset, total)
            else:
                data.get(offset, total)  # GDAL reads it when opening: fetched, not decoded
                continue
        if kind in _TYPE_FORMATS and tag in _WANTED_TAGS:
            fmt = order + _TYPE_FORMATS[kind] * number
            tags[tag] = list(struct.unpack(fmt, value[: struct.calcsize(fmt)]))
    next_ifd = struct.unpack(order + pointer, raw[length - (8 if big else 4) :])[0]
    return tags, next_ifd


_SCALAR_TAGS = (_WIDTH, _HEIGHT, _SAMPLES, _PLANAR, _ROWS_PER_STRIP, _TILE_WIDTH, _TILE_HEIGHT)
_WANTED_TAGS = frozenset(_SCALAR_TAGS + (_TILE_OFFSETS, _TILE_COUNTS, _STRIP_OFFSETS, _STRIP_COUNTS))


def _layout(tags: dict[int, list], size: int, structure: list[tuple[int, int]]) -> TiffLayout:
    try:
        width, height = tags[_WIDTH][0], tags[_HEIGHT][0]
    except (KeyError, IndexError):
        raise NotRandomAccessError("the TIFF's first image has no size") from None
    samples = (tags.get(_SAMPLES) or [1])[0]
    planes = samples if (tags.get(_PLANAR) or [1])[0] == 2 else 1
    if _TILE_OFFSETS in tags:
        tiled = True
        block_w, block_h = (tags.get(_TILE_WIDTH) or [0])[0], (tags.get(_TILE_HEIGHT) or [0])[0]
        offsets, counts = tags[_TILE_OFFSETS], tags.get(_TILE_COUNTS) or []
    elif _STRIP_OFFSETS in tags:
        tiled = False
        block_w, block_h = width, min(height, (tags.get(_ROWS_PER_STRIP) or [height])[0])
        offsets, counts = tags[_STRIP_OFFSETS], tags.get(_STRIP_COUNTS) or []
    else:
        raise NotRandomAccessError("the TIFF's first image has neither tiles nor strips")
    if block_w <= 0 or block_h <= 0:
        raise NotRandomAccessError("the TIFF's blocks have no size")
    return TiffLayout(size, width, height, block_w, block_h, tiled, planes, offsets, counts, structure)
