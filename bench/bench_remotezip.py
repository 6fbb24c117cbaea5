"""Partial extraction from a remote zip: Scene Picker vs ``remotezip`` vs theia-picker's approach.

Run by hand (not in CI), from the repository root::

    .venv/bin/pip install -r dev/requirements-bench.txt     # remotezip, for the comparison only
    .venv/bin/python bench/bench_remotezip.py [--repeat 5]

One Debian nginx on loopback serves a generated Sentinel-2-like archive (14 members, ~11 MB); the
fault proxy in front of it counts requests and body bytes. Three bands (B02, B03, B04: ~2.55 MB
compressed, adjacent) and three spread members are extracted by each client, on an honest server and
behind a server that cuts every bounded range after ``--cut`` bytes (Theia's behaviour), and behind
one whose bounded ranges bring no byte at all (where only open-ended ranges work). Printed per
run: body bytes sent by the server, that figure ÷ the members' compressed bytes, ÷ the acceptance
budget (compressed bytes + local headers + central directory), requests, median wall time, and
whether the files came out right (SHA-256 against the originals).

theia-picker's approach is re-implemented here in a few lines from its description (it is not a
dependency): every read is an open-ended range ``bytes=start-`` read until enough bytes arrived, then
the connection is closed. Unlike the real tool, this re-implementation also decodes stored members
(the real one refuses an archive holding any), so that its bytes can be compared. Scene Picker fsyncs
every file before renaming it into place; the peers write without fsync. Times on a loaded machine
are noisy: compare them side by side within one run only.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
PKG_PARENT = ROOT / "build" / "pkgroot"
if not (PKG_PARENT / "scene_picker").is_symlink():
    PKG_PARENT.mkdir(parents=True, exist_ok=True)
    (PKG_PARENT / "scene_picker").symlink_to(ROOT, target_is_directory=True)
sys.path[:0] = [str(PKG_PARENT), str(ROOT / "tests")]

import requests  # noqa: E402

from scene_picker.core import zipformat  # noqa: E402
from scene_picker.core.http import HttpClient  # noqa: E402
from scene_picker.core.remotezip import RemoteZip, forget_range_modes  # noqa: E402

from support import zipgen  # noqa: E402
from support.fault_proxy import FaultProxy  # noqa: E402
from support.nginx import NginxServer  # noqa: E402

SELECTIONS = {
    "3 adjacent bands": ["*_B02_10m.jp2", "*_B03_10m.jp2", "*_B04_10m.jp2"],
    "3 spread members": ["*_B02_10m.jp2", "*_B11_20m.jp2", "*_PVI.jp2"],
}


# -- the three clients: each extracts `names` (exact member names) from `url` into `out` -----------------
def ours(url: str, names: list[str], out: Path) -> None:
    forget_range_modes()  # every run starts like a fresh process
    with HttpClient() as http:
        RemoteZip(url, http).extract(names, out, keep_folders=False)


def pypi_remotezip(url: str, names: list[str], out: Path) -> None:
    from remotezip import RemoteZip as TheirZip

    with TheirZip(url) as archive:
        for name in names:
            with archive.open(name) as src, open(out / Path(name).name, "wb") as dst:
                shutil.copyfileobj(src, dst)


def theia_like(url: str, names: list[str], out: Path) -> None:
    """Always ``bytes=start-``, read until enough, close (theia-picker's approach)."""
    session = requests.Session()

    def read_from(start: int, length: int) -> bytes:
        with session.get(url, headers={"Range": f"bytes={start}-"}, stream=True) as answer:
            data = b""
            for chunk in answer.iter_content(64 * 1024):
                data += chunk
                if len(data) >= length:
                    break
        if len(data) < length:
            raise OSError(f"short read at {start}")
        return data[:length]

    size = int(session.head(url).headers["Content-Length"])
    tail_start = max(0, size - 65536)
    tail = read_from(tail_start, size - tail_start)
    _eocd, members = zipformat.read_directory(read_from_range(read_from), size, tail)
    by_name = {m.name: m for m in members}
    for name in names:
        member = by_name[name]
        head = read_from(member.header_offset, 30)
        local = zipformat.parse_local_header(head)
        blob = read_from(member.header_offset, local.length + member.compressed_size)
        data = blob[local.length :]
        if member.compress_type == zipformat.DEFLATED:
            data = zlib.decompress(data, -15)
        elif member.compress_type != zipformat.STORED:
            raise ValueError(f"compression {member.method_name} not handled")
        (out / Path(name).name).write_bytes(data)
    session.close()


def read_from_range(read_from: Callable[[int, int], bytes]) -> Callable[[int, int], bytes]:
    return lambda start, end: read_from(start, end - start)


CLIENTS = {"scene-picker": ours, "remotezip (PyPI)": pypi_remotezip, "theia-picker approach": theia_like}


# -- measuring ---------------------------------------------------------------------------------------
def run_once(client, url: str, names: list[str], expected: dict[str, str], proxy: FaultProxy, faults: dict):
    proxy.configure(**faults)
    out = Path(tempfile.mkdtemp(prefix="bench-rz-"))
    started = time.perf_counter()
    try:
        client(url, names, out)
        error = None
    except Exception as exc:  # noqa: BLE001 - a peer failing is a result to print
        error = f"{type(exc).__name__}: {str(exc)[:70]}"
    elapsed = time.perf_counter() - started
    if error is None:
        for name, digest in expected.items():
            path = out / Path(name).name
            if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                error = f"wrong or missing bytes for {Path(name).name}"
                break
    shutil.rmtree(out, ignore_errors=True)
    return proxy.bytes_sent, proxy.requests, elapsed, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs per cell (median time; bytes of the last)"
    )
    parser.add_argument("--cut", type=int, default=100_000, help="bytes a bounded range gets when cut short")
    args = parser.parse_args()
    try:
        import remotezip  # noqa: F401
    except ImportError:
        print(
            "remotezip is not installed: .venv/bin/pip install -r dev/requirements-bench.txt", file=sys.stderr
        )
        return 2

    folder = Path(tempfile.mkdtemp(prefix="bench-rz-served-"))
    originals = zipgen.make_bands_archive(folder / "bands.zip")
    archive_size = (folder / "bands.zip").stat().st_size
    scenarios = {
        "honest": {},
        f"short ranges ({args.cut} B)": {"short_ranges": args.cut},
        "bounded ranges: 0 B": {"short_ranges": 0},
    }
    with NginxServer(folder) as nginx, FaultProxy(nginx.base_url) as proxy:
        url = proxy.url("bands.zip")
        with HttpClient() as http:
            probe = RemoteZip(url, http)
            members = probe.members()
            cd_size = probe._eocd.cd_size  # noqa: SLF001 - for the acceptance budget
        print(f"archive: {len(members)} members, {archive_size / 1e6:.2f} MB, central directory {cd_size} B")
        header = f"{'selection':<17} {'server':<24} {'client':<22} {'bytes':>10} {'×compr':>7} {'×budget':>8}"
        header += f" {'requests':>8} {'time ms':>8}  result"
        for label, patterns in SELECTIONS.items():
            chosen = [m for m in members if any(fnmatchcase(m.name, p) for p in patterns)]
            names = [m.name for m in chosen]
            compressed = sum(m.compressed_size for m in chosen)
            budget = compressed + sum(30 + len(m.raw_name) for m in chosen) + cd_size
            expected = {m.name: hashlib.sha256(m.data).hexdigest() for m in originals if m.name in names}
            print(f"\n{label}: {compressed / 1e6:.3f} MB compressed, budget {budget / 1e6:.3f} MB")
            print(header)
            for scenario, faults in scenarios.items():
                for client_name, client in CLIENTS.items():
                    runs = [run_once(client, url, names, expected, proxy, faults) for _ in range(args.repeat)]
                    sent, count, _, error = runs[-1]
                    elapsed = statistics.median(r[2] for r in runs) * 1000
                    result = error or "ok"
                    print(
                        f"{label:<17} {scenario:<24} {client_name:<22} {sent:>10} {sent / compressed:>7.3f} "
                        f"{sent / budget:>8.3f} {count:>8} {elapsed:>8.1f}  {result}"
                    )
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
