"""Downloading one URL to one file: resumable, verified, atomic, cancellable, constant memory.

:func:`download_file` streams into a ``.part`` file in the folder's private ``.scene-picker/tmp/``
(named from a hash of the destination's name, see :mod:`scene_picker.core.naming`), fsyncs it once
and renames it atomically, so a finished file is never half-written and a cancelled or failed download
leaves nothing under the final name. The whole transfer holds an OS lock (:mod:`.locks`): a second
process (or thread) downloading the same file waits for it, then finds it verified, and never appends
to the same ``.part``. An existing ``.part`` continues with ``Range: bytes=N-`` and ``If-Range``; the
validators (ETag, Last-Modified, total size) of the first answer are kept in a ``.part.json`` record
(URL redacted) and a server that ignores the range (200) or whose resource changed is handled by
starting over cleanly. A body cut short keeps every byte read and resumes from the first missing one,
as long as answers make progress. Before the rename the ``.part`` length is checked against the total
the server announced, and the expected size and checksum are verified; on mismatch the file is fetched
once more, then :class:`~scene_picker.core.errors.IntegrityError` is raised. A verified file gets a
verified record (:mod:`.verified`) so the next run skips it without re-reading it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import requests
import urllib3

from .cancel import CancelToken
from .checksums import Checksum
from .errors import (
    CancelledError,
    ChecksumMismatchError,
    IntegrityError,
    NetworkError,
    OutputError,
    RetriesExhaustedError,
    SizeMismatchError,
)
from .http import HttpClient, interrupt_response
from .locks import exclusive
from .naming import temp_path, tidy_private
from .progress import ProgressCallback, ProgressMeter
from .redact import redact, redact_url
from .verified import is_verified, read_json, record_verified, verified_record_path, write_json

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
#: Every this many bytes, the written range is handed to the kernel's background writeback.
_WRITEBACK_EVERY = 8 << 20
PART_SUFFIX = ".part"
RECORD_SUFFIX = ".part.json"
LOCK_SUFFIX = ".lock"
#: Answers that make no progress in a row before giving up (each waits a back-off first).
_RESTART_LIMIT = 3
_MAX_RESUMES = 10_000
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")
_READ_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


@dataclass(frozen=True)
class TransferResult:
    """The file now at ``path`` (``size`` bytes); ``bytes_fetched`` came over the network this time
    (0 when ``skipped`` because a verified copy was already there)."""

    path: Path
    size: int
    bytes_fetched: int
    skipped: bool


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` accumulate until it is verified (the private temporary folder)."""
    return temp_path(dest, PART_SUFFIX)


def record_path(dest: Path) -> Path:
    """The resume record of ``dest``'s ``.part``: validators and total of the first answer."""
    return temp_path(dest, RECORD_SUFFIX)


def lock_path(dest: Path) -> Path:
    return temp_path(dest, LOCK_SUFFIX)


def download_file(
    url: str,
    dest: Path,
    *,
    http: HttpClient,
    expected_size: Optional[int] = None,
    checksum: Optional[Checksum] = None,
    overwrite: bool = False,
    progress: Optional[ProgressCallback] = None,
    cancel: Optional[CancelToken] = None,
    headers: Optional[Mapping[str, str]] = None,
    chunk_size: int = CHUNK_SIZE,
) -> TransferResult:
    """Download ``url`` to ``dest`` (see the module docstring).

    Raises :class:`CancelledError` (the ``.part`` stays for a later resume),
    :class:`SizeMismatchError` / :class:`ChecksumMismatchError` after one refetch,
    :class:`RetriesExhaustedError` when the server keeps failing, :class:`HttpStatusError` for a
    final HTTP error, :class:`OutputError` when the destination cannot be written.
    """
    dest = Path(dest)
    cancel = CancelToken.ensure(cancel)
    try:
        return _download(
            url, dest, http, expected_size, checksum, overwrite, progress, cancel, headers, chunk_size
        )
    except OSError as exc:
        if isinstance(exc, requests.RequestException):  # requests' errors are OSErrors too
            raise
        raise output_error(exc, dest) from None
    finally:
        tidy_private(dest.parent)


