"""The safety rules that make a zip archive acceptable, checked on its central directory before
anything is written: member names without absolute paths, ``..``, drive letters or backslashes, none
resolving to the folder itself or into the engine's private folder; no symlink or device entries; no
duplicate or overlapping members; zip-bomb limits on expansion ratio and total size.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence

from .errors import UnsafeArchiveError
from .naming import is_private_name
from .zipformat import LOCAL_SIZE, ZipLimits, ZipMember

# -- safety -----------------------------------------------------------------------------------------
_DRIVE = re.compile(r"^[A-Za-z]:")


def unsafe_name_reason(name: str) -> Optional[str]:
    """Why ``name`` cannot be extracted safely, or None when it can."""
    if not name or name in ("/", "."):
        return "empty name"
    if "\x00" in name:
        return "NUL byte in the name"
    if "\\" in name:
        return "backslash in the name"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE.match(name):
        return "drive letter"
    if any(part == ".." for part in name.split("/")):
        return "'..' path component"
    parts = member_parts(name)
    if not parts:
        return "names the extraction folder itself"
    if any(is_private_name(part) for part in parts):
        return "reserved for Scene Picker's own files"
    return None


def member_parts(name: str) -> tuple[str, ...]:
    """The path components of a safe member name (``.`` and empty components dropped)."""
    return tuple(part for part in name.split("/") if part not in ("", "."))


def check_archive(members: Sequence[ZipMember], cd_offset: int, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse the whole archive when any member is unsafe.

    Unsafe: a zip-slip name (absolute, ``..``, drive letter, backslash), a symlink or device entry,
    two members extracting to the same path, members whose data overlap or run into the central
    directory (the overlapping-entries zip bomb), a declared expansion ratio or total size beyond
    ``limits``. Raises :class:`UnsafeArchiveError` naming the first offending member.
    """
    seen: dict[tuple[str, ...], str] = {}
    total = 0
    for member in members:
        reason = unsafe_name_reason(member.name)
        if reason:
            raise UnsafeArchiveError(f"unsafe member {member.name!r} ({reason}): archive refused")
        if member.is_symlink:
            raise UnsafeArchiveError(f"member {member.name!r} is a symbolic link: archive refused")
        if member.is_special:
            raise UnsafeArchiveError(f"member {member.name!r} is a device or FIFO entry: archive refused")
        parts = member_parts(member.name)
        if parts and not member.is_dir:
            if parts in seen:
                raise UnsafeArchiveError(
                    f"member {member.name!r} appears twice in the archive: archive refused"
                )
            seen[parts] = member.name
        if member.file_size > limits.ratio_min_size and (
            member.compressed_size == 0 or member.file_size / member.compressed_size > limits.max_ratio
        ):
            raise UnsafeArchiveError(
                f"member {member.name!r} expands {member.compressed_size} bytes to {member.file_size} "
                f"(ratio above {limits.max_ratio:g}): looks like a zip bomb, archive refused"
            )
        total += member.file_size
    if total > limits.max_total_size:
        raise UnsafeArchiveError(
            f"archive expands to {total} bytes, more than the limit of {limits.max_total_size}: "
            "archive refused"
        )
    for parts in seen:  # a file standing where another member needs a folder
        for i in range(1, len(parts)):
            if parts[:i] in seen:
                raise UnsafeArchiveError(
                    f"member {seen[parts]!r} lies under file member {seen[parts[:i]]!r}: archive refused"
                )
    _check_no_overlap(members, cd_offset)


def _check_no_overlap(members: Sequence[ZipMember], cd_offset: int) -> None:
    """Member spans (local header, name, data) may neither overlap nor run into the directory."""

    def span_end(member: ZipMember) -> int:
        return member.header_offset + LOCAL_SIZE + len(member.raw_name) + member.compressed_size

    ordered = sorted(members, key=lambda m: m.header_offset)
    for previous, member in zip(ordered, ordered[1:]):
        if member.header_offset < span_end(previous):
            raise UnsafeArchiveError(
                f"members {previous.name!r} and {member.name!r} overlap (zip bomb): archive refused"
            )
    if ordered and span_end(ordered[-1]) > cd_offset:
        raise UnsafeArchiveError(
            f"member {ordered[-1].name!r} runs into the central directory: archive refused"
        )
