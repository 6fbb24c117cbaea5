"""download_file against nginx through the fault proxy: every fault ends with the right bytes (SHA-256)
or a specific error, and never with a partial file under the final name."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from scene_picker.core.auth import BearerAuth, OidcTokenProvider
from scene_picker.core.cancel import CancelToken
from scene_picker.core.checksums import Checksum
from scene_picker.core.errors import (
    CancelledError,
    ChecksumMismatchError,
    HttpStatusError,
    RetriesExhaustedError,
    SizeMismatchError,
)
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.transfer import download_file, part_path, record_path, verified_record_path

from support.fixtures_engine import make_bytes, sha256

MEDIUM = "medium.bin"
MIB = 1 << 20


def fast_client(**kwargs) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=4, backoff_base=0.01, sleep=waits.append)
    return HttpClient(retry=policy, **kwargs), waits


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def body_bytes(proxy) -> int:
    """File bytes the proxy sent (error answers' own bodies left out)."""
    return sum(r.bytes_sent for r in proxy.log if r.status in (200, 206) and r.path != "/token")


def assert_no_leftovers(dest) -> None:
    assert not part_path(dest).exists()
    assert not record_path(dest).exists()


def assert_nothing_final(dest) -> None:
    assert not dest.exists()
    assert not verified_record_path(dest).exists()


# -- the fault matrix (acceptance 1) ------------------------------------------------------------------
FAULTS = {
    "cut-once": dict(cut_after=MIB + 17, cut_times=1),
    "cut-every-answer": dict(cut_after=700_000),
    "short-bounded-ranges": dict(short_ranges=1000),
    "ignore-range-after-cut": dict(cut_after=MIB, cut_times=1, ignore_range=True),
    "429-retry-after": dict(status_429=2, retry_after="2"),
    "503-a-few-times": dict(status_503=3),
    "flip-a-byte-once": dict(flip_offset=2 * MIB + 5),
    "flip-and-cut": dict(flip_offset=10, cut_after=MIB, cut_times=2),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_survived_with_right_bytes(fault, proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    proxy.configure(**FAULTS[fault])
    http, waits = fast_client()
    dest = tmp_path / MEDIUM
    result = download_file(
        proxy.url(MEDIUM),
        dest,
        http=http,
        expected_size=len(data),
        checksum=Checksum("sha256", sha256(data)),
    )
    assert digest(dest) == sha256(data)
    assert result.size == len(data) and not result.skipped
    assert result.bytes_fetched == body_bytes(proxy)
    assert_no_leftovers(dest)
    assert json.loads(verified_record_path(dest).read_text())["checksum"]["hexdigest"] == sha256(data)
    if fault == "429-retry-after":
        assert waits == [2.0, 2.0]
    if fault == "cut-once":
        ranges = [r.range for r in proxy.log]
        assert ranges == [None, f"bytes={MIB + 17}-"]
        assert proxy.bytes_sent == len(data)  # nothing fetched twice
    if fault.startswith("flip"):
        assert proxy.bytes_sent >= 2 * len(data) - 2 * MIB  # verified, deleted, fetched once more


def test_bearer_token_expiring_mid_transfer(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    # The token is good for one request; the body is cut so a second request is needed: 401, refresh.
    proxy.configure(require_bearer=True, token_life_requests=1, cut_after=MIB, cut_times=1)
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    http, _ = fast_client(auth=BearerAuth(provider, hosts=["127.0.0.1"]))
    dest = tmp_path / MEDIUM
    download_file(proxy.url(MEDIUM), dest, http=http, checksum=Checksum("sha256", sha256(data)))
    assert digest(dest) == sha256(data)
    assert [r.status for r in proxy.log if r.path == f"/{MEDIUM}"] == [200, 401, 206]
    assert proxy.token_grants == ["password", "refresh_token"]
    assert body_bytes(proxy) == len(data)


def test_byte_flipped_every_time_fails_loudly(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    proxy.configure(flip_offset=123, flip_times=None)
    dest = tmp_path / MEDIUM
    with pytest.raises(ChecksumMismatchError, match="also after fetching it again"):
        download_file(proxy.url(MEDIUM), dest, http=fast_client()[0], checksum=Checksum("md5", "0" * 32))
    assert_nothing_final(dest)
    assert_no_leftovers(dest)
    assert proxy.requests == 2 and proxy.bytes_sent == 2 * len(data)


def test_connection_never_progressing_ends_in_retries_exhausted(proxy, tmp_path):
    proxy.configure(cut_after=0)
    dest = tmp_path / MEDIUM
    with pytest.raises(RetriesExhaustedError, match="without progress"):
        download_file(proxy.url(MEDIUM), dest, http=fast_client()[0])
    assert_nothing_final(dest)
    assert proxy.requests == 4  # bounded by the retry policy


def test_persistent_503_ends_in_retries_exhausted(proxy, tmp_path):
    proxy.configure(status_503=50)
    dest = tmp_path / MEDIUM
    with pytest.raises(RetriesExhaustedError):
        download_file(proxy.url(MEDIUM), dest, http=fast_client()[0])
    assert_nothing_final(dest)


def test_missing_file_is_status_error(proxy, tmp_path):
    dest = tmp_path / "nothing.bin"
    with pytest.raises(HttpStatusError) as info:
        download_file(proxy.url("nothing.bin"), dest, http=fast_client()[0])
    assert info.value.status == 404
    assert_nothing_final(dest)
    assert_no_leftovers(dest)


def test_announced_size_differs_from_catalog(proxy, sample_files, tmp_path):
    dest = tmp_path / MEDIUM
    with pytest.raises(SizeMismatchError, match="announces"):
        download_file(proxy.url(MEDIUM), dest, http=fast_client()[0], expected_size=12345)
    assert_nothing_final(dest)
    assert proxy.bytes_sent < len(sample_files[MEDIUM])


# -- cancel, resume, validators -------------------------------------------------------------------------
def cancel_when_part_has(dest, limit: int) -> CancelToken:
    """A token that cancels once the .part holds ``limit`` bytes (checked between chunks)."""
    part = part_path(dest)
    return CancelToken.from_callable(lambda: part.exists() and part.stat().st_size >= limit)


def test_cancel_keeps_part_and_next_run_resumes(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    dest = tmp_path / MEDIUM
    http = fast_client()[0]
    with pytest.raises(CancelledError):
        download_file(proxy.url(MEDIUM), dest, http=http, cancel=cancel_when_part_has(dest, MIB))
    assert_nothing_final(dest)
    kept = part_path(dest).stat().st_size
    assert kept >= MIB and record_path(dest).exists()
    proxy.configure()
    result = download_file(proxy.url(MEDIUM), dest, http=http, checksum=Checksum("sha256", sha256(data)))
    assert digest(dest) == sha256(data)
    assert proxy.log[0].range == f"bytes={kept}-" and proxy.log[0].headers.get("if-range")
    assert proxy.bytes_sent == len(data) - kept == result.bytes_fetched
    assert_no_leftovers(dest)


@pytest.mark.parametrize("server_honours_if_range", [True, False])
def test_resource_changed_since_part_restarts_cleanly(server_honours_if_range, served_dir, proxy, tmp_path):
    name = f"changing-{server_honours_if_range}.bin"
    old = make_bytes(3 * MIB, seed=99)
    new = make_bytes(3 * MIB, seed=100)  # same size: only the validators tell
    (served_dir / name).write_bytes(old)
    dest = tmp_path / name
    http = fast_client()[0]
    with pytest.raises(CancelledError):
        download_file(proxy.url(name), dest, http=http, cancel=cancel_when_part_has(dest, MIB))
    (served_dir / name).write_bytes(new)
    stat = (served_dir / name).stat()
    os.utime(served_dir / name, (stat.st_atime + 10, stat.st_mtime + 10))
    proxy.configure(drop_if_range=not server_honours_if_range)
    download_file(proxy.url(name), dest, http=http, checksum=Checksum("sha256", sha256(new)))
    assert digest(dest) == sha256(new)
    if server_honours_if_range:
        assert [r.status for r in proxy.log] == [200]  # If-Range made nginx send the whole new file
    else:  # 206 with a new ETag: noticed by comparing validators, then a clean start
        assert [r.status for r in proxy.log] == [206, 200]
        assert proxy.log[1].range is None


def test_verified_file_is_skipped_without_network(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    dest = tmp_path / MEDIUM
    checksum = Checksum("sha256", sha256(data))
    http = fast_client()[0]
    download_file(proxy.url(MEDIUM), dest, http=http, checksum=checksum)
    proxy.configure()
    result = download_file(proxy.url(MEDIUM), dest, http=http, checksum=checksum, expected_size=len(data))
    assert result.skipped and result.bytes_fetched == 0 and proxy.requests == 0
    # overwrite forces a new transfer
    result = download_file(proxy.url(MEDIUM), dest, http=http, checksum=checksum, overwrite=True)
    assert not result.skipped and proxy.bytes_sent == len(data)


def test_changed_local_file_is_fetched_again(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    dest = tmp_path / MEDIUM
    http = fast_client()[0]
    download_file(proxy.url(MEDIUM), dest, http=http)
    with open(dest, "r+b") as handle:  # damaged after the fact: size changes
        handle.truncate(1000)
    proxy.configure()
    result = download_file(proxy.url(MEDIUM), dest, http=http)
    assert not result.skipped and digest(dest) == sha256(data)


def test_existing_file_matching_checksum_is_adopted(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    dest = tmp_path / MEDIUM
    dest.write_bytes(data)  # e.g. copied by hand: no sidecar
    result = download_file(
        proxy.url(MEDIUM),
        dest,
        http=fast_client()[0],
        checksum=Checksum("md5", hashlib.md5(data).hexdigest()),
    )
    assert result.skipped and proxy.requests == 0 and verified_record_path(dest).exists()


def test_existing_file_without_record_or_checksum_is_replaced(proxy, sample_files, tmp_path):
    dest = tmp_path / MEDIUM
    dest.write_bytes(b"not the right content")
    result = download_file(proxy.url(MEDIUM), dest, http=fast_client()[0])
    assert not result.skipped and digest(dest) == sha256(sample_files[MEDIUM])


def test_complete_part_from_crash_before_rename(proxy, sample_files, tmp_path):
    data = sample_files["small.bin"]
    dest = tmp_path / "small.bin"
    http = fast_client()[0]
    download_file(proxy.url("small.bin"), dest, http=http)
    # Simulate a crash after the last byte but before the rename: a full .part with its record.
    verified_record_path(dest).unlink()
    record = {"url": proxy.url("small.bin"), "total": len(data)}
    os.replace(dest, part_path(dest))
    record_path(dest).write_text(json.dumps(record))
    proxy.configure()
    result = download_file(proxy.url("small.bin"), dest, http=http)
    assert digest(dest) == sha256(data) and result.bytes_fetched == 0
    assert [r.status for r in proxy.log] == [416]


def test_empty_file(proxy, tmp_path):
    dest = tmp_path / "empty.bin"
    result = download_file(proxy.url("empty.bin"), dest, http=fast_client()[0], expected_size=0)
    assert dest.read_bytes() == b"" and result.size == 0


def test_progress_events(nginx, sample_files, tmp_path):
    events = []
    dest = tmp_path / MEDIUM
    download_file(nginx.url(MEDIUM), dest, http=HttpClient(), progress=events.append)
    dones = [e.done for e in events]
    assert dones == sorted(dones) and dones[-1] == len(sample_files[MEDIUM])
    assert events[-1].total == len(sample_files[MEDIUM]) and events[-1].label == MEDIUM


def test_read_timeout_mid_body_resumes(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    # Every answer stops sending after 1 MiB and holds the connection: the read timeout ends each one.
    proxy.configure(stall_after=MIB, stall_timeout=5)
    waits: list[float] = []
    http = HttpClient(timeout=(5.0, 0.3), retry=RetryPolicy(max_attempts=3, sleep=waits.append))
    dest = tmp_path / MEDIUM
    result = download_file(proxy.url(MEDIUM), dest, http=http, checksum=Checksum("sha256", sha256(data)))
    assert digest(dest) == sha256(data)
    ranges = [r.range for r in proxy.log]
    assert ranges[0] is None and len(ranges) >= 4  # at least one stall per MiB
    starts = [int(r[6:-1]) for r in ranges[1:]]
    assert starts == sorted(set(starts)) and 0 < starts[0] <= MIB  # each resume where the data ended
    assert result.bytes_fetched == len(data)


def test_unwritable_destination_is_output_error(proxy, tmp_path):
    from scene_picker.core.errors import OutputError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="Cannot write"):
        download_file(proxy.url(MEDIUM), blocker / "sub" / MEDIUM, http=fast_client()[0])
    assert proxy.requests == 0