def output_error(exc: OSError, path: Path) -> OutputError:
    """The :class:`OutputError` for a failed local write (``path`` when the error names no file)."""
    return OutputError(
        f"Cannot write {exc.filename or path}: {exc.strerror or exc}. "
        "Check the output folder's permissions and free space."
    )


def _download(
    url: str,
    dest: Path,
    http: HttpClient,
    expected_size: Optional[int],
    checksum: Optional[Checksum],
    overwrite: bool,
    progress: Optional[ProgressCallback],
    cancel: CancelToken,
    headers: Optional[Mapping[str, str]],
    chunk_size: int,
) -> TransferResult:
    dest.parent.mkdir(parents=True, exist_ok=True)

    def waiting() -> None:
        log.warning("%s is already being downloaded by another process; waiting for it", dest)

    with exclusive(lock_path(dest), cancel=cancel, on_wait=waiting, remove=True):
        part_path(dest).parent.mkdir(parents=True, exist_ok=True)
        if overwrite:
            _unlink(verified_record_path(dest), part_path(dest), record_path(dest))
        elif is_verified(dest, expected_size, checksum):
            size = dest.stat().st_size
            meter = ProgressMeter(dest.name, size, progress, done=size)
            meter.finish()
            log.info("%s is already complete and verified; skipped", dest)
            return TransferResult(dest, size, 0, True)
        job = _Transfer(url, dest, http, expected_size, checksum, progress, cancel, headers, chunk_size)
        return job.run()


