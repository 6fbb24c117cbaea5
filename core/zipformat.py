"""The zip file format, parsed from bytes: no I/O, no network.

Owns: finding the end-of-central-directory record (archive comments included) and its ZIP64
locator/record, reading central-directory entries (ZIP64 extra fields included), local file headers and
data descriptors; the safety rules that make an archive acceptable (member names without absolute paths,
``..``, drive letters or backslashes; no symlink or device entries; no duplicate or overlapping members;
zip-bomb limits on expansion ratio and total size; no name resolving to the folder itself or into the
engine's private folder) are in :mod:`scene_picker.core.zipsafety`, decompression in
:mod:`scene_picker.core.zipdecode`.

Used by :mod:`scene_picker.core.remotezip`, which does the range requests.
"""

from __future__ import annotations

import stat
import struct
from dataclasses import dataclass, replace
from typing import Callable, Optional

from .errors import ArchiveError, UnsafeArchiveError

# -- record layouts (APPNOTE.TXT 4.3) ----------------------------------------------------------------
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_SIZE = 22
MAX_COMMENT = 0xFFFF
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_LOCATOR_SIZE = 20
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
ZIP64_EOCD_SIZE = 56
CENTRAL_SIGNATURE = b"PK\x01\x02"
CENTRAL_SIZE = 46
LOCAL_SIGNATURE = b"PK\x03\x04"
LOCAL_SIZE = 30
DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
#: The longest tail that can hold the EOCD record, its comment and the ZIP64 locator before it.
MAX_TAIL = EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")

FLAG_ENCRYPTED = 0x0001
FLAG_DESCRIPTOR = 0x0008
FLAG_UTF8 = 0x0800

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
METHOD_NAMES = {
    STORED: "stored",
    1: "shrunk",
    6: "imploded",
    DEFLATED: "deflate",
    9: "deflate64",
    BZIP2: "bzip2",
    LZMA: "lzma",
    93: "zstandard",
    95: "xz",
    98: "ppmd",
}
SUPPORTED_METHODS = (STORED, DEFLATED, BZIP2, LZMA)

_U32 = 0xFFFFFFFF
_U16 = 0xFFFF


@dataclass(frozen=True)
class EndOfCentralDirectory:
    """Where the central directory is, from the EOCD record (and its ZIP64 record when present)."""

    offset: int  # absolute offset of the EOCD record
    entries: int
    cd_size: int
    cd_offset: int
    comment: bytes
    disk: int = 0
    zip64_locator_offset: Optional[int] = None  # set when the archive has (or needs) ZIP64 records

    @property
    def needs_zip64(self) -> bool:
        return self.zip64_locator_offset is not None


@dataclass(frozen=True)
class ZipMember:
    """One central-directory entry."""

    name: str
    compressed_size: int
    file_size: int
    crc32: int
    compress_type: int
    header_offset: int
    flags: int = 0
    external_attr: int = 0
    create_system: int = 0
    date_time: tuple[int, int, int, int, int, int] = (1980, 1, 1, 0, 0, 0)
    raw_name: bytes = b""

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/") or stat.S_ISDIR(self.mode)

    @property
    def mode(self) -> int:
        """Unix mode bits from the external attributes (0 when the archiver stored none)."""
        return (self.external_attr >> 16) & 0xFFFF

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def is_special(self) -> bool:
        """A device, FIFO or socket entry: never extracted."""
        mode = self.mode
        return any(test(mode) for test in (stat.S_ISCHR, stat.S_ISBLK, stat.S_ISFIFO, stat.S_ISSOCK))

    @property
    def is_encrypted(self) -> bool:
        return bool(self.flags & FLAG_ENCRYPTED)

    @property
    def has_descriptor(self) -> bool:
        return bool(self.flags & FLAG_DESCRIPTOR)

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.compress_type, f"method {self.compress_type}")


@dataclass(frozen=True)
class LocalHeader:
    """The fixed part of a local file header; the data starts ``length`` bytes after its offset."""

    flags: int
    compress_type: int
    crc32: int
    compressed_size: int
    file_size: int
    name_length: int
    extra_length: int

    @property
    def length(self) -> int:
        return LOCAL_SIZE + self.name_length + self.extra_length


@dataclass(frozen=True)
class DataDescriptor:
    crc32: int
    compressed_size: int
    file_size: int
    length: int


