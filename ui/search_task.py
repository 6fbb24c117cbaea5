"""The search as a QgsTask: runs :func:`scene_picker.catalogs.search.aggregate_search` off the main
thread and streams scenes to the main thread in small batches through queued signals.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence, Union

from qgis.core import Qgis, QgsTask
from qgis.PyQt.QtCore import QCoreApplication, QObject, pyqtSignal

from ..catalogs.search import ProviderDone, ProviderFailed, SceneFound, aggregate_search
from ..core.cancel import CancelToken
from ..core.errors import CancelledError, ProviderError, ScenePickerError
from ..core.query import Query
from ..core.redact import redact
from ..providers.base import Provider
from .messages import log

_BATCH_SECONDS = 0.1  # a batch of scenes reaches the main thread at most every 100 ms
_BATCH_SIZE = 50


class SearchSignals(QObject):
    scenesFound = pyqtSignal(list)  # list[Scene]
    providerDone = pyqtSignal(str, int, object)  # provider, count, total (int | None)
    providerFailed = pyqtSignal(str, object)  # provider, ScenePickerError
    searchFinished = pyqtSignal(bool, object)  # ok, error (None, CancelledError, or unexpected)


#: A provider, or a function building one (in the task's thread).
ProviderSource = Union[Provider, Callable[[], Provider]]


class SearchTask(QgsTask):
    """``providers``: instances, or factories called in the worker (constructors may touch the network);
    ``labels``: what to call each of them when its factory fails (default: its position)."""

    def __init__(
        self,
        providers: Sequence[ProviderSource],
        query: Query,
        max_workers: int = 4,
        labels: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            QCoreApplication.translate("SearchTask", "Scene Picker: search"), QgsTask.Flag.CanCancel
        )
        self.providers = list(providers)
        self.labels = list(labels or ())
        self.query = query
        self.max_workers = max_workers
        self.signals = SearchSignals()
        self.count = 0
        self.error: BaseException | None = None
        self._done_providers = 0

    def run(self) -> bool:
        cancel = CancelToken.from_callable(self.isCanceled)
        batch: list = []
        last = time.monotonic()
        try:
            instances = self._opened = self._instances()  # closed when the task ends
            for event in aggregate_search(instances, self.query, self.max_workers, cancel=cancel):
                if isinstance(event, SceneFound):
                    batch.append(event.scene)
                    self.count += 1
                elif isinstance(event, ProviderDone):
                    self._flush(batch)
                    self._provider_finished()
                    self.signals.providerDone.emit(event.provider, event.count, event.total)
                elif isinstance(event, ProviderFailed):
                    self._flush(batch)
                    self._provider_finished()
                    self.signals.providerFailed.emit(event.provider, event.error)
                now = time.monotonic()
                if batch and (len(batch) >= _BATCH_SIZE or now - last >= _BATCH_SECONDS):
                    self._flush(batch)
                    last = now
            self._flush(batch)
            if self.isCanceled():
                raise CancelledError("The search was cancelled.")
        except CancelledError as exc:
            self._flush(batch)
            self.error = exc
            return False
        except ScenePickerError as exc:
            self.error = exc
            return False
        except Exception as exc:  # noqa: BLE001 - reported to the user instead of dying in a thread
            self.error = ProviderError(f"Unexpected search failure: {redact(repr(exc))}")
            log(f"search failed: {redact(repr(exc))}", Qgis.MessageLevel.Critical)
            return False
        return True

    def _instances(self) -> list[Provider]:
        out: list[Provider] = []
        for number, spec in enumerate(self.providers):
            if isinstance(spec, Provider):
                out.append(spec)
                continue
            try:
                out.append(spec())
            except ScenePickerError as exc:
                self._provider_finished()
                self.signals.providerFailed.emit(self._label(number, exc), exc)
        return out

    def _label(self, number: int, exc: ScenePickerError) -> str:
        if number < len(self.labels):
            return self.labels[number]
        fallback = QCoreApplication.translate("SearchTask", "provider {}").format(number + 1)
        return getattr(exc, "provider", None) or fallback

    def _provider_finished(self) -> None:
        self._done_providers += 1
        if self.providers:
            self.setProgress(100.0 * self._done_providers / len(self.providers))

    def _flush(self, batch: list) -> None:
        if batch:
            self.signals.scenesFound.emit(list(batch))
            batch.clear()

    def finished(self, ok: bool) -> None:  # main thread
        for provider in getattr(self, "_opened", ()):
            provider.close()  # their HTTP sessions: no socket left to the garbage collector
        if not ok and self.error is None:
            self.error = CancelledError("The search was cancelled.")
        self.signals.searchFinished.emit(ok, self.error)
