"""Deterministic zip archives for the remote-zip tests and bench.

Two writers:
- the standard library's :class:`zipfile.ZipFile`, for the ordinary archives (what real tools make):
  :func:`make_bands_archive` (a Sentinel-2-like product: stored, deflate, bzip2 and lzma members),
  :func:`make_descriptor_archive` (written to an unseekable stream, so every member has a data
  descriptor) and :func:`make_comment_archive`;
- :func:`build_zip`, a small hand-written writer for what zipfile will not produce on purpose: ZIP64
  records and extra fields on a small archive, lying sizes, overlapping entries, symlinks, zip-slip names.

Everything is seeded: the same call gives the same bytes.
"""

from __future__ import annotations

import bz2
import io
import lzma
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

PRODUCT = "S2B_MSIL2A_20240101T103421_N0510_R108_T31TCJ_20240101T124512.SAFE"
GRANULE = f"{PRODUCT}/GRANULE/L2A_T31TCJ_A035741_20240101T103421/IMG_DATA"
DATE_TIME = (2024, 1, 1, 10, 34, 20)
_SIX_BITS = bytes(i & 0x3F for i in range(256))


def band_bytes(seed: int, size: int) -> bytes:
    """Pseudo-random bytes that compress a little (6 significant bits per byte), like image data."""
    return random.Random(seed).randbytes(size).translate(_SIX_BITS)


def text_bytes(seed: int, size: int) -> bytes:
    """Compressible XML-ish text."""
    rng = random.Random(seed)
    lines = []
    total = 0
    while total < size:
        line = f'<Value band="{rng.randrange(13)}" x="{rng.randrange(10980)}">{rng.random():.6f}</Value>\n'
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes
    compress_type: int = zipfile.ZIP_DEFLATED


def bands_members(scale: float = 1.0) -> list[Member]:
    """14 members, ~11 MB at scale 1: metadata, 10 m / 20 m / 60 m bands, a quicklook, masks.

    B02, B03 and B04 (adjacent) hold ~2.55 MB compressed at scale 1, as in the issue's anchor figures.
    """

    def n(size: int) -> int:
        return max(1, int(size * scale))

    st, df, bz, lz = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA
    spec = [
        (f"{PRODUCT}/MTD_MSIL2A.xml", text_bytes(1, n(180_000)), df),
        (f"{PRODUCT}/manifest.safe", text_bytes(2, n(60_000)), df),
        (f"{GRANULE}/R10m/T31TCJ_20240101T103421_B02_10m.jp2", band_bytes(3, n(1_010_000)), df),
        (f"{GRANULE}/R10m/T31TCJ_20240101T103421_B03_10m.jp2", band_bytes(4, n(1_010_000)), st),
        (f"{GRANULE}/R10m/T31TCJ_20240101T103421_B04_10m.jp2", band_bytes(5, n(1_010_000)), df),
        (f"{GRANULE}/R10m/T31TCJ_20240101T103421_B08_10m.jp2", band_bytes(6, n(1_010_000)), bz),
        (f"{GRANULE}/R20m/T31TCJ_20240101T103421_B05_20m.jp2", band_bytes(7, n(1_400_000)), df),
        (f"{GRANULE}/R20m/T31TCJ_20240101T103421_B06_20m.jp2", band_bytes(8, n(1_400_000)), lz),
        (f"{GRANULE}/R20m/T31TCJ_20240101T103421_B11_20m.jp2", band_bytes(9, n(1_400_000)), df),
        (f"{GRANULE}/R20m/T31TCJ_20240101T103421_B12_20m.jp2", band_bytes(10, n(1_400_000)), st),
        (f"{GRANULE}/R60m/T31TCJ_20240101T103421_B01_60m.jp2", band_bytes(11, n(1_400_000)), df),
        (f"{GRANULE}/R60m/T31TCJ_20240101T103421_B09_60m.jp2", band_bytes(12, n(1_400_000)), df),
        (f"{PRODUCT}/QI_DATA/T31TCJ_20240101T103421_PVI.jp2", band_bytes(13, n(500_000)), st),
        (f"{PRODUCT}/QI_DATA/MSK_CLDPRB_20m.jp2", band_bytes(14, n(400_000)), df),
    ]
    return [Member(name, data, method) for name, data, method in spec]


def write_with_zipfile(target: io.IOBase, members: Sequence[Member], comment: bytes = b"") -> None:
    with zipfile.ZipFile(target, "w") as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, DATE_TIME)
            info.compress_type = member.compress_type
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, member.data)
        archive.comment = comment


