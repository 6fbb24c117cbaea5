"""Benchmark (run by hand, not in CI): many scenes through ``scene-picker download`` vs ``aria2c``.

Two plans, each served by Debian's nginx on loopback, each run once by both peers into fresh folders
(ours: ``OUT/<scene>/<file>`` plus the queue database; aria2c: the same layout via per-URL ``dir=``):

- ``small``: 10 000 one-asset scenes of 1 KiB, ``-j 8``. Targets: wall time <= 4 x aria2c's, the
  enqueue (reading the result file and queueing every scene in one transaction) under 5 s, and a peak
  RSS that stays bounded (the result file is read one feature at a time).
- ``large``: 200 one-asset scenes of 1 MB, ``-j 4``. Target: wall time <= 1.5 x aria2c's.

Ours fsyncs each file before its atomic rename and records it verified; aria2c does neither.

    .venv/bin/python bench/bench_queue.py [--plans small,large] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
PKG_PARENT = ROOT / "build" / "pkgroot"

from support.nginx import NginxServer  # noqa: E402

PLANS = {"small": (10_000, 1024, 8), "large": (200, 1_000_000, 4)}

# Child: times the enqueue alone (result file -> queue database), as `download` does it.
ENQUEUE = r"""
import argparse, json, sys, time, resource
from pathlib import Path
from scene_picker.cli import download
from scene_picker.core.queue import DownloadQueue
args = argparse.Namespace(results=Path(sys.argv[1]), ids=[], provider=None, url=None, out=Path(sys.argv[2]),
                          overwrite=False, resume=False)
start = time.perf_counter()
queue = DownloadQueue(download.queue_file(args.out), handlers={download.SCENE_JOB: lambda *a: {}})
wanted, given = download._enqueue(queue, download.iter_result_file(args.results), args, None, None)
elapsed = time.perf_counter() - start
queue.close()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "jobs": len(wanted), "peak_kib": peak}))
"""


def make_plan(served: Path, work: Path, base_url: str, count: int, size: int) -> tuple[Path, Path]:
    """Files in ``served``, our result file and aria2c's input file (one dir= per scene)."""
    block = os.urandom(size)
    features, lines = [], []
    for index in range(count):
        name = f"f{index:05d}.bin"
        (served / name).write_bytes(block[index % 97 :] + block[: index % 97])
        scene_id = f"SCENE_{index:05d}"
        href = f"{base_url}/{name}"
        features.append(
            {
                "type": "Feature",
                "id": scene_id,
                "geometry": {"type": "Point", "coordinates": [index % 180, 0]},
                "properties": {"provider": "stac", "datetime": "2024-05-01T10:00:00Z"},
                "assets": {"data": {"href": href, "roles": ["data"], "file:size": size}},
            }
        )
        lines.append(f"{href}\n  dir={work / 'aria' / scene_id}\n  out={name}\n")
    results = work / "results.geojson"
    results.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    urls = work / "urls.txt"
    urls.write_text("".join(lines))
    return results, urls


def timed(command: list[str], work: Path, env: dict | None = None) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS (KiB) of that process alone, exit code, the end of its stderr."""
    log = work / "stderr.log"
    with open(log, "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, process.returncode, log.read_text()[-2000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", default="small,large")
    parser.add_argument("--dir", default=None, help="where the served files and the downloads go")
    args = parser.parse_args()
    if shutil.which("aria2c") is None:
        print("aria2c is needed for the side-by-side figure", file=sys.stderr)
        return 2
    PKG_PARENT.mkdir(parents=True, exist_ok=True)
    link = PKG_PARENT / "scene_picker"
    if not link.is_symlink():
        link.symlink_to(ROOT, target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(PKG_PARENT), NO_PROXY="127.0.0.1")
    for plan in args.plans.split(","):
        count, size, jobs = PLANS[plan]
        work = Path(tempfile.mkdtemp(prefix=f"bench-queue-{plan}-", dir=args.dir))
        served = work / "served"
        served.mkdir()
        try:
            with NginxServer(served) as server:
                results, urls = make_plan(served, work, server.base_url, count, size)
                enqueue = subprocess.run(
                    [sys.executable, "-c", ENQUEUE, str(results), str(work / "enq")],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                enq = json.loads(enqueue.stdout.strip().splitlines()[-1])
                aria_cmd = ["aria2c", "-q", "-j", str(jobs), "-i", str(urls), "--allow-overwrite=true",
                            "--auto-file-renaming=false", "--file-allocation=none"]  # fmt: skip
                aria_s, _, code, err = timed(aria_cmd, work)
                assert code == 0, err
                ours_cmd = [sys.executable, "-m", "scene_picker", "download", str(results), "--out",
                            str(work / "ours"), "-j", str(jobs)]  # fmt: skip
                ours_s, peak_kib, code, err = timed(ours_cmd, work, env)
                assert code == 0, err
                got = sum(1 for _ in (work / "ours").glob("SCENE_*/f*.bin"))
                assert got == count, got
        finally:
            shutil.rmtree(work, ignore_errors=True)
        target = 4.0 if plan == "small" else 1.5
        print(f"{plan}: {count} scenes x {size} B at -j {jobs}")
        print(f"  aria2c        {aria_s:8.2f} s")
        ratio = ours_s / aria_s
        print(f"  scene-picker  {ours_s:8.2f} s   ratio ours/aria2c {ratio:6.2f}  (target <= {target})")
        print(f"  enqueue alone {enq['seconds']:8.2f} s for {enq['jobs']} jobs (target < 5 s), "
              f"its peak RSS {enq['peak_kib'] / 1024:.0f} MiB")  # fmt: skip
        print(f"  peak RSS of scene-picker download {peak_kib / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