class _Transfer:
    def __init__(
        self,
        url: str,
        dest: Path,
        http: HttpClient,
        expected_size: Optional[int],
        checksum: Optional[Checksum],
        progress: Optional[ProgressCallback],
        cancel: CancelToken,
        headers: Optional[Mapping[str, str]],
        chunk_size: int,
    ) -> None:
        self.url = url
        self.dest = dest
        self.part = part_path(dest)
        self.record = record_path(dest)
        self.http = http
        self.expected_size = expected_size
        self.checksum = checksum
        self.cancel = cancel
        self.headers = dict(headers or {})
        self.chunk_size = chunk_size
        self.meter = ProgressMeter(dest.name, expected_size, progress)
        self.fetched = 0
        self.validators: dict[str, Any] = {}
        self.total: Optional[int] = None

    def run(self) -> TransferResult:
        problem: Optional[IntegrityError] = None
        for round_ in (1, 2):
            size, digest = self._fetch_part()
            problem = self._check(size, digest)
            if problem is None:
                break
            _unlink(self.part, self.record)
            if round_ == 1:
                log.warning("%s; fetching it once more", problem)
        if problem is not None:
            raise type(problem)(f"{problem} (also after fetching it again; the server's copy may be bad)")
        _unlink(verified_record_path(self.dest))
        with open(self.part, "rb+") as handle:  # also when completed by an earlier, killed process
            os.fsync(handle.fileno())
        os.replace(self.part, self.dest)
        _fsync_dir(self.dest.parent)
        _unlink(self.record)
        record_verified(self.dest, self.url, self.checksum, self.validators)
        self.meter.finish()
        return TransferResult(self.dest, self.dest.stat().st_size, self.fetched, False)

    def _check(self, size: int, digest: Optional[str]) -> Optional[IntegrityError]:
        name = self.dest.name
        if self.total is not None and size != self.total:
            return SizeMismatchError(
                f"{name}: the .part holds {size} bytes, the server announced {self.total}"
            )
        if self.expected_size is not None and size != self.expected_size:
            return SizeMismatchError(f"{name}: got {size} bytes, expected {self.expected_size}")
        if self.checksum is not None and digest is not None and not self.checksum.matches(digest):
            return ChecksumMismatchError(
                f"{name}: {self.checksum.algorithm} is {digest}, expected {self.checksum.hexdigest}"
            )
        return None

    # -- fetching into the .part ------------------------------------------------------------------
    def _fetch_part(self) -> tuple[int, Optional[str]]:
        """Fill the ``.part`` completely; return its size and checksum (when one is expected)."""
        state = self._load_state()
        offset = self.part.stat().st_size if state is not None and self.part.exists() else 0
        if state is None:
            _unlink(self.part, self.record)
            state = {}
        hasher = self._hasher(offset)
        self.meter.reset(offset, state.get("total") or self.expected_size)
        stalls = restarts = 0
        for _ in range(_MAX_RESUMES):
            self.cancel.raise_if_cancelled(f"The download of {self.dest.name}")
            outcome, offset, state, hasher = self._one_request(offset, state, hasher)
            if outcome == "done":
                break
            if outcome == "restart":
                restarts += 1
                if restarts > _RESTART_LIMIT:
                    raise NetworkError(
                        f"{redact_url(self.url)} keeps changing or ignoring ranges; "
                        f"gave up after {_RESTART_LIMIT} fresh starts."
                    )
                continue
            # interrupted: continue from the first missing byte, waiting only when nothing came
            if outcome == "progress":
                stalls = 0
                continue
            stalls += 1
            if stalls >= self.http.retry.max_attempts:
                raise RetriesExhaustedError(
                    f"The download of {redact_url(self.url)} broke off {stalls} times in a row without "
                    f"progress at byte {offset}; the .part file is kept, run it again later to resume."
                )
            self.http.retry.wait(self.http.retry.backoff(stalls), self.cancel)
        else:  # pragma: no cover - needs 10 000 interruptions
            raise RetriesExhaustedError(f"The download of {redact_url(self.url)} was interrupted too often.")
        size = self.part.stat().st_size
        self.total = state.get("total")
        return size, hasher.hexdigest() if hasher is not None else None

    def _one_request(self, offset: int, state: dict, hasher: Any) -> tuple[str, int, dict, Any]:
        headers = {"Accept-Encoding": "identity", **self.headers}
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
            validator = _if_range_value(state)
            if validator:
                headers["If-Range"] = validator
        response = self.http.request(
            "GET", self.url, headers=headers, stream=True, accept_status=(416,), cancel=self.cancel
        )
        with response:
            status = response.status_code
            if status == 416:
                match = _UNSATISFIED_RANGE.match(response.headers.get("Content-Range", ""))
                total = int(match.group(1)) if match else None
                if offset > 0 and total == offset and state.get("total") in (None, offset):
                    return "done", offset, state, hasher
                log.info("%s: range %s- not satisfiable; starting over", self.dest.name, offset)
                return self._restart()
            fresh = _validators(response)
            if status == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if match is None or int(match.group(1)) != offset:
                    log.info("%s: unexpected Content-Range; starting over", self.dest.name)
                    return self._restart()
                total = None if match.group(3) == "*" else int(match.group(3))
                if _changed(state, fresh, total):
                    log.info("%s changed on the server since the .part began; starting over", self.dest.name)
                    return self._restart()
                mode = "ab"
            else:  # 200: the whole body (range ignored, or If-Range found the resource changed)
                if offset > 0:
                    log.info(
                        "%s: the server sent the whole file instead of a range; restarting", self.dest.name
                    )
                    offset = 0
                    hasher = self._hasher(0)
                total = _content_length(response)
                mode = "wb"
            if total is not None and self.expected_size is not None and total != self.expected_size:
                raise SizeMismatchError(
                    f"{self.dest.name}: the server announces {total} bytes but the catalog says "
                    f"{self.expected_size}; not downloaded."
                )
            state = {"url": redact_url(self.url), "total": total, **fresh}
            self.validators = fresh
            if mode == "wb" or not self.record.exists():
                write_json(self.record, state)
            self.meter.reset(offset, total)
            start = offset
            offset, interrupted = self._stream(response, mode, offset, hasher)
        if total is not None and offset > total:
            log.warning("%s: more bytes than announced; starting over", self.dest.name)
            return self._restart()
        if total is not None and offset == total or total is None and interrupted is None:
            return "done", offset, state, hasher
        log.info(
            "%s: body ended at byte %s of %s (%s); resuming",
            self.dest.name,
            offset,
            total,
            redact(str(interrupted or "short body"))[:200],
        )
        return ("progress" if offset > start else "stall"), offset, state, hasher

    def _stream(self, response: requests.Response, mode: str, offset: int, hasher: Any):
        """Append the body to the .part; returns (new size, the read error that ended it or None)."""
        chunks = _body_chunks(response, self.chunk_size)
        cancel = self.cancel
        meter = self.meter
        interrupted: Optional[BaseException] = None
        # A cancel shuts the connection down, so a read blocked on a stalled server returns at once.
        with (
            open(self.part, mode, buffering=0) as handle,
            cancel.interrupting(lambda: interrupt_response(response)),
        ):
            fd = handle.fileno()
            flushed = offset  # bytes before this offset were handed to the kernel's writeback
            while True:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except _READ_ERRORS as exc:
                    interrupted = exc
                    break
                count = len(chunk)
                written = handle.write(chunk)
                while written < count:  # a raw write may be partial
                    written += handle.write(chunk[written:])
                if hasher is not None:
                    hasher.update(chunk)
                offset += count
                self.fetched += count
                meter.update(offset)
                if offset - flushed >= _WRITEBACK_EVERY:
                    _start_writeback(fd, flushed, offset - flushed)
                    flushed = offset
                if cancel.is_cancelled():
                    break
            if cancel.is_cancelled():  # also when the interrupt ended the read (short body or error)
                raise CancelledError(
                    f"The download of {self.dest.name} was cancelled (the .part is kept to resume)."
                )
        return offset, interrupted

    def _restart(self) -> tuple[str, int, dict, Any]:
        _unlink(self.part, self.record)
        self.meter.reset(0)
        return "restart", 0, {}, self._hasher(0)

    def _hasher(self, offset: int) -> Any:
        """A fresh hasher fed with the first ``offset`` bytes already in the .part."""
        if self.checksum is None:
            return None
        hasher = self.checksum.hasher()
        if offset:
            remaining = offset
            with open(self.part, "rb") as handle:
                while remaining > 0:
                    data = handle.read(min(CHUNK_SIZE, remaining))
                    if not data:
                        break
                    hasher.update(data)
                    remaining -= len(data)
        return hasher

    def _load_state(self) -> Optional[dict]:
        if not self.part.exists():
            return None
        state = read_json(self.record)
        if not state or state.get("url") != redact_url(self.url):
            return None
        return state


