"""Benchmark (run by hand, not in CI): the 10 000-scene plan on a Dask cluster vs one process.

The ``small`` plan of ``bench_queue.py`` (10 000 one-asset scenes of 1 KiB, Debian's nginx on loopback,
``-j 8``) downloaded by ``scene-picker download`` in one process, then with ``--cluster local:1``,
``local:2`` and ``local:4`` (a LocalCluster of that many worker processes, 8 threads shared among them);
each run into a fresh folder, every file counted. Prints scenes per second per worker count and the
ratio to the single-process run. On a 2-core machine more workers cannot add CPU: the figures show the
cost of the cluster round trip per scene (driver → scheduler → worker → driver).

    .venv/bin/python bench/bench_cluster.py [--scenes 10000] [--workers 1,2,4] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queue import PKG_PARENT, ROOT, make_plan, timed  # noqa: E402

from support.nginx import NginxServer  # noqa: E402

JOBS = 8
SIZE = 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--dir", default=None, help="where the served files and the downloads go")
    args = parser.parse_args()
    PKG_PARENT.mkdir(parents=True, exist_ok=True)
    link = PKG_PARENT / "scene_picker"
    if not link.is_symlink():
        link.symlink_to(ROOT, target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(PKG_PARENT), NO_PROXY="127.0.0.1")
    work = Path(tempfile.mkdtemp(prefix="bench-cluster-", dir=args.dir))
    served = work / "served"
    served.mkdir()
    runs = [("one process", [])] + [
        (f"local:{n}", ["--cluster", f"local:{n}"]) for n in args.workers.split(",")
    ]
    figures = []
    try:
        with NginxServer(served) as server:
            results, _ = make_plan(served, work, server.base_url, args.scenes, SIZE)
            for index, (name, extra) in enumerate(runs):
                out = work / f"out{index}"
                command = [sys.executable, "-m", "scene_picker", "download", str(results), "--out", str(out),
                           "-j", str(JOBS), *extra]  # fmt: skip
                seconds, peak_kib, code, err = timed(command, work, env)
                assert code == 0, err
                got = sum(1 for _ in out.glob("SCENE_*/f*.bin"))
                assert got == args.scenes, got
                figures.append((name, seconds, peak_kib))
                shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = figures[0][1]
    print(f"{args.scenes} scenes x {SIZE} B at -j {JOBS}, {os.cpu_count()} CPUs")
    for name, seconds, peak_kib in figures:
        rate = args.scenes / seconds
        print(f"  {name:<12} {seconds:8.2f} s  {rate:8.1f} scenes/s  x{base / seconds:5.2f} vs one process  "
              f"driver peak RSS {peak_kib / 1024:.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
