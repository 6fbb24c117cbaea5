"""Partial extraction from a zip archive on an HTTP server, with range requests.

Owns :class:`RemoteZip`: it reads the end-of-central-directory record and the central directory with
as few range requests as possible (one suffix range usually covers both), lists the members, and
fetches only the wanted members' bytes: adjacent wanted members share one request when the gap between
them is small, and bytes already read with the directory are not fetched again. Members are
decompressed while they stream (stored, deflate, bzip2, lzma), their CRC32 checked, and written to a
unique temporary file in the folder's private ``.scene-picker/tmp/``, fsynced once and renamed
atomically; a member that fails its check is fetched once more, then
:class:`~scene_picker.core.errors.ChecksumMismatchError` is raised. An archive holding any unsafe
member (zip-slip name, symlink, zip bomb) is refused as a whole before anything is written.

The range requests themselves (bounded, open-ended, or chosen per host) are made by
:class:`~scene_picker.core.rangereader.RangeReader`.

The zip format itself (parsing, safety rules, decoding) is in :mod:`scene_picker.core.zipformat`.
"""

from __future__ import annotations

import bisect
import fnmatch
import logging
import os
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union
from urllib.parse import unquote, urlsplit

import requests

from .cancel import CancelToken
from .checksums import Checksum
from .errors import (
    ArchiveError,
    ChecksumMismatchError,
    UnsafeArchiveError,
    UsageError,
)
from .http import HttpClient
from .naming import temp_path, tidy_private
from .progress import ProgressCallback, ProgressMeter
from .rangereader import (  # noqa: F401 - re-exported
    OPEN_ENDED,
    RANGE_MODES,
    ByteStream,
    RangeReader,
    forget_range_modes,
    remember_range_mode,
    remembered_range_mode,
)
from .transfer import output_error
from .zipdecode import MemberDecoder, check_supported
from .zipformat import (
    LOCAL_SIZE,
    EndOfCentralDirectory,
    ZipLimits,
    ZipMember,
    check_local_header,
    parse_local_header,
    read_directory,
)
from .zipsafety import check_archive, member_parts

log = logging.getLogger(__name__)


@dataclass
class _Run:
    """Wanted members read with one range: ``[start, end)`` of the archive."""

    start: int
    end: int
    members: list[ZipMember]


@dataclass
class ExtractStats:
    """What the last :meth:`RemoteZip.extract` did."""

    written: int = 0
    skipped: int = 0
    refetched: int = 0
    runs: int = 0


