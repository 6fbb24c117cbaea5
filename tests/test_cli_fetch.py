"""``scene-picker fetch`` as a user runs it: a real subprocess against nginx and the fault proxy."""

from __future__ import annotations

import hashlib
import os
import subprocess

from scene_picker.core.transfer import part_path

from support.fixtures_engine import cli_command, cli_env, make_bytes, run_cli, sha256

MEDIUM = "medium.bin"


def test_fetch_with_sha256_resumes_through_a_cut(proxy, sample_files, tmp_path):
    data = sample_files[MEDIUM]
    proxy.configure(cut_after=1_000_000, cut_times=1)
    result = run_cli(
        "fetch",
        proxy.url(MEDIUM),
        "--out",
        str(tmp_path),
        "--sha256",
        sha256(data),
        "--header",
        "X-Trace: cli-test",
    )
    assert result.returncode == 0, result.stderr
    dest = tmp_path / MEDIUM
    assert result.stdout.strip() == str(dest)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha256(data)
    assert "sha256 verified" in result.stderr
    assert "\r" not in result.stderr  # not a TTY: plain lines
    assert [r.headers.get("x-trace") for r in proxy.log] == ["cli-test", "cli-test"]
    assert proxy.log[1].range == "bytes=1000000-"

    again = run_cli("fetch", proxy.url(MEDIUM), "--out", str(tmp_path), "--sha256", sha256(data))
    assert again.returncode == 0 and "skipped" in again.stderr
    assert proxy.requests == 2  # the verified file was not fetched again


def test_fetch_checksum_mismatch_exits_non_zero_and_leaves_no_file(proxy, tmp_path):
    result = run_cli("fetch", proxy.url(MEDIUM), "--out", str(tmp_path), "--md5", "0" * 32)
    assert result.returncode == 6, result.stderr
    assert "md5" in result.stderr and "expected" in result.stderr
    assert not (tmp_path / MEDIUM).exists()
    assert proxy.requests == 2  # fetched once more before failing


def test_fetch_404_and_bad_arguments(proxy, tmp_path):
    missing = run_cli("fetch", proxy.url("absent.bin"), "--out", str(tmp_path))
    assert missing.returncode == 4 and "404" in missing.stderr
    bad_header = run_cli("fetch", proxy.url(MEDIUM), "--out", str(tmp_path), "--header", "no colon")
    assert bad_header.returncode == 2 and "Name: value" in bad_header.stderr
    no_name = run_cli("fetch", proxy.url(""), "--out", str(tmp_path))
    assert no_name.returncode == 2 and "--name" in no_name.stderr
    assert list(tmp_path.iterdir()) == []


def test_fetch_does_not_print_secret_headers(proxy, tmp_path):
    result = run_cli(
        "fetch",
        proxy.url("absent.bin"),
        "--out",
        str(tmp_path),
        "--header",
        "Authorization: Bearer s3cr3t-t0ken",
    )
    assert result.returncode == 4
    assert "s3cr3t-t0ken" not in result.stderr + result.stdout
    assert proxy.log[0].headers["authorization"] == "Bearer s3cr3t-t0ken"


def test_interrupt_exits_130_keeps_part_and_rerun_resumes(served_dir, proxy, tmp_path):
    import signal
    import time

    data = make_bytes(6 * 1024 * 1024, seed=77)
    (served_dir / "interrupt.bin").write_bytes(data)
    proxy.configure(stall_after=2 * 1024 * 1024, stall_timeout=30)
    process = subprocess.Popen(
        cli_command("fetch", proxy.url("interrupt.bin"), "--out", str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=cli_env(),
    )
    part = part_path(tmp_path / "interrupt.bin")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size >= 2 * 1024 * 1024):
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert not (tmp_path / "interrupt.bin").exists() and part.stat().st_size == 2 * 1024 * 1024
    proxy.configure()
    again = run_cli("fetch", proxy.url("interrupt.bin"), "--out", str(tmp_path), "--sha256", sha256(data))
    assert again.returncode == 0, again.stderr
    assert proxy.log[0].range == f"bytes={2 * 1024 * 1024}-"
    assert (tmp_path / "interrupt.bin").read_bytes() == data


def test_progress_is_a_bar_on_a_tty(proxy, tmp_path):
    import pty

    main_fd, child_fd = pty.openpty()
    try:
        process = subprocess.Popen(
            cli_command("fetch", proxy.url(MEDIUM), "--out", str(tmp_path)),
            stdout=subprocess.DEVNULL,
            stderr=child_fd,
            stdin=subprocess.DEVNULL,
            env=cli_env(),
        )
        os.close(child_fd)
        output = b""
        while True:  # bounded by the child closing its end of the terminal
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(main_fd)
    text = output.decode("utf-8", "replace")
    assert "\r[" in text and "100%" in text
