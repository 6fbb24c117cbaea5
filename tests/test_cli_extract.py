"""``scene-picker members`` and ``scene-picker extract`` as a user runs them: real subprocesses against
nginx, through the fault proxy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from support import zipgen
from support.fixtures_engine import run_cli

BANDS = "bands.zip"


@pytest.fixture(scope="module")
def archives(served_dir: Path) -> dict[str, list]:
    return zipgen.write_served_archives(served_dir)


def test_members_lists_names_and_sizes(archives, proxy):
    result = run_cli("members", proxy.url(BANDS), "--bytes")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["compressed", "size", "name"]
    listed = {line.split()[2]: (int(line.split()[0]), int(line.split()[1])) for line in lines[1:-1]}
    assert list(listed) == [m.name for m in archives[BANDS]]
    b03 = next(name for name in listed if "_B03_" in name)
    assert listed[b03] == (1_010_000, 1_010_000)  # stored: compressed == full
    assert lines[-1].split()[2:] == ["14", "members"]
    assert proxy.requests == 1


def test_members_json(archives, proxy):
    result = run_cli("members", proxy.url("zip64.zip"), "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["name"] for r in records] == [m.name for m in archives["zip64.zip"]]
    assert {r["method"] for r in records} == {"stored", "deflate", "bzip2", "lzma"}


def test_extract_keeps_folders_and_survives_short_ranges(archives, proxy, tmp_path):
    proxy.configure(short_ranges=200_000)
    result = run_cli("extract", proxy.url(BANDS), "*_B04_10m.jp2", "*/MTD_MSIL2A.xml", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    expected = {
        m.name: m.data for m in archives[BANDS] if "_B04_" in m.name or m.name.endswith("MTD_MSIL2A.xml")
    }
    assert result.stdout.splitlines() == [str(tmp_path / name) for name in expected]
    for name, data in expected.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).digest() == hashlib.sha256(data).digest()
    assert "2 members written and CRC32-verified" in result.stderr
    assert "\r" not in result.stderr
    assert any(record.cut for record in proxy.log)

    again = run_cli("extract", proxy.url(BANDS), "*_B04_10m.jp2", "--out", str(tmp_path))
    assert again.returncode == 0 and "1 already complete" in again.stderr


def test_extract_flat_with_open_ended_ranges(archives, proxy, tmp_path):
    result = run_cli(
        "extract",
        proxy.url(BANDS),
        "*_B02_10m.jp2",
        "--out",
        str(tmp_path),
        "--flat",
        "--range-mode",
        "open-ended",
    )
    assert result.returncode == 0, result.stderr
    (b02,) = [m for m in archives[BANDS] if "_B02_" in m.name]
    assert (tmp_path / Path(b02.name).name).read_bytes() == b02.data
    assert all(record.range.endswith("-") for record in proxy.log[1:])


@pytest.mark.parametrize(
    "name, message",
    [("slip_dotdot.zip", "'..' path component"), ("symlink.zip", "symbolic link"), ("liar.zip", "zip bomb")],
)
def test_unsafe_archive_is_refused_with_exit_code_and_nothing_written(
    archives, proxy, tmp_path, name, message
):
    outdir = tmp_path / "out"
    result = run_cli("extract", proxy.url(name), "*", "--out", str(outdir))
    assert result.returncode == 7, result.stderr
    assert "scene-picker: error:" in result.stderr and message in result.stderr
    assert "archive refused" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert result.stdout == ""


def test_extract_errors_exit_non_zero(archives, proxy, tmp_path):
    missing = run_cli("extract", proxy.url(BANDS), "*B99*", "--out", str(tmp_path))
    assert missing.returncode == 2 and "matches '*B99*'" in missing.stderr
    proxy.configure(ignore_range=True)
    refused = run_cli("extract", proxy.url(BANDS), "*B02*", "--out", str(tmp_path))
    assert refused.returncode == 4 and "does not serve byte ranges" in refused.stderr
    assert list(tmp_path.iterdir()) == []
