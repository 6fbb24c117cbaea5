"""A QgsTask that runs one function off the main thread and hands its result back on the main thread.

Used for short background jobs (test login, quicklook fetch, asset listing). The function receives the
task so it can watch :meth:`QgsTask.isCanceled` and report progress; errors are caught and delivered
to the ``done`` signal — never raised on the main thread.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable

from qgis.core import Qgis, QgsApplication, QgsTask
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ..core.errors import ScenePickerError
from .messages import log


class TaskSignals(QObject):
    """Signals live on a QObject created on the main thread, so slots run there."""

    done = pyqtSignal(object, object)  # result, error (an exception or None)


class FunctionTask(QgsTask):
    def __init__(
        self,
        description: str,
        function: Callable[[QgsTask], Any],
        flags: QgsTask.Flags = QgsTask.Flag.CanCancel,
    ) -> None:
        super().__init__(description, flags)
        self.function = function
        self.result: Any = None
        self.error: BaseException | None = None
        self.signals = TaskSignals()

    def run(self) -> bool:
        try:
            self.result = self.function(self)
        except ScenePickerError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a bug must not vanish in a worker thread
            self.error = exc
            log(f"{self.description()} failed:\n{traceback.format_exc()}", Qgis.MessageLevel.Critical)
        return self.error is None

    def finished(self, ok: bool) -> None:  # main thread
        self.signals.done.emit(self.result, self.error)


class TaskKeeper:
    """Holds Python references to running tasks (QGIS does not) and cancels them on close."""

    def __init__(self) -> None:
        self._tasks: list[QgsTask] = []

    def start(self, task: QgsTask) -> QgsTask:
        self._tasks = [t for t in self._tasks if _alive(t)]
        self._tasks.append(task)
        QgsApplication.taskManager().addTask(task)
        return task

    def running(self) -> list[QgsTask]:
        self._tasks = [t for t in self._tasks if _alive(t)]
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in self.running():
            task.cancel()


def _alive(task: QgsTask) -> bool:
    try:
        return task.status() not in (QgsTask.TaskStatus.Complete, QgsTask.TaskStatus.Terminated)
    except RuntimeError:  # deleted on the C++ side
        return False
