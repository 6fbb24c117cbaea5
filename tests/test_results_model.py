"""The results table model: scenes streamed in batches stay sorted (checked against Python's sort),
re-sorting keeps the selection, filters work on the sorted rows, and a scene delivered twice within a
search (same provider + id) gets one row and one footprint."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from qgis.PyQt.QtCore import QItemSelectionModel, Qt

from scene_picker.core.scene import Scene
from scene_picker.ui.results_model import (
    COL_CLOUD,
    COL_DATE,
    COL_ID,
    COL_LABEL,
    ResultsFilterModel,
    ResultsModel,
    scene_key,
)

pytestmark = pytest.mark.qgis


def _scenes(count: int, seed: int = 3) -> list[Scene]:
    rng = random.Random(seed)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    out = []
    for number in range(count):
        when = start + dt.timedelta(hours=rng.randrange(24 * 365)) if number % 17 else None
        cloud = round(rng.random() * 100, 1) if number % 13 else None
        out.append(Scene("stac", f"item-{number:04d}", "sentinel-2a", "s2", when, cloud_cover=cloud))
    return out


def _shown(proxy: ResultsFilterModel) -> list[str]:
    return [proxy.scene_at(row).id for row in range(proxy.rowCount())]


def _models() -> tuple[ResultsModel, ResultsFilterModel]:
    model = ResultsModel()
    proxy = ResultsFilterModel()
    proxy.setSourceModel(model)
    proxy.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    return model, proxy


def _by_date_desc(scenes: list[Scene]) -> list[str]:
    # newest first; no date last; equal dates in arrival order
    ordered = sorted(
        enumerate(scenes),
        key=lambda p: (p[1].datetime.timestamp() if p[1].datetime else float("-inf"), -p[0]),
    )
    return [scene.id for _number, scene in reversed(ordered)]


def test_batches_stay_sorted_and_resorting_keeps_the_selection(qgis_app):
    scenes = _scenes(600)
    model, proxy = _models()
    for start in range(0, len(scenes), 50):
        model.add_scenes(scenes[start : start + 50])
        assert _shown(proxy) == _by_date_desc(scenes[: start + 50])
    assert [s.id for s in model.scenes()] == _by_date_desc(scenes)

    selection = QItemSelectionModel(proxy)
    chosen = proxy.scene_at(7)
    selection.select(
        proxy.index(7, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    proxy.sort(COL_CLOUD, Qt.SortOrder.AscendingOrder)
    clouds = [proxy.scene_at(r).cloud_cover for r in range(proxy.rowCount())]
    known = [c for c in clouds if c is not None]
    assert known == sorted(known) and clouds[len(known) :] == [None] * (len(clouds) - len(known))
    (selected,) = selection.selectedRows()
    assert proxy.scene_at(selected.row()).id == chosen.id
    proxy.sort(COL_ID, Qt.SortOrder.DescendingOrder)
    assert _shown(proxy) == sorted((s.id for s in scenes), reverse=True)
    model.add_scenes(_scenes(650)[600:])  # new scenes land in the id order too
    assert _shown(proxy) == sorted((s.id for s in _scenes(650)), reverse=True)

    proxy.set_max_cloud(20.0)
    expected = sorted(
        (s.id for s in _scenes(650) if s.cloud_cover is None or s.cloud_cover <= 20), reverse=True
    )
    assert _shown(proxy) == expected
    proxy.set_text("item-06")
    assert _shown(proxy) == [i for i in expected if i.startswith("item-06")]
    row = proxy.proxy_row_of(scene_key(proxy.scene_at(0)))
    assert row == 0


def test_a_scene_delivered_twice_gets_one_row(qgis_app):
    scenes = _scenes(5)
    again = Scene("stac", scenes[2].id, "sentinel-2a", "s2", scenes[2].datetime, cloud_cover=1.5)
    model, proxy = _models()
    new = model.add_scenes([scenes[0], scenes[2], again, scenes[3]])  # twice within one batch
    assert [s.id for s in new] == [scenes[0].id, scenes[2].id, scenes[3].id]
    assert model.rowCount() == 3
    assert model.scene_at(model.row_of(scene_key(again))).cloud_cover == 1.5  # the last one wins
    assert model.add_scenes([scenes[2], scenes[4]]) == [scenes[4]]  # and across batches
    assert model.rowCount() == 4
    other = Scene("cdse", scenes[2].id, datetime=scenes[2].datetime)  # same id, other provider: a row
    assert model.add_scenes([other]) == [other] and model.rowCount() == 5
    assert model.index(0, COL_LABEL).data(Qt.ItemDataRole.ToolTipRole) == model.scene_at(0).id
