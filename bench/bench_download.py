"""Benchmark (run by hand, not in CI): a 1 GiB single-file download over loopback from Debian's nginx.

Prints, from one run, our throughput divided by curl's on the same server and file, and our peak RSS
above the interpreter's baseline (the same process after importing the engine, before downloading).
Targets: throughput >= 0.9 x curl, RSS < 80 MB above baseline. CPU seconds per GiB are printed too: on a
busy machine they compare the two clients' work when wall-clock rates are noisy.

    .venv/bin/python bench/bench_download.py [--size-mib 1024] [--rounds 3] [--dir /tmp]

Both tools write into the same folder (``--dir``; a disk folder by default, ``/dev/shm`` takes the disk
out and compares the network and CPU paths); ours also fsyncs before its atomic rename, curl does not,
so a "curl + fsync" figure (curl's time plus flushing its file) is printed beside plain curl.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
PKG_PARENT = ROOT / "build" / "pkgroot"

from support.nginx import NginxServer  # noqa: E402

# Child process: imports the engine, notes its RSS, downloads, reports time and peak RSS.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path

def rss_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

from scene_picker.core.http import HttpClient
from scene_picker.core import transfer
baseline = rss_kib("VmRSS")
url, dest = sys.argv[1], Path(sys.argv[2])
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start, cpu_start = time.perf_counter(), cpu()
result = transfer.download_file(url, dest, http=HttpClient())
elapsed, cpu_used = time.perf_counter() - start, cpu() - cpu_start
print(json.dumps({"seconds": elapsed, "cpu": cpu_used, "size": result.size, "baseline_kib": baseline,
                  "peak_kib": rss_kib("VmHWM")}))
"""


def make_file(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            part = block[: min(len(block), size - written)]
            handle.write(part)
            written += len(part)


def drop(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".part"), path.with_name(f".{path.name}.scene-picker.json")):
        if p.exists():
            p.unlink()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_curl(url: str, dest: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one curl download."""
    start, cpu_start = time.perf_counter(), children_cpu()
    subprocess.run(["curl", "-sS", "--fail", "-o", str(dest), url], check=True)
    return time.perf_counter() - start, children_cpu() - cpu_start


def fsync_time(path: Path) -> float:
    """Seconds to flush ``path`` to disk (what our download does before its rename and curl does not)."""
    start = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def run_ours(url: str, dest: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(PKG_PARENT), NO_PROXY="127.0.0.1")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(dest)], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--warmup", type=int, default=1, help="uncounted rounds first, for both peers (caches, CPU clocks)"
    )
    parser.add_argument("--dir", default=None, help="where the served file and the downloads go")
    args = parser.parse_args()
    if shutil.which("curl") is None:
        print("curl is needed for the side-by-side figure", file=sys.stderr)
        return 2
    (PKG_PARENT).mkdir(parents=True, exist_ok=True)
    link = PKG_PARENT / "scene_picker"
    if not link.is_symlink():
        link.symlink_to(ROOT, target_is_directory=True)
    work = Path(tempfile.mkdtemp(prefix="bench-download-", dir=args.dir))
    served = work / "served"
    served.mkdir()
    size = args.size_mib << 20
    make_file(served / "big.bin", size)
    curl_times, curl_synced, our_times, curl_cpu, our_cpu, peaks = [], [], [], [], [], []
    try:
        with NginxServer(served) as server:
            url = server.url("big.bin")
            for index in range(-args.warmup, args.rounds):
                curl_dest, our_dest = work / "curl.bin", work / "ours.bin"
                drop(curl_dest)
                drop(our_dest)
                wall, cpu = run_curl(url, curl_dest)
                if index < 0:  # warm-up: both peers run once, nothing is counted
                    curl_synced_warm = fsync_time(curl_dest)
                    run_ours(url, our_dest)
                    print(f"warm-up round done (curl fsync {curl_synced_warm:.2f} s)")
                    continue
                curl_times.append(wall)
                curl_synced.append(wall + fsync_time(curl_dest))
                curl_cpu.append(cpu)
                ours = run_ours(url, our_dest)
                our_cpu.append(ours["cpu"])
                assert ours["size"] == size == curl_dest.stat().st_size
                our_times.append(ours["seconds"])
                peaks.append(ours["peak_kib"] - ours["baseline_kib"])
                print(
                    f"round {index + 1}: curl {size / curl_times[-1] / 1e6:8.1f} MB/s   "
                    f"ours {size / ours['seconds'] / 1e6:8.1f} MB/s   "
                    f"CPU s curl {cpu:.2f} ours {ours['cpu']:.2f}   "
                    f"our peak RSS above baseline {peaks[-1] / 1024:.1f} MiB "
                    f"(baseline {ours['baseline_kib'] / 1024:.1f} MiB)"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    curl_rate = size / statistics.median(curl_times) / 1e6
    our_rate = size / statistics.median(our_times) / 1e6
    print(f"\n{args.size_mib} MiB over loopback from nginx, median of {args.rounds} rounds:")
    print(f"  curl            {curl_rate:8.1f} MB/s")
    synced_rate = size / statistics.median(curl_synced) / 1e6
    print(f"  curl + fsync    {synced_rate:8.1f} MB/s   (curl, then its file flushed to disk as ours is)")
    print(f"  scene-picker    {our_rate:8.1f} MB/s   (includes fsync + atomic rename)")
    print(f"  ratio ours/(curl + fsync) {our_rate / synced_rate:6.3f}")
    ratios = [c / o for c, o in zip(curl_times, our_times)]
    print(
        f"  ratio ours/curl {our_rate / curl_rate:8.3f}   (target >= 0.9); per round, alternating runs: "
        + " ".join(f"{r:.2f}" for r in ratios)
    )
    print(
        f"  CPU seconds per GiB, median: curl {statistics.median(curl_cpu) * 1024 / args.size_mib:.2f}, "
        f"ours {statistics.median(our_cpu) * 1024 / args.size_mib:.2f} "
        "(wall-clock figures are only meaningful on an otherwise idle machine)"
    )
    print(f"  peak RSS above interpreter baseline: {max(peaks) / 1024:.1f} MiB (target < 80 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
