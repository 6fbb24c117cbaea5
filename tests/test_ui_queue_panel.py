"""The Downloads tab at a narrow dock width (360 px): every progress bar text fits inside its bar and
the job's label, on its own line above the bar, is shown whole."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QFontMetrics

from scene_picker.ui.job_view import JobView
from scene_picker.ui.queue_panel import QueuePanel

pytestmark = pytest.mark.qgis

DOCK_WIDTH = 360
#: a long label of the Downloads list: the scene's label (date, platform) and four assets
TITLE = "2024-06-08 S2B · B04, B03, B02 +1"


def _job(job_id: str, state: str, done: int, speed: float = 0.0, eta: float | None = None) -> JobView:
    return JobView(
        job_id, state, "k", "stac", f"S2B_MSIL2A_20240608T105619_N0510_R094_T31TDJ_{job_id}", "/tmp",
        done=done, total=10_000_000, speed=speed, eta=eta, title=TITLE,
    )  # fmt: skip


@pytest.mark.parametrize(
    "job",
    [
        _job("a", "active", 9_999_999, speed=999.9 * 1024, eta=59 * 60 + 59),  # 99% · 999.9 KB/s · 59:59
        _job("b", "active", 4_500_000, speed=12.3 * 1024 * 1024, eta=3),
        _job("c", "interrupted", 4_500_000),
        _job("d", "cancelling", 4_500_000),
        _job("e", "queued", 0),
        _job("f", "failed", 100_000),
        _job("g", "done", 10_000_000),
    ],
    ids=lambda job: job.state,
)
def test_progress_text_fits_inside_the_bar_at_dock_width(qgis_app, job):
    panel = QueuePanel()
    panel.resize(DOCK_WIDTH, 400)
    panel.show()
    panel.update_job(job)
    QgsApplication.processEvents()  # the rows take their place in the list
    bar = panel.bar(job.id)
    assert bar.alignment() & Qt.AlignmentFlag.AlignHCenter  # drawn inside the bar in every style
    text = panel.bar_text(job.id)
    assert text and "%p" not in text
    room = bar.width()
    needed = QFontMetrics(bar.font()).horizontalAdvance(text)
    assert needed + 12 <= room, f"{text!r} needs {needed} px, the bar has {room}"
    if job.state == "active":  # a moving bar has room for all of it: percentage, speed and ETA
        assert text.count(" · ") == 2, text
    # the label has a line of its own above the bar, as wide as the list: shown whole, not elided
    label = panel.row(job.id).label
    assert panel.label_text(job.id) == panel.row_texts(job.id)[0] == job.title
    assert label.geometry().bottom() < bar.geometry().top()
    assert QFontMetrics(label.font()).horizontalAdvance(job.title) <= label.width()
    panel.close()
    panel.deleteLater()