@dataclass(frozen=True)
class ZipLimits:
    """Zip-bomb guards: an archive outside these limits is refused as a whole.

    ``max_ratio`` applies to members whose declared full size exceeds ``ratio_min_size`` (a tiny file
    that compresses well is harmless). It sits above deflate's physical maximum (~1032:1), so a real
    all-zero raster mask (a cloud mask of a cloudless scene) is never refused; it catches bzip2/lzma
    bombs, which reach ratios of millions. ``max_total_size`` caps the declared full size of all
    members. While streaming, a member may never produce more than its declared size, which is what
    stops a header that lies.
    """

    max_ratio: float = 5000.0
    ratio_min_size: int = 1 << 20
    max_total_size: int = 256 << 30
    max_members: int = 1_000_000
    #: The central directory is read into memory: a declared size above this is refused before
    #: any of it is fetched (a Sentinel-2 archive's is under 100 kB; 64 MiB holds ~500 000 members).
    max_directory_size: int = 64 << 20


# -- end of central directory -----------------------------------------------------------------------
def find_eocd(tail: bytes, tail_offset: int, archive_size: int) -> Optional[EndOfCentralDirectory]:
    """Find the EOCD record in ``tail`` (the archive's last bytes, starting at ``tail_offset``).

    Searches backwards and accepts a signature only where the comment length it declares ends exactly
    at the end of the archive, so a comment that happens to contain ``PK\\x05\\x06`` is not mistaken for
    the record. Returns None when the record is not in ``tail``; raises :class:`ArchiveError` when the
    whole searchable tail was given and holds no record.
    """
    if tail_offset + len(tail) != archive_size:
        raise ValueError("tail must end at the end of the archive")
    pos = len(tail) - EOCD_SIZE
    while pos >= 0:
        pos = tail.rfind(EOCD_SIGNATURE, 0, pos + 4)
        if pos < 0:
            break
        if pos + EOCD_SIZE <= len(tail):
            fields = _EOCD.unpack_from(tail, pos)
            comment_length = fields[7]
            if pos + EOCD_SIZE + comment_length == len(tail):
                return _eocd_from_fields(fields, tail, pos, tail_offset)
        pos -= 1
    if tail_offset == 0 or len(tail) >= MAX_TAIL:
        raise ArchiveError("not a zip archive: no end-of-central-directory record found")
    return None


def _eocd_from_fields(fields: tuple, tail: bytes, pos: int, tail_offset: int) -> EndOfCentralDirectory:
    _sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, comment_length = fields
    comment = bytes(tail[pos + EOCD_SIZE : pos + EOCD_SIZE + comment_length])
    offset = tail_offset + pos
    locator = offset - ZIP64_LOCATOR_SIZE
    has_locator = (
        locator >= tail_offset
        and tail[locator - tail_offset : locator - tail_offset + 4] == ZIP64_LOCATOR_SIGNATURE
    )
    needs_zip64 = _U16 in (disk, cd_disk, disk_entries, entries) or _U32 in (cd_size, cd_offset)
    if not has_locator and needs_zip64 and locator < tail_offset:
        has_locator = True  # not in this tail: the caller reads it
    if not has_locator and (disk or cd_disk or disk_entries != entries):
        raise ArchiveError("multi-disk (spanned) zip archives are not supported")
    return EndOfCentralDirectory(
        offset=offset,
        entries=entries,
        cd_size=cd_size,
        cd_offset=cd_offset,
        comment=comment,
        disk=disk,
        zip64_locator_offset=locator if has_locator else None,
    )


def parse_zip64_locator(data: bytes) -> int:
    """Return the absolute offset of the ZIP64 EOCD record from a 20-byte locator."""
    if len(data) < ZIP64_LOCATOR_SIZE:
        raise ArchiveError("truncated ZIP64 end-of-central-directory locator")
    sig, disk, record_offset, disks = _ZIP64_LOCATOR.unpack_from(data)
    if sig != ZIP64_LOCATOR_SIGNATURE:
        raise ArchiveError("bad ZIP64 end-of-central-directory locator signature")
    if disks > 1 or disk != 0:
        raise ArchiveError("multi-disk (spanned) zip archives are not supported")
    return record_offset


