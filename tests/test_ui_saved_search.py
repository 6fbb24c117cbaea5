"""The dock's side-car filter and saved searches, in headless QGIS through the real plugin code: a search
of a static STAC catalog whose items' PVL/XML labels are served on loopback (some missing or malformed)
keeps exactly the scenes a brute-force read of the labels keeps, shows the values as a table column and in
the CSV export, reports the unreadable labels on the message bar; the search saved from the dock is a plan
that ``scene-picker sync`` runs, and opening it fills the form back."""

from __future__ import annotations

import csv
import datetime as dt

import pvl  # noqa: F401 - dev/requirements-test.txt installs it: the labels are read for real
import pytest
from qgis.core import Qgis, QgsCoordinateReferenceSystem, QgsGeometry
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime

from scene_picker.cli.main import main
from scene_picker.core.saved_search import load_plan
from scene_picker.ui import settings
from scene_picker.ui.dock import ScenePickerDock
from scene_picker.ui.results_model import BASE_COLUMNS, COL_ID

from support.pds_labels import COUNT, angle, brute_force, write_catalog
from support.ui_wait import clear_plugin_settings, private_qgis_settings, wait_for_tasks, wait_until

pytestmark = [pytest.mark.qgis]


@pytest.fixture()
def dock(labels, qgis_iface, qgis_new_project, tmp_path):
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        catalog = write_catalog(labels, tmp_path / "items.json")
        settings.write_setting("providers/stac-static/url", str(catalog))
        settings.write_setting(settings.OUTPUT_DIR, str(tmp_path / "downloads"))
        panel = ScenePickerDock(iface=qgis_iface)
        panel.show()
        panel.form.set_checked("stac-static", True)
        panel.form.set_dates(
            QDateTime(QDate(2024, 5, 1), QTime(0, 0), Qt.TimeSpec.UTC),
            QDateTime(QDate(2024, 5, 31), QTime(23, 59), Qt.TimeSpec.UTC),
        )
        panel.aoi.set_aoi(QgsGeometry.fromWkt("POLYGON((9 44, 11 44, 11 46, 9 46, 9 44))"), _wgs84())
        yield panel
        panel.close_panel()
        panel.deleteLater()
        clear_plugin_settings()


def _wgs84() -> QgsCoordinateReferenceSystem:
    return QgsCoordinateReferenceSystem("EPSG:4326")


def _search(dock: ScenePickerDock) -> None:
    assert dock.start_search() is not None
    assert wait_until(lambda: dock.search_task is None, 60), "the search did not finish"


def test_the_sidecar_filter_of_the_advanced_box(dock, labels, qgis_iface, tmp_path):
    passing, unreadable = brute_force(labels, 30.0)
    edit = dock.form.advanced.findChild(type(dock.members_edit), "sidecarFilterEdit")
    assert edit is dock.saved_search.filter_edit
    edit.setText("incidence_angle<30")
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    _search(dock)
    ids = {dock.model.scene_at(row).id for row in range(dock.model.rowCount())}
    assert ids == passing
    assert dock.model.columnCount() == BASE_COLUMNS + 1
    assert dock.model.headerData(BASE_COLUMNS, Qt.Orientation.Horizontal) == "incidence_angle"
    for row in range(dock.model.rowCount()):
        scene_id = dock.model.index(row, COL_ID).data()
        shown = dock.model.index(row, BASE_COLUMNS).data()
        assert float(shown) == angle(int(scene_id[-2:]))
    warnings = bar.get_messages(Qgis.MessageLevel.Warning)
    assert any(f"{len(unreadable)} scenes left out" in text for text in warnings), warnings

    export = tmp_path / "shown.csv"
    task = dock.export_results(export)
    assert task is not None and wait_for_tasks(30)
    with export.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["id"] for r in rows} == passing
    assert all(float(r["incidence_angle"]) == angle(int(r["id"][-2:])) for r in rows)

    edit.setText("")  # no filter: every scene, no side-car column
    _search(dock)
    assert dock.model.rowCount() == COUNT
    assert dock.model.columnCount() == BASE_COLUMNS

    edit.setText("incidence_angle<")  # a bad expression stops the search with a message
    bar.clear_messages()
    assert dock.start_search() is None
    assert any("Bad side-car filter" in t for t in bar.get_messages(Qgis.MessageLevel.Warning))


def test_a_search_saved_from_the_dock_syncs_and_opens_back(dock, labels, tmp_path, capsys):
    dock.saved_search.filter_edit.setText("incidence_angle<30")
    dock.form.set_cloud_range(0, 100)
    dock.members_edit.setText("")
    path = tmp_path / "plan.toml"
    dock.saved_search.save(path)
    assert wait_for_tasks(30) and path.is_file()
    (search,) = load_plan(path).searches
    assert search.providers == ("stac-static",) and search.options["url"].endswith("items.json")
    assert search.start == "2024-05-01T00:00:00Z" and search.last is None
    assert [f.text for f in search.sidecar.filters] == ["incidence_angle<30"]
    assert search.query(dt.datetime.now(dt.timezone.utc)).aoi.bounds == (9.0, 44.0, 11.0, 46.0)

    # the plan runs headless: only the scenes passing the label filter are downloaded
    out = tmp_path / "synced"
    assert main(["sync", str(path), "--out", str(out)]) == 0, capsys.readouterr().err
    passing, _unreadable = brute_force(labels, 30.0)
    assert {p.parent.name for p in out.glob("*/*.tif")} == passing

    rolling = tmp_path / "rolling.json"
    dock.saved_search.save(rolling, rolling_days=30)
    assert wait_for_tasks(30)
    (weekly,) = load_plan(rolling).searches
    assert weekly.last == "30 days" and weekly.start is None

    # open it back into a changed form
    dock.saved_search.filter_edit.setText("")
    dock.form.set_checked("stac-static", False)
    dock.form.set_cloud_range(10, 50)
    dock.aoi.clear()
    dock.saved_search.open(rolling)
    assert wait_until(lambda: dock.form.checked_providers() == ["stac-static"], 30)
    assert dock.saved_search.filter_edit.text() == "incidence_angle<30"
    assert dock.form.cloud_range() == (None, None)
    assert dock.aoi.aoi().boundingBox().toString(1) == "9.0,44.0 : 11.0,46.0"
    start = dock.form.start_edit.dateTime().toUTC().toSecsSinceEpoch()
    end = dock.form.end_edit.dateTime().toUTC().toSecsSinceEpoch()
    assert abs((end - start) - 30 * 86400) <= 120  # the rolling window, ending now
