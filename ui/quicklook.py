"""Quicklook previews: fetched in a background task through the provider's HTTP client (so its auth
applies), cached on disk under the user cache folder and in memory, shown as a QPixmap.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from qgis.core import QgsTask
from qgis.PyQt.QtCore import QObject, QStandardPaths, pyqtSignal
from qgis.PyQt.QtGui import QImage

from ..core.errors import CancelledError, ProviderResponseError
from ..core.naming import local_path
from ..core.scene import ROLE_OVERVIEW, ROLE_THUMBNAIL, Scene
from .tasks import FunctionTask, TaskKeeper

MAX_BYTES = 8 * 1024 * 1024  # a preview larger than this is not a preview
CHUNK = 64 * 1024


def quicklook_href(scene: Scene) -> str | None:
    """The scene's quicklook URL, else its thumbnail or overview asset."""
    if scene.quicklook:
        return scene.quicklook
    for role in (ROLE_THUMBNAIL, ROLE_OVERVIEW):
        assets = scene.assets_with_role(role)
        if assets:
            return assets[0].href
    return None


def default_cache_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation)
    return Path(base) / "scene_picker" / "quicklooks"


def _bounded_get(http, href: str, task: QgsTask) -> bytes:
    """The body of ``href``, read in chunks and given up past :data:`MAX_BYTES` (a "quicklook" that is
    really a full product must not be pulled into memory) or when the task is cancelled."""
    response = http.request("GET", href, timeout=(10.0, 30.0), stream=True)
    try:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK):
            if task.isCanceled():
                raise CancelledError("The quicklook fetch was cancelled.")
            size += len(chunk)
            if size > MAX_BYTES:
                raise ProviderResponseError("The quicklook is too large to preview.")
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


class QuicklookCache(QObject):
    """``request(scene, http)`` → ``ready(key, QImage)`` or ``failed(key, message)`` (main thread)."""

    ready = pyqtSignal(str, QImage)
    failed = pyqtSignal(str, str)

    def __init__(self, cache_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self._memory: dict[str, QImage] = {}
        self._pending: set[str] = set()
        self.tasks = TaskKeeper()
        self.fetches = 0  # network/disk fetches started (cache misses)

    def cache_file(self, href: str) -> Path:
        return self.cache_dir / hashlib.sha1(href.encode()).hexdigest()

    def cached(self, key: str) -> QImage | None:
        return self._memory.get(key)

    def request(self, key: str, scene: Scene, client_factory: Callable[[], object]) -> bool:
        """Show from memory at once (emits ``ready``), or start a fetch; False when there is no quicklook.

        ``client_factory`` (called in the fetch's task) makes an HttpClient, or a provider whose ``http``
        fetches; either is closed after the fetch (a provider with all the sessions it opened)."""
        href = quicklook_href(scene)
        if href is None:
            return False
        image = self._memory.get(key)
        if image is not None:
            self.ready.emit(key, image)
            return True
        if key in self._pending:
            return True
        self._pending.add(key)
        self.fetches += 1
        target = self.cache_file(href)

        def work(task: QgsTask) -> bytes:
            if target.is_file():
                return target.read_bytes()
            local = local_path(href)
            if local is not None:
                if local.stat().st_size > MAX_BYTES:
                    raise ProviderResponseError("The quicklook is too large to preview.")
                data = local.read_bytes()
            else:
                client = client_factory()
                try:
                    data = _bounded_get(getattr(client, "http", client), href, task)
                finally:
                    client.close()  # made for this fetch: no socket left to the garbage collector
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_suffix(".part")
            part.write_bytes(data)
            part.replace(target)
            return data

        task = FunctionTask(self.tr("Scene Picker: quicklook"), work)
        task.signals.done.connect(lambda data, error, key=key: self._on_done(key, data, error))
        self.tasks.start(task)
        return True

    def _on_done(self, key: str, data: bytes | None, error: BaseException | None) -> None:
        self._pending.discard(key)
        if error is not None or not data:
            self.failed.emit(key, str(error) if error else self.tr("empty quicklook"))
            return
        image = QImage.fromData(data)
        if image.isNull():
            self.failed.emit(key, self.tr("The quicklook is not an image."))
            return
        self._memory[key] = image
        self.ready.emit(key, image)