def make_bands_archive(path: Path, scale: float = 1.0) -> list[Member]:
    """Write the Sentinel-2-like archive to ``path``; returns its members (with their full bytes)."""
    members = bands_members(scale)
    with open(path, "wb") as f:
        write_with_zipfile(f, members)
    return members


def make_comment_archive(path: Path, comment: bytes, scale: float = 0.1) -> list[Member]:
    """Like :func:`make_bands_archive` with an archive comment (up to 65535 bytes)."""
    members = bands_members(scale)
    with open(path, "wb") as f:
        write_with_zipfile(f, members, comment=comment)
    return members


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.buffer += data
        return len(data)


def make_descriptor_archive(path: Path, scale: float = 0.1) -> list[Member]:
    """Members written to an unseekable stream: zipfile then puts sizes and CRC in data descriptors."""
    members = bands_members(scale)
    sink = _Unseekable()
    write_with_zipfile(sink, members)
    path.write_bytes(bytes(sink.buffer))
    return members


# -- the hand-written writer ----------------------------------------------------------------------
@dataclass(frozen=True)
class RawEntry:
    """A member as :func:`build_zip` writes it; the ``lie_*`` / ``alias_of`` fields forge archives."""

    name: str
    data: bytes = b""
    method: int = zipfile.ZIP_DEFLATED
    mode: int = 0o100644
    lie_file_size: Optional[int] = None  # declared full size (central and local headers)
    alias_of: Optional[str] = None  # no data of its own: points at that entry's local header
    raw_name: Optional[bytes] = None


def _compress(method: int, data: bytes) -> bytes:
    if method == zipfile.ZIP_STORED:
        return data
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == zipfile.ZIP_BZIP2:
        return bz2.compress(data, 9)
    if method == zipfile.ZIP_LZMA:
        filters = [{"id": lzma.FILTER_LZMA1, "dict_size": 1 << 20, "lc": 3, "lp": 0, "pb": 2}]
        props = lzma._encode_filter_properties(filters[0])  # noqa: SLF001 - test data only
        raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters)
        return struct.pack("<BBH", 9, 4, len(props)) + props + raw
    raise ValueError(method)


def build_zip(entries: Sequence[RawEntry], comment: bytes = b"", zip64: bool = False) -> bytes:
    """Write a zip archive by hand. With ``zip64`` every size and offset goes through ZIP64 records."""
    out = bytearray()
    central = bytearray()
    offsets: dict[str, int] = {}
    sizes: dict[str, tuple[int, int, int]] = {}
    dos_time = (DATE_TIME[3] << 11) | (DATE_TIME[4] << 5) | (DATE_TIME[5] // 2)
    dos_date = ((DATE_TIME[0] - 1980) << 9) | (DATE_TIME[1] << 5) | DATE_TIME[2]
    for entry in entries:
        raw_name = entry.raw_name if entry.raw_name is not None else entry.name.encode()
        flags = 0x800 if entry.raw_name is None and not entry.name.isascii() else 0
        if entry.alias_of is not None:
            offset = offsets[entry.alias_of]
            crc, csize, usize = sizes[entry.alias_of]
        else:
            payload = _compress(entry.method, entry.data)
            crc = zlib.crc32(entry.data)
            csize = len(payload)
            usize = entry.lie_file_size if entry.lie_file_size is not None else len(entry.data)
            offset = len(out)
            offsets[entry.name] = offset
            sizes[entry.name] = (crc, csize, usize)
            extra = struct.pack("<HHQQ", 1, 16, usize, csize) if zip64 else b""
            out += struct.pack(
                "<4s5H3L2H",
                b"PK\x03\x04",
                45 if zip64 else 20,
                flags,
                entry.method,
                dos_time,
                dos_date,
                crc,
                0xFFFFFFFF if zip64 else csize,
                0xFFFFFFFF if zip64 else usize,
                len(raw_name),
                len(extra),
            )
            out += raw_name + extra + payload
        extra = struct.pack("<HHQQQ", 1, 24, usize, csize, offset) if zip64 else b""
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            (3 << 8) | 45,
            45 if zip64 else 20,
            flags,
            entry.method,
            dos_time,
            dos_date,
            crc,
            0xFFFFFFFF if zip64 else csize,
            0xFFFFFFFF if zip64 else usize,
            len(raw_name),
            len(extra),
            0,
            0,
            0,
            entry.mode << 16,
            0xFFFFFFFF if zip64 else offset,
        )
        central += raw_name + extra
    cd_offset = len(out)
    out += central
    count = len(entries)
    if zip64:
        record_offset = len(out)
        out += struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), cd_offset
        )
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, record_offset, 1)
        out += struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, len(comment)
        )
    else:
        out += struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), cd_offset, len(comment)
        )
    out += comment
    return bytes(out)


