"""What the dock shows of a download job (:class:`JobView`) and the states it can show: the core queue's,
plus two of the dock's own (interrupted by QGIS closing; cancelling until the engine stops)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core import queue as core_queue
from ..core.naming import scene_folder_name

QUEUED, ACTIVE, DONE, FAILED, CANCELLED = (
    core_queue.QUEUED,
    core_queue.ACTIVE,
    core_queue.DONE,
    core_queue.FAILED,
    core_queue.CANCELLED,
)
INTERRUPTED = "interrupted"  # shown for a job that was running when QGIS closed, until it resumes
CANCELLING = "cancelling"  # shown between Cancel and the moment the engine stops


@dataclass
class JobView:
    """What the dock shows of a core queue job."""

    id: str
    state: str
    key: str
    provider: str
    scene_id: str
    outdir: str
    done: int = 0
    total: int | None = None
    speed: float = 0.0
    eta: float | None = None
    error: str | None = None
    files: list[str] = field(default_factory=list)
    bytes_fetched: int = 0
    title: str = ""  # the scene's label and what is fetched (queue_panel.job_title)

    @property
    def folder(self) -> Path:
        return Path(self.outdir) / scene_folder_name(self.scene_id, self.provider)

    @property
    def fraction(self) -> float | None:
        if self.state == DONE:
            return 1.0
        return min(1.0, self.done / self.total) if self.total else None