class RemoteZip:
    """A zip archive at ``url`` read with range requests through ``http``.

    ``tail_size`` is the first suffix range (it usually holds the whole central directory);
    ``max_gap`` is the largest gap between two wanted members still read with one request
    (``open_ended_gap`` in open-ended mode, where closing and reopening costs more); ``limits`` are
    the zip-bomb guards.
    """

    def __init__(
        self,
        url: str,
        http: HttpClient,
        range_mode: str = "auto",
        *,
        tail_size: int = 8 * 1024,
        max_gap: int = 32 * 1024,
        open_ended_gap: int = 2 * 1024 * 1024,
        limits: ZipLimits = ZipLimits(),
        cancel: Optional[CancelToken] = None,
    ) -> None:
        self.url = url
        self.http = http
        self.reader = RangeReader(url, http, range_mode, cancel=cancel)
        self.tail_size = max(64, tail_size)
        self.max_gap = max_gap
        self.open_ended_gap = open_ended_gap
        self.limits = limits
        self.cancel = cancel
        self.stats = ExtractStats()
        self._eocd: Optional[EndOfCentralDirectory] = None
        self._members: Optional[list[ZipMember]] = None
        self._tail = b""
        self._tail_offset = 0
        self._committed: list[Path] = []
        self._commits: list[tuple[Future, Path]] = []
        self._committer: Optional[ThreadPoolExecutor] = None

    @property
    def name(self) -> str:
        """The archive's file name, from the URL."""
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1]) or "archive.zip"

    @property
    def size(self) -> int:
        self._load()
        assert self.reader.size is not None
        return self.reader.size

    @property
    def comment(self) -> bytes:
        self._load()
        assert self._eocd is not None
        return self._eocd.comment

    def members(self) -> list[ZipMember]:
        """Every member, in central-directory order (reads the directory on first use)."""
        self._load()
        assert self._members is not None
        return list(self._members)

    def select(self, patterns: Sequence[str]) -> list[ZipMember]:
        """Members (not folders) whose full path matches any glob pattern or equals a pattern.

        A pattern that matches nothing is a :class:`UsageError` (nothing asked may go missing).
        """
        if not patterns:
            raise UsageError("give at least one member name or glob pattern")
        files = [m for m in self.members() if not m.is_dir]
        chosen: dict[int, ZipMember] = {}
        for pattern in patterns:
            hits = [m for m in files if m.name == pattern or fnmatch.fnmatchcase(m.name, pattern)]
            if not hits:
                raise UsageError(
                    f"no member of {self.name} matches {pattern!r} (list them with: scene-picker members URL)"
                )
            for member in hits:
                chosen[member.header_offset] = member
        return sorted(chosen.values(), key=lambda m: m.header_offset)

    def extract(
        self,
        patterns: Sequence[str],
        outdir: Union[str, Path],
        keep_folders: bool = True,
        progress: Optional[ProgressCallback] = None,
        cancel: Optional[CancelToken] = None,
        *,
        overwrite: bool = False,
    ) -> list[Path]:
        """Fetch the members matching ``patterns`` into ``outdir``; returns their paths (archive order).

        With ``keep_folders`` the archive's folders are kept under ``outdir``, else the files land
        flat in it (two members with one file name are then refused). A file already there with the
        member's size and CRC32 is kept without fetching, unless ``overwrite``.
        """
        cancel = cancel or self.cancel
        self.reader.cancel = cancel
        members = self.members()
        assert self._eocd is not None
        check_archive(members, self._eocd.cd_offset, self.limits)
        wanted = self.select(patterns)
        for member in wanted:
            check_supported(member)
        root = Path(outdir)
        targets = self._targets(wanted, root, keep_folders)
        self.stats = ExtractStats()
        todo = []
        for member in wanted:
            target = targets[member.header_offset]
            if not overwrite and _already_there(target, member):
                self.stats.skipped += 1
            else:
                todo.append(member)
        meter = ProgressMeter(
            f"{self.name} ({len(todo)} member{'s' if len(todo) != 1 else ''})",
            sum(m.compressed_size for m in todo),
            progress,
        )
        meter.update(0, force=True)
        self._committed = []
        try:
            self._fetch_and_commit(todo, targets, meter, cancel, root)
        except OSError as exc:  # a local write failed (disk full, a file where a folder must be...)
            if isinstance(exc, requests.RequestException):
                raise
            raise output_error(exc, root) from None
        meter.finish()
        return [targets[m.header_offset] for m in wanted]

    # -- internals ----------------------------------------------------------------------------------
    def _fetch_and_commit(
        self,
        todo: Sequence[ZipMember],
        targets: dict[int, Path],
        meter: ProgressMeter,
        cancel: Optional[CancelToken],
        root: Path,
    ) -> None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="remotezip-commit") as committer:
            self._committer = committer
            try:
                try:
                    self._fetch_all(todo, targets, meter, cancel)
                finally:
                    commit_error = self._wait_commits()
                if commit_error is not None:
                    raise commit_error
            except UnsafeArchiveError:
                # A member lied about its size while streaming: the archive is refused as a whole,
                # so what this call already wrote goes too.
                for path in self._committed:
                    path.unlink(missing_ok=True)
                    _remove_empty_folders(path.parent, root)
                raise

    def _load(self) -> None:
        if self._members is not None:
            return
        self._tail = self.reader.suffix(self.tail_size)
        size = self.reader.size
        assert size is not None
        self._tail_offset = size - len(self._tail)
        self._eocd, self._members = read_directory(self.reader.read, size, self._tail, self.limits)

    def _targets(self, wanted: Sequence[ZipMember], root: Path, keep_folders: bool) -> dict[int, Path]:
        resolved_root = root.resolve()
        targets: dict[int, Path] = {}
        seen: dict[Path, str] = {}
        for member in wanted:
            parts = member_parts(member.name)
            target = root.joinpath(*parts) if keep_folders else root / parts[-1]
            if target in seen:
                raise UsageError(
                    f"members {seen[target]!r} and {member.name!r} would both be written to {target}; "
                    "keep the archive's folders"
                )
            seen[target] = member.name
            if not target.resolve().is_relative_to(resolved_root):  # a symlinked folder inside outdir
                raise UnsafeArchiveError(f"member {member.name!r} would be written outside {root}")
            targets[member.header_offset] = target
        return targets

    def _fetch_all(
        self,
        todo: Sequence[ZipMember],
        targets: dict[int, Path],
        meter: ProgressMeter,
        cancel: Optional[CancelToken],
    ) -> None:
        failed = self._fetch(todo, targets, meter, cancel)
        if failed:
            self.stats.refetched += len(failed)
            still = self._fetch([m for m, _ in failed], targets, meter, cancel, one_by_one=True)
            if still:
                error = still[0][1]
                if isinstance(error, ChecksumMismatchError):
                    raise ChecksumMismatchError(f"{error} (also after fetching it again)")
                raise error

    def _wait_commits(self) -> Optional[OSError]:
        """Wait for every handed-over member; returns the first commit failure (disk full...)."""
        first: Optional[OSError] = None
        for future, target in self._commits:
            try:
                future.result()
                self._committed.append(target)
            except OSError as exc:
                log.error("%s: could not write %s: %s", self.name, target, exc)
                first = first or exc
        self._commits = []
        return first

    def _spans(self) -> dict[int, int]:
        """End of each member's bytes (local header + data + descriptor): the next member's header or
        the central directory, capped by the largest local header a member can have."""
        assert self._members is not None and self._eocd is not None
        starts = sorted({m.header_offset for m in self._members})
        ends: dict[int, int] = {}
        for member in self._members:
            index = bisect.bisect_left(starts, member.header_offset)
            following = starts[index + 1] if index + 1 < len(starts) else self._eocd.cd_offset
            longest = member.header_offset + LOCAL_SIZE + 0xFFFF * 2 + member.compressed_size + 24
            ends[member.header_offset] = min(following, longest)
        return ends

    def _plan(self, members: Sequence[ZipMember], one_by_one: bool) -> list[_Run]:
        ends = self._spans()
        gap = self.open_ended_gap if self.reader.current_mode == OPEN_ENDED else self.max_gap
        runs: list[_Run] = []
        for member in sorted(members, key=lambda m: m.header_offset):
            start, end = member.header_offset, ends[member.header_offset]
            if runs and not one_by_one and start - runs[-1].end <= gap:
                runs[-1].end = max(runs[-1].end, end)
                runs[-1].members.append(member)
            else:
                runs.append(_Run(start, end, [member]))
        return runs

    def _run_chunks(self, run: _Run, use_tail: bool = True) -> Iterator[bytes]:
        """The run's bytes: from the network up to the cached tail, then from the tail (all from
        the network when not ``use_tail``: a refetch must not re-read bytes that came damaged)."""
        network_end = min(run.end, self._tail_offset) if use_tail else run.end
        if run.start < network_end:
            yield from self.reader.iter_range(run.start, network_end)
        if use_tail and run.end > self._tail_offset:
            yield self._tail[
                max(run.start, self._tail_offset) - self._tail_offset : run.end - self._tail_offset
            ]

    def _fetch(
        self,
        members: Sequence[ZipMember],
        targets: dict[int, Path],
        meter: ProgressMeter,
        cancel: Optional[CancelToken],
        one_by_one: bool = False,
    ) -> list[tuple[ZipMember, Exception]]:
        failed: list[tuple[ZipMember, Exception]] = []
        remaining = list(members)
        while remaining:
            # Planned again before each run: after a switch to open-ended ranges, runs merge wider.
            run = self._plan(remaining, one_by_one)[0]
            done = {m.header_offset for m in run.members}
            remaining = [m for m in remaining if m.header_offset not in done]
            self.stats.runs += 1
            chunks = self._run_chunks(run, use_tail=not one_by_one)  # one by one: a refetch
            try:
                stream = ByteStream(chunks, run.start)
                for member in run.members:
                    error = self._extract_member(stream, member, targets[member.header_offset], meter, cancel)
                    if error is not None:
                        log.warning("%s: %s; will fetch it again", self.name, error)
                        failed.append((member, error))
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()  # ends a response still open (the server stops sending)
        return failed

    def _extract_member(
        self,
        stream: ByteStream,
        member: ZipMember,
        target: Path,
        meter: ProgressMeter,
        cancel: Optional[CancelToken],
    ) -> Optional[Exception]:
        """Stream one member to ``target``; returns the integrity error to retry on, or None."""
        stream.skip_to(member.header_offset)
        header = parse_local_header(stream.read(LOCAL_SIZE))
        raw_name = stream.read(header.name_length)
        stream.read(header.extra_length)
        check_local_header(member, header, raw_name)
        decoder = MemberDecoder(member)
        part = _PartFile(target)
        error: Optional[Exception] = None
        try:
            for piece in stream.pieces(member.compressed_size):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                meter.add(len(piece))
                if error is None:
                    try:
                        for out in decoder.feed(piece):
                            part.write(out)
                    except UnsafeArchiveError:
                        raise
                    except ArchiveError as exc:
                        error = exc
            if error is None:
                try:
                    for out in decoder.finish():
                        part.write(out)
                except UnsafeArchiveError:
                    raise
                except ArchiveError as exc:
                    error = exc
            if error is None and not decoder.crc_ok:
                error = ChecksumMismatchError(
                    f"member {member.name!r}: CRC32 {decoder.crc:08x} instead of {member.crc32:08x}"
                )
            if error is None:
                # fsync and rename on the committer thread while the next member streams in
                part.hand_over()
                assert self._committer is not None
                self._commits.append((self._committer.submit(part.commit, member.date_time), target))
                self.stats.written += 1
        finally:
            part.discard()
        return error


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _already_there(target: Path, member: ZipMember) -> bool:
    try:
        if not target.is_file() or target.stat().st_size != member.file_size:
            return False
    except OSError:
        return False
    return Checksum.from_crc32(member.crc32).matches_file(target)


