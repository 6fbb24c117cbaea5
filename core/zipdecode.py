"""Decompressing one zip member while it streams: :class:`MemberDecoder` (stored, deflate, bzip2, lzma)
with bounded memory, refusing output beyond the declared size (a lying header, a bomb) and checking
size and CRC32 at the end. The format itself is parsed by :mod:`scene_picker.core.zipformat`.
"""

from __future__ import annotations

import bz2
import lzma
import struct
import zlib
from typing import Iterator, Optional

from .errors import ArchiveError, UnsafeArchiveError, UnsupportedCompressionError
from .zipformat import BZIP2, DEFLATED, LZMA, METHOD_NAMES, STORED, SUPPORTED_METHODS, ZipMember


# -- streaming decompression ------------------------------------------------------------------------
class _Stored:
    eof = True

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        return data


class _Lzma:
    """A zip LZMA member: 2 version bytes, a 2-byte properties size, the properties, then raw LZMA1."""

    def __init__(self) -> None:
        self._header = b""
        self._inner: Optional[lzma.LZMADecompressor] = None

    @property
    def eof(self) -> bool:
        return self._inner is not None and self._inner.eof

    @property
    def needs_input(self) -> bool:
        return self._inner is None or self._inner.needs_input

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._inner is None:
            self._header += data
            if len(self._header) < 4:
                return b""
            psize = struct.unpack_from("<H", self._header, 2)[0]
            if len(self._header) < 4 + psize:
                return b""
            props = self._header[4 : 4 + psize]
            if psize != 5:
                raise ArchiveError("unexpected LZMA properties size")
            lc_lp_pb, dict_size = props[0], struct.unpack_from("<L", props, 1)[0]
            pb, rest = divmod(lc_lp_pb, 45)
            lp, lc = divmod(rest, 9)
            filt = {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
            self._inner = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt])
            data, self._header = self._header[4 + psize :], b""
        return self._inner.decompress(data, max_length)


def _new_decompressor(method: int) -> object:
    if method == STORED:
        return _Stored()
    if method == DEFLATED:
        return zlib.decompressobj(-15)
    if method == BZIP2:
        return bz2.BZ2Decompressor()
    if method == LZMA:
        return _Lzma()
    raise UnsupportedCompressionError(f"compression {METHOD_NAMES.get(method, method)} is not supported")


def check_supported(member: ZipMember) -> None:
    """Raise when ``member`` cannot be decoded here (encrypted, or an unsupported compression method)."""
    if member.is_encrypted:
        raise ArchiveError(f"member {member.name!r} is encrypted; encrypted members are not supported")
    if member.compress_type not in SUPPORTED_METHODS:
        raise UnsupportedCompressionError(
            f"member {member.name!r} uses {member.method_name} compression, which the standard library "
            "cannot decode (supported: stored, deflate, bzip2, lzma)"
        )


class MemberDecoder:
    """Decompress one member chunk by chunk with bounded memory; refuse output beyond the declared size.

    ``feed(chunk)`` yields decompressed pieces of at most ``piece`` bytes; ``finish()`` checks that the
    stream ended, the size and the CRC32. Raises :class:`UnsafeArchiveError` as soon as the output
    exceeds the declared size (a lying header, a bomb), :class:`ArchiveError` for corrupt data.
    """

    def __init__(self, member: ZipMember, piece: int = 1 << 20) -> None:
        check_supported(member)
        self.member = member
        self.piece = piece
        self.size = 0
        self.crc = 0
        self._d = _new_decompressor(member.compress_type)
        self._method = member.compress_type

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        if self._method == STORED:
            yield from self._emit(chunk)
            return
        data = chunk
        while True:
            try:
                out = self._d.decompress(data, self.piece)  # type: ignore[attr-defined]
            except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
                raise ArchiveError(f"member {self.member.name!r}: corrupt compressed data ({exc})") from None
            if out:
                yield from self._emit(out)
            data = b""
            if self._method == DEFLATED:
                data = self._d.unconsumed_tail  # type: ignore[attr-defined]
                if not data:
                    return
            else:
                if getattr(self._d, "eof", False) or getattr(self._d, "needs_input", True):
                    return

    def _emit(self, out: bytes) -> Iterator[bytes]:
        self.size += len(out)
        if self.size > self.member.file_size:
            raise UnsafeArchiveError(
                f"member {self.member.name!r} expands beyond its declared size of {self.member.file_size} "
                "bytes (zip bomb or forged header): archive refused"
            )
        self.crc = zlib.crc32(out, self.crc)
        yield out

    def finish(self) -> Iterator[bytes]:
        """Flush what remains and verify; yields the last pieces."""
        if self._method == DEFLATED:
            try:
                rest = self._d.flush()  # type: ignore[attr-defined]
            except zlib.error as exc:
                raise ArchiveError(f"member {self.member.name!r}: corrupt compressed data ({exc})") from None
            if rest:
                yield from self._emit(rest)
        ended = self._method == STORED or getattr(self._d, "eof", False)
        if not ended and self.size != self.member.file_size:
            raise ArchiveError(f"member {self.member.name!r}: compressed data ends before the stream does")
        if self.size != self.member.file_size:
            raise ArchiveError(
                f"member {self.member.name!r}: {self.size} bytes decompressed, "
                f"{self.member.file_size} declared"
            )

    @property
    def crc_ok(self) -> bool:
        return self.crc == self.member.crc32