def zip64_entries(scale: float = 0.1) -> list[RawEntry]:
    """Members for the ZIP64 archive: the bands with stored, deflate, bzip2 and lzma."""
    return [RawEntry(m.name, m.data, m.compress_type) for m in bands_members(scale)]


# -- hostile archives -------------------------------------------------------------------------------
GOOD = RawEntry("safe/readme.txt", b"harmless\n" * 100)


def zip_slip_archives() -> dict[str, bytes]:
    """One archive per zip-slip trick, each also holding a harmless member listed first."""
    names = {
        "dotdot": "safe/../../evil.txt",
        "absolute": "/tmp/evil.txt",
        "drive": "C:/evil.txt",
        "backslash": "safe\\..\\..\\evil.txt",
    }
    return {key: build_zip([GOOD, RawEntry(name, b"owned\n")]) for key, name in names.items()}


def symlink_archive() -> bytes:
    """A symlink member pointing outside, then a file written "through" it."""
    return build_zip(
        [
            GOOD,
            RawEntry("safe/link", b"../../../../etc", method=zipfile.ZIP_STORED, mode=0o120777),
            RawEntry("safe/link/passwd", b"owned\n"),
        ]
    )


def ratio_bomb_archive(size: int = 16 << 20) -> bytes:
    """A bzip2 member of zeros whose declared expansion ratio is far above any sane limit."""
    return build_zip([GOOD, RawEntry("bomb.bin", bytes(size), method=zipfile.ZIP_BZIP2)])


def lying_size_archive(real: int = 4 << 20, declared: int = 4096) -> bytes:
    """A member that declares ``declared`` bytes but inflates to ``real`` (caught while streaming)."""
    return build_zip([GOOD, RawEntry("liar.bin", bytes(real), lie_file_size=declared)])


def overlap_bomb_archive(copies: int = 50) -> bytes:
    """Many central-directory entries pointing at the same local data (the overlapping-entries bomb)."""
    base = RawEntry("kernel.bin", bytes(1 << 20))
    aliases = [RawEntry(f"copy{i:03d}.bin", alias_of="kernel.bin") for i in range(copies)]
    return build_zip([GOOD, base, *aliases])


_served: dict[Path, dict[str, list]] = {}


def write_served_archives(folder: Path) -> dict[str, list]:
    """Write every test archive into ``folder`` (once per folder); returns ``{name: members}`` for the
    archives whose content the tests compare, the hostile ones only as files."""
    folder = Path(folder)
    if folder in _served:
        return _served[folder]
    out: dict[str, list] = {}
    out["bands.zip"] = make_bands_archive(folder / "bands.zip")
    out["comment.zip"] = make_comment_archive(folder / "comment.zip", b"C" * 60_000)
    out["descriptor.zip"] = make_descriptor_archive(folder / "descriptor.zip")
    entries = zip64_entries(0.1)
    (folder / "zip64.zip").write_bytes(build_zip(entries, comment=b"z64", zip64=True))
    out["zip64.zip"] = [Member(e.name, e.data, e.method) for e in entries]
    many = [Member(f"tiles/{i:04d}/tile_{i:04d}_data.bin", band_bytes(i, 300)) for i in range(400)]
    with open(folder / "many.zip", "wb") as f:
        write_with_zipfile(f, many)
    out["many.zip"] = many
    for key, data in zip_slip_archives().items():
        (folder / f"slip_{key}.zip").write_bytes(data)
    (folder / "symlink.zip").write_bytes(symlink_archive())
    (folder / "ratio_bomb.zip").write_bytes(ratio_bomb_archive())
    (folder / "liar.zip").write_bytes(lying_size_archive())
    (folder / "overlap.zip").write_bytes(overlap_bomb_archive())
    (folder / "deflate64.zip").write_bytes(_deflate64_archive())
    twins = [Member("a/x.txt", b"first\n"), Member("b/x.txt", b"second\n")]
    with open(folder / "twins.zip", "wb") as f:
        write_with_zipfile(f, twins)
    (folder / "not_a_zip.zip").write_bytes(b"<html>maintenance</html>\n" * 40)
    (folder / "empty.zip").write_bytes(b"")
    (folder / "two_bytes.zip").write_bytes(b"PK")
    _served[folder] = out
    return out


def _deflate64_archive() -> bytes:
    """A member marked deflate64 (method 9), which the standard library cannot decode."""
    data = bytearray(build_zip([RawEntry("a.bin", b"x" * 1000)]))
    data[8] = 9  # local header method -> deflate64
    cd = data.rindex(b"PK\x01\x02")
    data[cd + 10] = 9
    return bytes(data)
