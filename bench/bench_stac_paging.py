"""Paging 10 000 items from one real STAC API: Scene Picker's STAC provider vs pystac-client.

Run by hand (not part of the test suite; needs ``make stac-venv``, which also installs pystac-client
in .venv-stac only):

    PROJ_DATA=/usr/share/proj .venv/bin/python bench/bench_stac_paging.py [--items 10000] [--page-size 1000]

Starts the test STAC server (stac-fastapi-pgstac, tests/support/stac_server.py) with ``--items``
generated items, then alternates runs of both clients over the same search (POST /search, same page
size, every page followed) and prints each run, the medians and the ratio ours ÷ pystac-client's
(target ≤ 1.0). pystac-client runs in .venv-stac's interpreter; each side times only its own paging
(no interpreter start), and both build objects per item (our Scene, pystac's Item).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "build" / "pkgroot"), str(ROOT / "tests")]

PEER = """
import json, sys, time
from pystac_client import Client
url, limit, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
start, cpu = time.perf_counter(), time.process_time()
search = Client.open(url).search(limit=limit, max_items=count, method="POST")
items = list(search.items()) if mode == "items" else list(search.items_as_dicts())
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
ids = {i.id if mode == "items" else i["id"] for i in items}
print(json.dumps({"seconds": elapsed, "cpu": cpu, "count": len(items), "unique": len(ids)}))
"""


def ours(url: str, limit: int, count: int) -> dict:
    from scene_picker.core.query import Query
    from scene_picker.providers.stac import StacProvider

    start, cpu = time.perf_counter(), time.process_time()
    provider = StacProvider(url, page_size=limit, method="POST")
    scenes = list(provider.search(Query.build(max_results=count)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": elapsed, "cpu": cpu, "count": len(scenes), "unique": len({s.id for s in scenes})}


def peer(url: str, limit: int, count: int, mode: str) -> dict:
    python = ROOT / ".venv-stac" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", PEER, url, str(limit), str(count), mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from support.stac_server import StacServer

    t0 = time.perf_counter()
    server = StacServer(collections={"bench-test": (args.items, True, "sentinel-2a")}, seed=7)
    server.start()
    print(f"server with {len(server.items)} items ready in {time.perf_counter() - t0:.1f}s at {server.url}")
    try:
        ours(server.url, args.page_size, args.items)  # warm-up of the database caches
        results: dict[str, list[float]] = {
            "scene-picker": [],
            "pystac-client items": [],
            "pystac-client dicts": [],
        }
        for rnd in range(1, args.rounds + 1):
            runs = {
                "scene-picker": ours(server.url, args.page_size, args.items),
                "pystac-client items": peer(server.url, args.page_size, args.items, "items"),
                "pystac-client dicts": peer(server.url, args.page_size, args.items, "dicts"),
            }
            for name, run in runs.items():
                if run["count"] != args.items or run["unique"] != args.items:
                    raise SystemExit(
                        f"{name} returned {run['count']} items ({run['unique']} unique), not {args.items}"
                    )
                results[name].append(run["seconds"])
                print(
                    f"round {rnd}: {name:22s} {run['seconds']:7.3f}s wall, {run['cpu']:6.3f}s client CPU "
                    f"({run['count']} items)"
                )
        med = {name: statistics.median(times) for name, times in results.items()}
        print()
        for name, value in med.items():
            print(f"median {name:22s} {value:7.3f}s")
        items_ratio = med["scene-picker"] / med["pystac-client items"]
        dicts_ratio = med["scene-picker"] / med["pystac-client dicts"]
        print(f"ratio scene-picker / pystac-client (Item objects): {items_ratio:.2f}")
        print(f"ratio scene-picker / pystac-client (plain dicts) : {dicts_ratio:.2f}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