# -- helpers ------------------------------------------------------------------------------------------
def _body_chunks(response: requests.Response, size: int) -> Iterator[Any]:
    """The body in chunks of up to ``size`` bytes, each what one read returned.

    For an identity-encoded body the bytes are read straight from the underlying ``http.client``
    response, one socket read per chunk (``read1``): on a slow link progress moves with every read
    instead of once per ``size`` bytes, at the throughput of whole-buffer reads on a fast one, and a
    connection reset loses nothing already received (each read is yielded, and written, before the
    next); otherwise ``iter_content`` decodes as usual.
    """
    fp = getattr(response.raw, "_fp", None)
    encoding = response.headers.get("Content-Encoding", "identity").lower()
    if fp is None or not hasattr(fp, "read1") or encoding not in ("", "identity"):
        yield from response.iter_content(size)
        return
    while True:
        data = fp.read1(size)
        if not data:
            return
        yield data


def _validators(response: requests.Response) -> dict[str, Optional[str]]:
    return {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
    }


def _if_range_value(state: Mapping[str, Any]) -> Optional[str]:
    etag = state.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return state.get("last_modified")


def _changed(state: Mapping[str, Any], fresh: Mapping[str, Optional[str]], total: Optional[int]) -> bool:
    if not state:
        return False
    for key in ("etag", "last_modified"):
        if state.get(key) and fresh.get(key) and state[key] != fresh[key]:
            return True
    return state.get("total") is not None and total is not None and state["total"] != total


def _content_length(response: requests.Response) -> Optional[int]:
    value = response.headers.get("Content-Length")
    encoding = response.headers.get("Content-Encoding", "identity").lower()
    if value and value.isdigit() and encoding in ("", "identity"):
        return int(value)
    return None


def _unlink(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Let the kernel write this range to disk now, in the background, and drop it from the page
    cache once written: the final fsync then has little left to do, and a large download does not
    evict everything else from memory. A no-op where ``posix_fadvise`` does not exist."""
    with contextlib.suppress(AttributeError, OSError):
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
