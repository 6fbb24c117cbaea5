"""Benchmark (run by hand, not in CI): 3 bands out of a ~945 MB zip (13 x 80 MB members) over loopback,
Scene Picker's :class:`~scene_picker.core.remotezip.RemoteZip` vs the ``remotezip`` package.

    .venv/bin/pip install -r dev/requirements-bench.txt
    .venv/bin/python bench/bench_zip_large.py [--rounds 2] [--dir /tmp] [--profile]

Debian's nginx serves the generated archive (deflated members of 7 significant bits per byte, like
image data); each client extracts the same three adjacent members into a fresh folder. One uncounted
warm-up run of each (the archive into the page cache), then ``--rounds`` alternating rounds; the best
time of each is compared. Ours fsyncs each extracted file once before its atomic rename (never per
chunk); remotezip does not fsync. ``--profile`` prints where our time goes (cProfile, top 12).
Target: ours/remotezip <= 1.0.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_remotezip import ours, pypi_remotezip  # noqa: E402 - also puts the package on sys.path

from support.nginx import NginxServer  # noqa: E402

MEMBERS, MEMBER_SIZE = 13, 80_000_000
WANTED = [f"GRANULE/IMG_DATA/T31TCJ_B{n:02d}.jp2" for n in (2, 3, 4)]
_SEVEN_BITS = bytes(i & 0x7F for i in range(256))


def make_archive(path: Path) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(MEMBERS):
            data = random.Random(index).randbytes(MEMBER_SIZE).translate(_SEVEN_BITS)
            archive.writestr(f"GRANULE/IMG_DATA/T31TCJ_B{index + 1:02d}.jp2", data)


def run(client, url: str, work: Path, tag: str) -> float:
    out = work / tag
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    start = time.perf_counter()
    client(url, WANTED, out)
    elapsed = time.perf_counter() - start
    sizes = [(out / Path(name).name).stat().st_size for name in WANTED]
    assert sizes == [MEMBER_SIZE] * 3, sizes
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-zip-large-", dir=args.dir))
    served = work / "served"
    served.mkdir()
    try:
        make_archive(served / "big.zip")
        print(f"archive: {(served / 'big.zip').stat().st_size / 1e6:.0f} MB, {MEMBERS} members")
        with NginxServer(served) as server:
            url = server.url("big.zip")
            run(ours, url, work, "ours")
            run(pypi_remotezip, url, work, "theirs")
            mine, theirs = [], []
            for _ in range(args.rounds):
                mine.append(run(ours, url, work, "ours"))
                theirs.append(run(pypi_remotezip, url, work, "theirs"))
            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(run, ours, url, work, "ours")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(12)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"3 x 80 MB members, best of {args.rounds}: ours {min(mine):.2f} s, remotezip {min(theirs):.2f} s")
    rounds = " ".join(f"{t:.2f}" for t in mine) + ", remotezip " + " ".join(f"{t:.2f}" for t in theirs)
    print(f"  ratio ours/remotezip {min(mine) / min(theirs):.3f} (target <= 1.0); rounds ours {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
