"""Partial extraction from remote zips: Debian's nginx serving generated archives, through the fault
proxy (which counts requests and body bytes, and cuts, flips or refuses ranges on demand)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from scene_picker.core import remotezip
from scene_picker.core.cancel import CancelToken
from scene_picker.core.errors import (
    CancelledError,
    ChecksumMismatchError,
    NetworkError,
    RangeNotSupportedError,
    UnsafeArchiveError,
    UsageError,
)
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.remotezip import RemoteZip
from scene_picker.core.zipformat import LOCAL_SIZE

from support import zipgen

THREE_BANDS = ["*_B02_10m.jp2", "*_B03_10m.jp2", "*_B04_10m.jp2"]
SPREAD_BANDS = ["*_B02_10m.jp2", "*_B11_20m.jp2", "*_PVI.jp2"]


@pytest.fixture(scope="module")
def archives(served_dir: Path) -> dict[str, list]:
    """Archives written into nginx's folder, with their members' original bytes."""
    return zipgen.write_served_archives(served_dir)


@pytest.fixture(autouse=True)
def _fresh_host_modes():
    remotezip.forget_range_modes()
    yield
    remotezip.forget_range_modes()


@pytest.fixture
def http():
    client = HttpClient(retry=RetryPolicy(max_attempts=4, sleep=lambda seconds: None))
    yield client
    client.close()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def originals(members, patterns) -> dict[str, bytes]:
    from fnmatch import fnmatchcase

    return {m.name: m.data for m in members if any(fnmatchcase(m.name, p) for p in patterns)}


def check_output(outdir: Path, expected: dict[str, bytes]) -> None:
    files = sorted(p for p in outdir.rglob("*") if p.is_file())
    assert [p.relative_to(outdir).as_posix() for p in files] == sorted(expected)
    for name, data in expected.items():
        assert digest((outdir / name).read_bytes()) == digest(data), name


def budget(archive: RemoteZip, patterns) -> int:
    """Their compressed bytes + local headers + the central directory."""
    chosen = archive.select(patterns)
    cd = archive._eocd.cd_size  # noqa: SLF001 - the figure the acceptance test is about
    return sum(m.compressed_size + LOCAL_SIZE + len(m.raw_name) for m in chosen) + cd


def contiguous_runs(archive: RemoteZip, patterns) -> int:
    order = sorted(archive.members(), key=lambda m: m.header_offset)
    chosen = {m.header_offset for m in archive.select(patterns)}
    runs, previous = 0, False
    for member in order:
        inside = member.header_offset in chosen
        runs += inside and not previous
        previous = inside
    return runs


# -- listing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bands.zip", "comment.zip", "descriptor.zip", "zip64.zip", "many.zip"])
def test_members_match_zipfile(archives, served_dir, proxy, http, name):
    archive = RemoteZip(proxy.url(name), http)
    listed = archive.members()
    oracle = zipfile.ZipFile(io.BytesIO((served_dir / name).read_bytes())).infolist()
    assert [(m.name, m.compressed_size, m.file_size, m.crc32) for m in listed] == [
        (i.filename, i.compress_size, i.file_size, i.CRC) for i in oracle
    ]
    expected_requests = {"comment.zip": 2, "many.zip": 2}.get(name, 1)
    assert proxy.requests == expected_requests  # a suffix range, plus what it could not cover
    assert proxy.log[0].range == "bytes=-8192"
    assert proxy.bytes_sent <= (served_dir / name).stat().st_size


def test_comment_is_read(archives, proxy, http):
    assert RemoteZip(proxy.url("comment.zip"), http).comment == b"C" * 60_000


# -- acceptance 2: bytes and requests -------------------------------------------------------------------
@pytest.mark.parametrize("patterns", [THREE_BANDS, SPREAD_BANDS], ids=["adjacent", "spread"])
def test_partial_extraction_reads_little(archives, proxy, http, tmp_path, patterns):
    archive = RemoteZip(proxy.url("bands.zip"), http)
    paths = archive.extract(patterns, tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], patterns))
    assert [p.name for p in paths] == [Path(m.name).name for m in archive.select(patterns)]
    limit = budget(archive, patterns)
    runs = contiguous_runs(archive, patterns)
    assert runs == (1 if patterns is THREE_BANDS else 3)
    assert proxy.bytes_sent <= 1.01 * limit, (proxy.bytes_sent, limit)
    assert proxy.requests <= 2 + runs
    assert all(record.status == 206 for record in proxy.log)


def test_wanted_bytes_already_in_the_tail_are_not_fetched_again(archives, proxy, http, tmp_path):
    archive = RemoteZip(proxy.url("bands.zip"), http, tail_size=600_000)
    archive.extract(["*MSK_CLDPRB_20m.jp2"], tmp_path)
    assert proxy.requests == 1
    check_output(tmp_path, originals(archives["bands.zip"], ["*MSK_CLDPRB_20m.jp2"]))


# -- every range mode, honest and faulty ----------------------------------------------------------------
@pytest.mark.parametrize("mode", ["auto", "bounded", "open-ended"])
@pytest.mark.parametrize("short", [None, 100_000, 7_000], ids=["honest", "short100k", "short7k"])
def test_every_range_mode(archives, proxy, http, tmp_path, mode, short):
    proxy.configure(short_ranges=short)
    archive = RemoteZip(proxy.url("bands.zip"), http, mode)
    archive.extract(SPREAD_BANDS, tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], SPREAD_BANDS))
    ranges = [r.range for r in proxy.log[1:]]
    if mode == "open-ended":
        assert all(r.endswith("-") for r in ranges)
    else:
        assert all(not r.endswith("-") for r in ranges)
        # bounded ranges never fetch a byte twice, cut short or not
        assert proxy.bytes_sent <= 1.01 * budget(archive, SPREAD_BANDS)
        if short is not None:
            assert archive.reader.short_answers > 0
            assert any(r.cut for r in proxy.log)
    if short is not None and mode != "open-ended":
        assert remotezip.remembered_range_mode(proxy.url()) in (None, "bounded")


def test_no_progress_with_bounded_ranges_falls_back_to_open_ended_and_remembers(
    archives, proxy, http, tmp_path
):
    proxy.configure(short_ranges=0)
    archive = RemoteZip(proxy.url("bands.zip"), http, "auto")
    archive.extract(THREE_BANDS, tmp_path / "a")
    check_output(tmp_path / "a", originals(archives["bands.zip"], THREE_BANDS))
    ranges = [r.range for r in proxy.log]
    assert ranges[0] == "bytes=-8192"
    assert [r.endswith("-") for r in ranges[1:]] == [False, False, True]  # two empty answers, then switch
    assert remotezip.remembered_range_mode(proxy.url("other.zip")) == "open-ended"

    proxy.configure(short_ranges=0)
    again = RemoteZip(proxy.url("bands.zip"), http, "auto")
    again.extract(SPREAD_BANDS, tmp_path / "b")
    check_output(tmp_path / "b", originals(archives["bands.zip"], SPREAD_BANDS))
    assert all(r.range.endswith("-") for r in proxy.log[1:])  # straight to the mode that works


def test_bounded_mode_without_progress_is_a_network_error(archives, proxy, http, tmp_path):
    proxy.configure(short_ranges=0)
    with pytest.raises(NetworkError, match="without sending any byte.*--range-mode open-ended"):
        RemoteZip(proxy.url("bands.zip"), http, "bounded").extract(THREE_BANDS, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert proxy.requests == 1 + 3  # bounded: a few tries, never an open-ended range
    assert remotezip.remembered_range_mode(proxy.url()) is None


def test_short_directory_read(archives, proxy, http):
    proxy.configure(short_ranges=1000)
    assert len(RemoteZip(proxy.url("many.zip"), http).members()) == 400


# -- other faults -----------------------------------------------------------------------------------------
def test_cut_connection_once_is_survived(archives, proxy, http, tmp_path):
    proxy.configure(cut_after=300_000, cut_times=2)
    RemoteZip(proxy.url("bands.zip"), http).extract(THREE_BANDS, tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], THREE_BANDS))


def test_503_and_429_are_retried(archives, proxy, http, tmp_path):
    proxy.configure(status_503=2, status_429=1, retry_after="0")
    RemoteZip(proxy.url("bands.zip"), http).extract(["*_B08_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], ["*_B08_10m.jp2"]))
    assert [r.status for r in proxy.log[:3]] == [429, 503, 503]


def _offset_inside(archive: RemoteZip, pattern: str) -> int:
    (member,) = archive.select([pattern])
    return member.header_offset + LOCAL_SIZE + len(member.raw_name) + 100 + member.compressed_size // 2


@pytest.mark.parametrize("pattern", ["*_B03_10m.jp2", "*_B04_10m.jp2", "*_B06_20m.jp2", "*_B08_10m.jp2"])
def test_flipped_byte_is_refetched_once(archives, proxy, http, tmp_path, pattern):
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.members()
    proxy.configure(flip_offset=_offset_inside(archive, pattern), flip_times=1)
    archive.extract([pattern, "*_B02_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], [pattern, "*_B02_10m.jp2"]))
    assert archive.stats.refetched == 1


def test_persistent_corruption_ends_in_checksum_error_and_no_file(archives, proxy, http, tmp_path):
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.members()
    proxy.configure(flip_offset=_offset_inside(archive, "*_B03_10m.jp2"), flip_times=None)
    with pytest.raises(ChecksumMismatchError, match="B03.*also after fetching it again"):
        archive.extract(["*_B03_10m.jp2"], tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_server_ignoring_range_is_refused(archives, proxy, http, tmp_path):
    proxy.configure(ignore_range=True)
    archive = RemoteZip(proxy.url("bands.zip"), http)
    with pytest.raises(RangeNotSupportedError, match="does not serve byte ranges"):
        archive.extract(THREE_BANDS, tmp_path)
    assert archive.reader.bytes_received == 0  # the whole-file answer was not read
    assert proxy.requests == 1
    assert list(tmp_path.iterdir()) == []


def test_not_a_zip(archives, proxy, http):
    from scene_picker.core.errors import ArchiveError

    with pytest.raises(ArchiveError, match="no end-of-central-directory"):
        RemoteZip(proxy.url("not_a_zip.zip"), http).members()
    with pytest.raises(ArchiveError, match="is empty"):
        RemoteZip(proxy.url("empty.zip"), http).members()
    with pytest.raises(ArchiveError, match="only 2 bytes"):
        RemoteZip(proxy.url("two_bytes.zip"), http).members()


# -- archive kinds --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["comment.zip", "descriptor.zip", "zip64.zip"])
def test_extract_everything(archives, proxy, http, tmp_path, name):
    RemoteZip(proxy.url(name), http).extract(["*"], tmp_path)
    check_output(tmp_path, {m.name: m.data for m in archives[name]})


def test_flat_output_and_collisions(archives, proxy, http, tmp_path):
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.extract(THREE_BANDS, tmp_path, keep_folders=False)
    expected = {Path(k).name: v for k, v in originals(archives["bands.zip"], THREE_BANDS).items()}
    check_output(tmp_path, expected)
    with pytest.raises(UsageError, match="would both be written"):
        RemoteZip(proxy.url("twins.zip"), http).extract(["*.txt"], tmp_path / "x", keep_folders=False)
    assert not (tmp_path / "x").exists()


def test_pattern_matching_nothing_is_a_usage_error(archives, proxy, http, tmp_path):
    with pytest.raises(UsageError, match=r"no member .* matches '\*B99\*'"):
        RemoteZip(proxy.url("bands.zip"), http).extract(["*B02*", "*B99*"], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unsupported_method_fails_before_fetching(archives, proxy, http, tmp_path):
    from scene_picker.core.errors import UnsupportedCompressionError

    with pytest.raises(UnsupportedCompressionError, match="deflate64"):
        RemoteZip(proxy.url("deflate64.zip"), http).extract(["a.bin"], tmp_path)
    assert proxy.requests == 1


def test_complete_files_are_skipped_and_damaged_ones_replaced(archives, proxy, http, tmp_path):
    RemoteZip(proxy.url("bands.zip"), http).extract(THREE_BANDS, tmp_path)
    expected = originals(archives["bands.zip"], THREE_BANDS)
    damaged = tmp_path / next(name for name in expected if "B03" in name)
    data = bytearray(damaged.read_bytes())
    data[1000] ^= 1
    damaged.write_bytes(bytes(data))
    proxy.reset()
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.extract(THREE_BANDS, tmp_path)
    check_output(tmp_path, expected)
    assert (archive.stats.skipped, archive.stats.written) == (2, 1)
    assert proxy.bytes_sent < 1.2 * max(m.compressed_size for m in archive.select(THREE_BANDS))


def test_cancel_from_the_first_progress_event(archives, proxy, http, tmp_path):
    token = CancelToken()
    seen = []

    def on_progress(event):
        seen.append(event)
        token.cancel()

    archive = RemoteZip(proxy.url("bands.zip"), http)
    with pytest.raises(CancelledError):
        archive.extract(THREE_BANDS, tmp_path, progress=on_progress, cancel=token)
    assert seen[0].done == 0 and seen[0].total == sum(m.compressed_size for m in archive.select(THREE_BANDS))
    assert list(tmp_path.iterdir()) == []


def test_cancel_mid_member_leaves_no_file(archives, proxy, http, tmp_path):
    polls = iter(range(10**6))
    token = CancelToken.from_callable(lambda: next(polls) > 20)  # ~10 chunks: inside B02
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.members()
    listed = archive.reader.bytes_received
    with pytest.raises(CancelledError):
        archive.extract(THREE_BANDS, tmp_path, cancel=token)
    read = archive.reader.bytes_received - listed  # what we read (the proxy may have sent more)
    assert 0 < read < sum(m.compressed_size for m in archive.select(THREE_BANDS)) / 2
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # neither final names nor .part files


def test_progress_reports_compressed_bytes(archives, proxy, http, tmp_path):
    events = []
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.extract(THREE_BANDS, tmp_path, progress=events.append)
    total = sum(m.compressed_size for m in archive.select(THREE_BANDS))
    assert events[-1].done == events[-1].total == total
    assert events[-1].label == "bands.zip (3 members)"


# -- acceptance 4: hostile archives -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, message",
    [
        ("slip_dotdot.zip", r"'\.\.' path component"),
        ("slip_absolute.zip", "absolute path"),
        ("slip_drive.zip", "drive letter"),
        ("slip_backslash.zip", "backslash"),
        ("symlink.zip", "symbolic link"),
        ("ratio_bomb.zip", "zip bomb"),
        ("overlap.zip", "overlap"),
        ("liar.zip", "beyond its declared size"),
    ],
)
def test_hostile_archives_are_refused_whole(archives, proxy, http, tmp_path, name, message):
    outdir = tmp_path / "out"
    outdir.mkdir()
    with pytest.raises(UnsafeArchiveError, match=message):
        RemoteZip(proxy.url(name), http).extract(["*"], outdir)
    assert [p for p in tmp_path.rglob("*")] == [outdir]  # nothing in it, nothing beside it
    assert not Path("/tmp/evil.txt").exists()


def test_bearer_token_expiring_mid_extraction_is_refreshed(archives, proxy, tmp_path):
    from scene_picker.core.auth import BearerAuth, OidcTokenProvider

    # Every token lasts 3 requests and bounded ranges are cut short: many requests, several refreshes.
    proxy.configure(require_bearer=True, token_life_requests=3, short_ranges=300_000)
    provider = OidcTokenProvider(proxy.token_url, "client", "alice", "wonderland", http=HttpClient())
    with HttpClient(auth=BearerAuth(provider, hosts=["127.0.0.1"])) as http:
        RemoteZip(proxy.url("bands.zip"), http).extract(THREE_BANDS, tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], THREE_BANDS))
    statuses = [r.status for r in proxy.log if r.path == "/bands.zip"]
    assert statuses.count(401) >= 2 and statuses[-1] == 206
    assert "refresh_token" in proxy.token_grants


def test_redirect_to_another_host_keeps_working_without_credentials(
    archives, proxy, other_host_proxy, tmp_path
):
    from scene_picker.core.auth import ApiKeyAuth

    proxy.configure(redirect_to=other_host_proxy.base_url)
    with HttpClient(auth=ApiKeyAuth("X-Api-Key", "s3cret-key", hosts=["127.0.0.1"])) as http:
        RemoteZip(proxy.url("bands.zip"), http).extract(["*_B08_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], ["*_B08_10m.jp2"]))
    assert all(r.headers.get("x-api-key") == "s3cret-key" for r in proxy.log)
    assert proxy.requests == 1  # later ranges go straight to the redirect target
    assert other_host_proxy.requests == 2
    assert all("x-api-key" not in r.headers for r in other_host_proxy.log)


def test_a_redirect_target_that_stops_working_sends_us_back(
    archives, nginx, proxy, other_host_proxy, http, tmp_path
):
    proxy.configure(redirect_to=other_host_proxy.base_url)
    archive = RemoteZip(proxy.url("bands.zip"), http)
    archive.members()
    other_host_proxy.configure(redirect_to=nginx.base_url + "/expired")  # the target now ends in a 404
    proxy.configure()  # the original URL serves the file itself now
    archive.extract(["*_B08_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], ["*_B08_10m.jp2"]))
    assert [r.status for r in proxy.log] == [206]


def test_stalled_answers_time_out_and_continue(archives, proxy, tmp_path):
    # Every answer stops after 300 kB and hangs: the read timeout ends it, the next range continues.
    proxy.configure(stall_after=300_000, stall_timeout=3)
    with HttpClient(timeout=(5, 0.5), retry=RetryPolicy(sleep=lambda s: None)) as http:
        archive = RemoteZip(proxy.url("bands.zip"), http)
        archive.extract(["*_B08_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], ["*_B08_10m.jp2"]))
    assert archive.reader.short_answers >= 2


def test_a_member_damaged_in_the_directory_read_is_fetched_again_from_the_server(
    archives, proxy, http, tmp_path
):
    # The member lies in the first suffix answer, which the proxy damages once: the refetch must go
    # to the server, not re-read the same damaged bytes kept in memory with the directory.
    pattern = "*MSK_CLDPRB_20m.jp2"
    offset = _offset_inside(RemoteZip(proxy.url("bands.zip"), http, tail_size=600_000), pattern)
    proxy.configure(flip_offset=offset, flip_times=1)
    archive = RemoteZip(proxy.url("bands.zip"), http, tail_size=600_000)
    archive.extract([pattern], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], [pattern]))
    assert archive.stats.refetched == 1
    assert proxy.requests == 2  # the suffix (damaged), then the member alone
    assert not proxy.log[1].range.startswith("bytes=-")


def test_a_secret_header_never_reaches_the_redirect_target_on_later_ranges(
    archives, proxy, other_host_proxy, tmp_path
):
    # `scene-picker extract --header 'X-Api-Key: …'`: the header belongs to the URL's host. Later
    # ranges go straight to where the first one was redirected; they must not carry it there.
    proxy.configure(redirect_to=other_host_proxy.base_url)
    with HttpClient(headers={"X-Api-Key": "s3cret-key", "Accept": "*/*"}) as http:
        archive = RemoteZip(proxy.url("bands.zip"), http)
        archive.extract(["*_B08_10m.jp2"], tmp_path)
    check_output(tmp_path, originals(archives["bands.zip"], ["*_B08_10m.jp2"]))
    assert proxy.log[0].headers.get("x-api-key") == "s3cret-key"
    assert other_host_proxy.requests == 2
    assert all("x-api-key" not in r.headers for r in other_host_proxy.log)
    assert all(r.headers.get("accept") == "*/*" for r in other_host_proxy.log)


def test_an_unwritable_output_folder_is_an_output_error(archives, proxy, http, tmp_path):
    from scene_picker.core.errors import OutputError

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="Cannot write .*not-a-folder.*free space"):
        RemoteZip(proxy.url("bands.zip"), http).extract(THREE_BANDS, blocker)
    assert proxy.requests <= 2  # the directory, and the first run (closed at the first failed write)
    assert blocker.read_text() == "a file where a folder should be"
