"""Writing a tiny, valid single-band GeoTIFF (EPSG:4326) with the standard library only.

Emulators serve these as product bands so GDAL (``/vsicurl/``) and QGIS can really open them.
"""

from __future__ import annotations

import struct

_SHORT, _LONG, _DOUBLE = 3, 4, 12
_SIZES = {_SHORT: 2, _LONG: 4, _DOUBLE: 8}
_FORMATS = {_SHORT: "H", _LONG: "I", _DOUBLE: "d"}


def tiny_geotiff(pixels: bytes, width: int, height: int, bbox: tuple[float, float, float, float]) -> bytes:
    """An uncompressed uint8 GeoTIFF of ``width`` x ``height`` ``pixels`` covering ``bbox`` (w, s, e, n)."""
    if len(pixels) != width * height:
        raise ValueError("pixels must hold width * height bytes")
    west, south, east, north = bbox
    entries: list[tuple[int, int, list[float]]] = [
        (256, _LONG, [width]),
        (257, _LONG, [height]),
        (258, _SHORT, [8]),
        (259, _SHORT, [1]),  # no compression
        (262, _SHORT, [1]),  # min-is-black
        (273, _LONG, [0]),  # strip offset, patched below
        (277, _SHORT, [1]),
        (278, _LONG, [height]),
        (279, _LONG, [len(pixels)]),
        (284, _SHORT, [1]),
        (339, _SHORT, [1]),  # unsigned integer samples
        (33550, _DOUBLE, [(east - west) / width, (north - south) / height, 0.0]),
        (33922, _DOUBLE, [0.0, 0.0, 0.0, west, north, 0.0]),
        # GeoKeyDirectory: version 1.1.0, 3 keys: geographic model, pixel-is-area, EPSG:4326.
        (34735, _SHORT, [1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326]),
    ]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra_offset = ifd_offset + ifd_size
    extra = bytearray()
    encoded: list[tuple[int, int, int, bytes]] = []
    for tag, kind, values in entries:
        raw = struct.pack("<" + _FORMATS[kind] * len(values), *values)
        encoded.append((tag, kind, len(values), raw))
        if len(raw) > 4:
            extra += raw
            if len(extra) % 2:
                extra += b"\0"
    data_offset = extra_offset + len(extra)
    out = bytearray(b"II*\0" + struct.pack("<I", ifd_offset))
    out += struct.pack("<H", len(encoded))
    cursor = extra_offset
    for tag, kind, count, raw in encoded:
        if tag == 273:
            raw = struct.pack("<I", data_offset)
        if len(raw) > 4:
            out += struct.pack("<HHII", tag, kind, count, cursor)
            cursor += len(raw) + (len(raw) % 2)
        else:
            out += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\0")
    out += struct.pack("<I", 0)
    out += extra
    out += pixels
    return bytes(out)
