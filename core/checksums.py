"""Checksums of downloaded files and zip members: MD5, SHA-1, SHA-256, SHA-512, CRC32, and STAC's
multihash (``file:checksum``).

:class:`Checksum` names an expected digest; :meth:`Checksum.hasher` gives an incremental hasher so a
download can hash while it streams; :func:`file_checksum` and :func:`verify_file` check files on disk.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from .errors import ChecksumMismatchError, UsageError

ALGORITHMS = ("md5", "sha1", "sha256", "sha512", "crc32")
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "crc32": 8}
#: Multihash function codes (https://github.com/multiformats/multicodec) that we can verify.
_MULTIHASH_CODES = {0x11: "sha1", 0x12: "sha256", 0x13: "sha512", 0xD5: "md5"}
_CHUNK = 1 << 20


class Crc32Hasher:
    """``hashlib``-like incremental CRC32 (hex digest is 8 lower-case digits, big-endian)."""

    name = "crc32"

    def __init__(self) -> None:
        self.value = 0

    def update(self, data: Union[bytes, bytearray, memoryview]) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value & 0xFFFFFFFF:08x}"


def new_hasher(algorithm: str):
    """An incremental hasher with ``update()`` and ``hexdigest()`` for ``algorithm``."""
    algorithm = _normalise_algorithm(algorithm)
    if algorithm == "crc32":
        return Crc32Hasher()
    return hashlib.new(algorithm)


@dataclass(frozen=True)
class Checksum:
    """An expected digest: ``algorithm`` in :data:`ALGORITHMS`, ``hexdigest`` in lower case."""

    algorithm: str
    hexdigest: str

    def __post_init__(self) -> None:
        algorithm = _normalise_algorithm(self.algorithm)
        digest = self.hexdigest.strip().lower()
        if algorithm == "crc32" and len(digest) < 8:
            digest = digest.rjust(8, "0")
        if len(digest) != _HEX_LENGTHS[algorithm] or any(c not in "0123456789abcdef" for c in digest):
            raise UsageError(f"'{self.hexdigest}' is not a valid {algorithm} hex digest.")
        object.__setattr__(self, "algorithm", algorithm)
        object.__setattr__(self, "hexdigest", digest)

    @classmethod
    def from_multihash(cls, multihash_hex: str) -> Checksum:
        """Decode a hex multihash such as STAC's ``file:checksum`` (``1220…`` is SHA-256)."""
        try:
            raw = bytes.fromhex(multihash_hex.strip())
        except ValueError as exc:
            raise UsageError(f"'{multihash_hex}' is not a hex multihash.") from exc
        code, pos = _read_varint(raw, 0)
        length, pos = _read_varint(raw, pos)
        algorithm = _MULTIHASH_CODES.get(code)
        if algorithm is None:
            raise UsageError(f"Multihash function 0x{code:x} is not supported (only {sorted(ALGORITHMS)}).")
        digest = raw[pos:]
        if len(digest) != length:
            raise UsageError(f"Multihash '{multihash_hex}' is truncated: {len(digest)} of {length} bytes.")
        return cls(algorithm, digest.hex())

    @classmethod
    def from_crc32(cls, value: int) -> Checksum:
        """A CRC32 from its integer value (as a zip central directory stores it)."""
        return cls("crc32", f"{value & 0xFFFFFFFF:08x}")

    def to_multihash(self) -> str:
        """The hex multihash of this digest (not available for CRC32)."""
        codes = {v: k for k, v in _MULTIHASH_CODES.items()}
        if self.algorithm not in codes:
            raise UsageError(f"{self.algorithm} has no multihash form.")
        digest = bytes.fromhex(self.hexdigest)
        return (_write_varint(codes[self.algorithm]) + _write_varint(len(digest)) + digest).hex()

    def hasher(self):
        """A fresh incremental hasher for this algorithm."""
        return new_hasher(self.algorithm)

    def matches(self, hexdigest: str) -> bool:
        return hexdigest.lower() == self.hexdigest

    def matches_file(self, path: Union[str, Path]) -> bool:
        return self.matches(file_checksum(path, self.algorithm))

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


def file_checksum(path: Union[str, Path], algorithm: str) -> str:
    """The hex digest of the file at ``path`` (read in 1 MiB chunks, constant memory)."""
    hasher = new_hasher(algorithm)
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            hasher.update(view[:count])
    return hasher.hexdigest()


def verify_file(path: Union[str, Path], checksum: Checksum) -> None:
    """Raise :class:`~scene_picker.core.errors.ChecksumMismatchError` unless ``path`` matches."""
    actual = file_checksum(path, checksum.algorithm)
    if not checksum.matches(actual):
        raise ChecksumMismatchError(
            f"{Path(path).name}: {checksum.algorithm} is {actual}, expected {checksum.hexdigest}."
        )


def _normalise_algorithm(algorithm: str) -> str:
    name = algorithm.lower().replace("-", "").replace("_", "")
    if name not in ALGORITHMS:
        raise UsageError(
            f"Unsupported checksum algorithm '{algorithm}' (use one of {', '.join(ALGORITHMS)})."
        )
    return name


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(9):
        if pos >= len(data):
            break
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise UsageError("Malformed multihash (bad varint).")


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
