"""Acceptance 3: a ``scene-picker fetch`` process killed mid-download; the next run finishes the file
without fetching the first part again (bytes counted at the proxy)."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import time

from scene_picker.core.http import HttpClient
from scene_picker.core.transfer import download_file, part_path, record_path

from support.fixtures_engine import cli_command, cli_env, make_bytes

MIB = 1 << 20
SIZE = 48 * MIB + 321
STALL_AT = 20 * MIB


def test_resume_after_kill(served_dir, proxy, tmp_path):
    data = make_bytes(SIZE, seed=42)
    (served_dir / "large.bin").write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    # The proxy stops sending after STALL_AT bytes so the kill lands mid-transfer, deterministically.
    proxy.configure(stall_after=STALL_AT, stall_timeout=60)
    dest = tmp_path / "large.bin"
    process = subprocess.Popen(
        cli_command("fetch", proxy.url("large.bin"), "--out", str(tmp_path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=cli_env(),
    )
    part = part_path(dest)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # bounded wait for the first 16 MiB to reach the disk
            if part.exists() and part.stat().st_size >= 16 * MIB:
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert not dest.exists()
    kept = part.stat().st_size
    assert 16 * MIB <= kept <= STALL_AT and record_path(dest).exists()

    proxy.configure()  # ends the stalled answer; counters start from zero for the new run
    result = download_file(proxy.url("large.bin"), dest, http=HttpClient())
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == expected
    assert [r.range for r in proxy.log] == [f"bytes={kept}-"]
    assert proxy.bytes_sent == SIZE - kept == result.bytes_fetched
    assert not part.exists()