class _PartFile:
    """``<target>.part`` written, then (see :meth:`commit`) fsynced and renamed over ``target``;
    removed if not committed."""

    def __init__(self, target: Path) -> None:
        self.target = target
        # a unique name in the private folder: no member, asset or other process can name it
        self.part = temp_path(target, f".{uuid.uuid4().hex[:12]}.part")
        while True:
            try:
                self._file = open(self.part, "xb")  # noqa: SIM115 - closed in commit()/discard()
                break
            except FileNotFoundError:  # missing, or just tidied away by a finished member
                self.part.parent.mkdir(parents=True, exist_ok=True)
        self._handed_over = False

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def hand_over(self) -> None:
        """All bytes are written and verified: from now on only :meth:`commit` may touch the file."""
        self._file.flush()
        self._handed_over = True

    def commit(self, date_time: Iterable[int]) -> None:
        """fsync, stamp with the member's date and rename (runs on the committer thread)."""
        try:
            os.fsync(self._file.fileno())
            self._file.close()
            try:
                stamp = time.mktime((*date_time, 0, 0, -1))  # type: ignore[arg-type]
                os.utime(self.part, (stamp, stamp))
            except (OverflowError, ValueError, OSError):
                pass
            os.replace(self.part, self.target)
        except BaseException:
            self._file.close()
            self.part.unlink(missing_ok=True)
            raise
        finally:
            tidy_private(self.target.parent)

    def discard(self) -> None:
        if self._handed_over:
            return
        self._file.close()
        self.part.unlink(missing_ok=True)
        tidy_private(self.target.parent)
