"""10 000 scenes streamed into the dock's results table, the way a search delivers them: Scene Picker's
ResultsModel + ResultsFilterModel vs a plain QStandardItemModel + QSortFilterProxyModel fed the same
batches.

Run by hand (not part of the test suite):

    QT_QPA_PLATFORM=offscreen PROJ_DATA=/usr/share/proj .venv/bin/python bench/bench_results_table.py \
        [--scenes 10000] [--batch 50] [--rounds 3]

Both sides sit behind a QTableView sorted by date (newest first), as in the dock, and receive the scenes
in batches of ``--batch`` (SearchTask's batch size), with the event loop run after each batch; the time
ends when the last batch is shown. Prints each round, the medians and the ratio ours ÷ plain; ours
must stay under 1 s for 10 000 scenes. The peer only shows five text columns (no filters, no labels).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "build" / "pkgroot"))
if not (ROOT / "build" / "pkgroot" / "scene_picker").exists():
    (ROOT / "build" / "pkgroot").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "pkgroot" / "scene_picker").symlink_to(ROOT)


def make_scenes(count: int, seed: int = 7) -> list:
    from scene_picker.core.scene import Asset, Scene

    rng = random.Random(seed)
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    scenes = []
    for number in range(count):
        when = start + dt.timedelta(seconds=rng.randrange(4 * 365 * 86400))
        band, square = rng.choice("CDEFGHJKLMNPQRSTUVWX"), rng.choice("ABCDEF") + rng.choice("ABCDEF")
        tile = f"{rng.randrange(1, 61):02d}{band}{square}"
        unit = rng.choice("AB")
        scene_id = f"S2{unit}_MSIL2A_{when:%Y%m%dT%H%M%S}_N0509_R{number % 143:03d}_T{tile}_{number:06d}"
        scenes.append(
            Scene(
                provider="stac",
                id=scene_id,
                platform=f"sentinel-2{unit.lower()}",
                collection="sentinel-2-l2a",
                datetime=when,
                cloud_cover=rng.random() * 100,
                assets={
                    "B04": Asset("B04", f"https://example.org/{number}/B04.tif", size=rng.randrange(10**8))
                },
                properties={"s2:mgrs_tile": tile},
            )
        )
    return scenes


def batches(scenes: list, size: int) -> list[list]:
    return [scenes[i : i + size] for i in range(0, len(scenes), size)]


def show(view, app) -> None:
    view.resize(360, 400)  # a dock's width
    view.show()
    app.processEvents()


def discard(view, app) -> None:
    """Hide and delete the view (a view left shown would be painted during the next rounds)."""
    from qgis.PyQt import sip

    view.hide()
    sip.delete(view)
    app.processEvents()


def run_ours(parts: list[list], app) -> tuple[float, int]:
    from qgis.PyQt.QtWidgets import QTableView

    from scene_picker.ui.dock_results import configure_results_table
    from scene_picker.ui.results_model import ResultsFilterModel, ResultsModel

    model = ResultsModel()
    proxy = ResultsFilterModel()
    proxy.setSourceModel(model)
    view = QTableView()
    configure_results_table(view, proxy)  # the dock's own table set-up
    show(view, app)
    start = time.perf_counter()
    for part in parts:
        model.add_scenes(part)
        app.processEvents()
    elapsed = time.perf_counter() - start
    rows = proxy.rowCount()
    first, last = proxy.scene_at(0), proxy.scene_at(rows - 1)
    assert first.datetime >= last.datetime, "not sorted newest first"
    discard(view, app)
    return elapsed, rows


def run_plain(parts: list[list], app) -> tuple[float, int]:
    from qgis.PyQt.QtCore import QSortFilterProxyModel, Qt
    from qgis.PyQt.QtGui import QStandardItem, QStandardItemModel
    from qgis.PyQt.QtWidgets import QTableView

    model = QStandardItemModel(0, 5)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setDynamicSortFilter(True)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    show(view, app)
    start = time.perf_counter()
    for part in parts:
        for scene in part:
            model.appendRow(
                [
                    QStandardItem(scene.id),
                    QStandardItem(scene.datetime.strftime("%Y-%m-%d %H:%M")),
                    QStandardItem(f"{scene.cloud_cover:.1f}"),
                    QStandardItem(scene.platform),
                    QStandardItem(scene.collection),
                ]
            )
        app.processEvents()
    elapsed = time.perf_counter() - start
    rows = proxy.rowCount()
    discard(view, app)
    return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    scenes = make_scenes(args.scenes)
    parts = batches(scenes, args.batch)
    ours, plain = [], []
    for number in range(args.rounds):
        seconds, rows = run_ours(parts, app)
        ours.append(seconds)
        print(f"round {number + 1}: ours  {seconds:6.3f} s ({rows} rows)")
        seconds, rows = run_plain(parts, app)
        plain.append(seconds)
        print(f"round {number + 1}: plain {seconds:6.3f} s ({rows} rows)")
    ours_median, plain_median = statistics.median(ours), statistics.median(plain)
    print(f"{args.scenes} scenes in batches of {args.batch}, median of {args.rounds}:")
    print(f"  ours  (ResultsModel + ResultsFilterModel): {ours_median:.3f} s")
    print(f"  plain (QStandardItemModel + QSortFilterProxyModel): {plain_median:.3f} s")
    print(f"  ratio ours / plain: {ours_median / plain_median:.2f}")
    print(f"  target: ours < 1 s -> {'met' if ours_median < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