def apply_zip64_eocd(eocd: EndOfCentralDirectory, data: bytes) -> EndOfCentralDirectory:
    """Return ``eocd`` with the counts, size and offset of the ZIP64 EOCD record in ``data``."""
    if len(data) < ZIP64_EOCD_SIZE:
        raise ArchiveError("truncated ZIP64 end-of-central-directory record")
    fields = _ZIP64_EOCD.unpack_from(data)
    sig, _size, _made_by, _needed, disk, cd_disk, disk_entries, entries, cd_size, cd_offset = fields
    if sig != ZIP64_EOCD_SIGNATURE:
        raise ArchiveError("bad ZIP64 end-of-central-directory record signature")
    if disk or cd_disk or disk_entries != entries:
        raise ArchiveError("multi-disk (spanned) zip archives are not supported")
    return replace(eocd, entries=entries, cd_size=cd_size, cd_offset=cd_offset, disk=disk)


def read_directory(
    read: Callable[[int, int], bytes], archive_size: int, tail: bytes, limits: ZipLimits = ZipLimits()
) -> tuple[EndOfCentralDirectory, list[ZipMember]]:
    """Locate and parse the central directory.

    ``tail`` holds the archive's last bytes (already fetched); ``read(start, end)`` returns the bytes
    ``[start, end)`` of the archive and is called only for what ``tail`` does not cover: a longer tail
    when a long comment hides the EOCD record, the ZIP64 record, the front of a large directory.
    """
    tail_offset = archive_size - len(tail)

    def read_any(start: int, end: int) -> bytes:
        if start >= tail_offset:
            return tail[start - tail_offset : end - tail_offset]
        if end <= tail_offset:
            return read(start, end)
        return read(start, tail_offset) + tail[: end - tail_offset]

    if archive_size < EOCD_SIZE:
        raise ArchiveError(f"not a zip archive: only {archive_size} bytes")
    eocd = find_eocd(tail, tail_offset, archive_size)
    if eocd is None:
        start = max(0, archive_size - MAX_TAIL)
        tail = read(start, tail_offset) + tail
        tail_offset = start
        eocd = find_eocd(tail, tail_offset, archive_size)
        assert eocd is not None  # find_eocd raises when the full tail holds no record
    if eocd.zip64_locator_offset is not None:
        if eocd.zip64_locator_offset < 0:
            raise ArchiveError("truncated archive: no room for the ZIP64 locator")
        record_offset = parse_zip64_locator(read_any(eocd.zip64_locator_offset, eocd.offset))
        if record_offset + ZIP64_EOCD_SIZE > eocd.zip64_locator_offset:
            raise ArchiveError("ZIP64 end-of-central-directory record lies outside the archive")
        eocd = apply_zip64_eocd(eocd, read_any(record_offset, record_offset + ZIP64_EOCD_SIZE))
    cd_end = eocd.cd_offset + eocd.cd_size
    if cd_end > eocd.offset:
        raise ArchiveError("central directory lies outside the archive (truncated or prefixed archive)")
    if eocd.entries > limits.max_members:
        raise UnsafeArchiveError(
            f"archive declares {eocd.entries} members, more than the limit of {limits.max_members}"
        )
    if eocd.cd_size > limits.max_directory_size:
        raise UnsafeArchiveError(
            f"archive declares a central directory of {eocd.cd_size} bytes, more than the limit of "
            f"{limits.max_directory_size} (ZipLimits.max_directory_size): archive refused"
        )
    directory = read_any(eocd.cd_offset, cd_end)
    return eocd, parse_central_directory(directory, eocd.entries, limits)


# -- central directory ------------------------------------------------------------------------------
def parse_central_directory(
    data: bytes, expected_entries: int, limits: ZipLimits = ZipLimits()
) -> list[ZipMember]:
    """Parse ``expected_entries`` central-directory entries from ``data`` (the whole directory)."""
    if expected_entries > limits.max_members:
        raise UnsafeArchiveError(
            f"archive declares {expected_entries} members, more than the limit of {limits.max_members}"
        )
    members: list[ZipMember] = []
    pos = 0
    view = memoryview(data)
    for index in range(expected_entries):
        if pos + CENTRAL_SIZE > len(data):
            raise ArchiveError(f"central directory truncated at entry {index + 1} of {expected_entries}")
        fields = _CENTRAL.unpack_from(data, pos)
        (sig, made_by, _needed, flags, method, mtime, mdate, crc, csize, usize, nlen, xlen, clen) = fields[
            :13
        ]
        disk, _internal, external, offset = fields[13:]
        if sig != CENTRAL_SIGNATURE:
            raise ArchiveError(f"bad central directory entry signature at entry {index + 1}")
        end = pos + CENTRAL_SIZE + nlen + xlen + clen
        if end > len(data):
            raise ArchiveError(f"central directory truncated at entry {index + 1} of {expected_entries}")
        raw_name = bytes(view[pos + CENTRAL_SIZE : pos + CENTRAL_SIZE + nlen])
        extra = bytes(view[pos + CENTRAL_SIZE + nlen : pos + CENTRAL_SIZE + nlen + xlen])
        usize, csize, offset, disk = _apply_zip64_extra(extra, usize, csize, offset, disk)
        if disk not in (0, _U16):
            raise ArchiveError("multi-disk (spanned) zip archives are not supported")
        members.append(
            ZipMember(
                name=decode_name(raw_name, flags),
                compressed_size=csize,
                file_size=usize,
                crc32=crc,
                compress_type=method,
                header_offset=offset,
                flags=flags,
                external_attr=external,
                create_system=made_by >> 8,
                date_time=_dos_datetime(mdate, mtime),
                raw_name=raw_name,
            )
        )
        pos = end
    return members


def _apply_zip64_extra(
    extra: bytes, usize: int, csize: int, offset: int, disk: int
) -> tuple[int, int, int, int]:
    """Replace the 0xFFFFFFFF placeholders by the values of the ZIP64 extra field (header id 1)."""
    if _U32 not in (usize, csize, offset) and disk != _U16:
        return usize, csize, offset, disk
    pos = 0
    while pos + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if header_id == 1:
            values = iter(struct.unpack_from(f"<{len(body) // 8}Q", body)) if len(body) >= 8 else iter(())
            try:
                if usize == _U32:
                    usize = next(values)
                if csize == _U32:
                    csize = next(values)
                if offset == _U32:
                    offset = next(values)
            except StopIteration:
                raise ArchiveError("ZIP64 extra field too short for the values it must hold") from None
            if disk == _U16:
                tail = len(body) - (len(body) // 8) * 8
                disk = struct.unpack_from("<L", body, len(body) - 4)[0] if tail >= 4 else 0
            return usize, csize, offset, disk
        pos += 4 + size
    raise ArchiveError("entry needs a ZIP64 extra field but has none")


def decode_name(raw: bytes, flags: int) -> str:
    """Decode a member name as zip tools do: UTF-8 when flag bit 11 is set, else code page 437."""
    if flags & FLAG_UTF8:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ArchiveError(f"member name is not valid UTF-8: {raw!r}") from None
    return raw.decode("cp437")


def _dos_datetime(date: int, time: int) -> tuple[int, int, int, int, int, int]:
    return (
        (date >> 9) + 1980,
        max(1, (date >> 5) & 0xF),
        max(1, date & 0x1F),
        (time >> 11) & 0x1F,
        (time >> 5) & 0x3F,
        min(59, (time & 0x1F) * 2),
    )


# -- local headers and data descriptors -------------------------------------------------------------
def parse_local_header(data: bytes) -> LocalHeader:
    """Parse the fixed 30 bytes of a local file header."""
    if len(data) < LOCAL_SIZE:
        raise ArchiveError("truncated local file header")
    sig, _needed, flags, method, _mtime, _mdate, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(data)
    if sig != LOCAL_SIGNATURE:
        raise ArchiveError("bad local file header signature: the central directory points at no member")
    return LocalHeader(flags, method, crc, csize, usize, nlen, xlen)


def check_local_header(member: ZipMember, header: LocalHeader, raw_name: bytes) -> None:
    """Refuse a local header that disagrees with its central-directory entry (a smuggling trick)."""
    if raw_name != member.raw_name:
        raise UnsafeArchiveError(
            f"member {member.name!r}: local header names {decode_name(raw_name, header.flags)!r} instead"
        )
    if header.compress_type != member.compress_type:
        raise ArchiveError(
            f"member {member.name!r}: local header and central directory disagree on compression"
        )


def parse_data_descriptor(data: bytes, zip64: bool) -> DataDescriptor:
    """Parse a data descriptor (its signature is optional; ZIP64 ones hold 8-byte sizes)."""
    start = 4 if data[:4] == DESCRIPTOR_SIGNATURE else 0
    fmt = "<L2Q" if zip64 else "<3L"
    need = start + struct.calcsize(fmt)
    if len(data) < need:
        raise ArchiveError("truncated data descriptor")
    crc, csize, usize = struct.unpack_from(fmt, data, start)
    return DataDescriptor(crc, csize, usize, need)
