"""A ``SensorAPI``-style entry point, for users of PCI's ``pci.downloaders``: scenes by platform name,
then ``download_all``.

:meth:`SensorAPI.scenes` picks the registered providers that serve the platform (``"Landsat-8"``,
``"sentinel2"``, ``"PlanetScope"`` — spelling-insensitive), searches them together and returns the
scenes; :meth:`SensorAPI.download_all` activates and downloads scenes one by one or on threads, and
returns what it downloaded and what failed with the cause (:class:`DownloadReport`). Cancellation
through ``cancel_requested`` stops the transfers at their next chunk; the cancelled scenes are reported
as failures with a :class:`~scene_picker.core.errors.CancelledError`.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

from ..core.cancel import CancelToken
from ..core.errors import CancelledError, ScenePickerError, UsageError
from ..core.platforms import normalise_platform
from ..core.progress import ProgressCallback
from ..core.query import Query
from ..core.scene import Scene
from .aggregate import ProviderFailed, SceneFound, aggregate_search
from .base import Provider
from .downloader import DownloadFailure, DownloadResult
from .registry import get_provider, list_providers

log = logging.getLogger(__name__)


@dataclass
class DownloadReport:
    """What :meth:`SensorAPI.download_all` did; unpacks as ``results, failures``."""

    results: list[DownloadResult] = field(default_factory=list)
    failures: list[DownloadFailure] = field(default_factory=list)

    @property
    def cancelled(self) -> bool:
        return any(isinstance(f.error, CancelledError) for f in self.failures)

    def __iter__(self) -> Iterator[list]:
        return iter((self.results, self.failures))


class SensorAPI:
    """Search and download by platform name over every registered provider that serves it.

    ``providers`` limits the choice to these names (or instances); ``provider_options`` gives the
    keyword arguments a provider is built with, by name (e.g. ``{"usgs": {"url": ...}}``).
    """

    def __init__(
        self,
        providers: Optional[Sequence[Union[str, Provider]]] = None,
        provider_options: Optional[Mapping[str, Mapping[str, Any]]] = None,
        max_workers: int = 4,
    ) -> None:
        self._options = {k.lower(): dict(v) for k, v in (provider_options or {}).items()}
        self._instances: dict[str, Provider] = {}
        self._allowed: Optional[list[str]] = None
        if providers is not None:
            self._allowed = []
            for item in providers:
                if isinstance(item, Provider):
                    self._instances[item.name] = item
                    self._allowed.append(item.name)
                else:
                    self._allowed.append(item.strip().lower())
        self.max_workers = max(1, max_workers)
        #: Providers that failed during the last :meth:`scenes` while others answered.
        self.last_errors: list[ProviderFailed] = []
        self._lock = threading.Lock()

    # -- providers ----------------------------------------------------------------------------------
    def provider(self, name: str) -> Provider:
        """The (cached) instance of provider ``name``."""
        key = name.strip().lower()
        with self._lock:
            if key not in self._instances:
                self._instances[key] = get_provider(key, **self._options.get(key, {}))
            return self._instances[key]

    def providers_for(self, platformname: str) -> list[tuple[Provider, str]]:
        """The providers serving ``platformname``, each with its own spelling of the platform."""
        wanted = normalise_platform(platformname)
        infos = {i.name: i for i in list_providers()}
        names = self._allowed if self._allowed is not None else sorted(infos)
        chosen: list[tuple[Provider, str]] = []
        offered_all: set[str] = set()
        for name in names:
            if name in self._instances:
                platforms = self._instances[name].platforms
            elif name in infos:
                platforms = infos[name].platforms
            else:
                platforms = self.provider(name).platforms  # raises UnknownProviderError
            offered_all.update(platforms)
            for offered in platforms:
                if normalise_platform(offered) == wanted:
                    chosen.append((self.provider(name), offered))
                    break
        if not chosen:
            raise UsageError(
                f"No provider serves the platform {platformname!r}; platforms served: "
                f"{', '.join(sorted(offered_all)) or 'none'}."
            )
        return chosen

    # -- search -------------------------------------------------------------------------------------
    def scenes(
        self,
        platformname: str,
        aoi: Any = None,
        start_date: Any = None,
        end_date: Any = None,
        cloud_min: Any = None,
        cloud_max: Any = None,
        **kwargs: Any,
    ) -> list[Scene]:
        """Scenes of ``platformname`` intersecting ``aoi`` (WKT, GeoJSON, shapely, file; EPSG:4326 unless
        ``aoi_crs=`` says otherwise) between the dates, within the cloud range (percent).

        Other keywords: ``collections``, ``product_type``, ``max_results`` (per provider), ``aoi_crs``,
        ``providers`` (names, to narrow the choice); the rest go to ``Query.extras``. When several
        providers serve the platform they are searched together; if some fail, their errors are kept in
        :attr:`last_errors`, and only if all fail is the first error raised.
        """
        names = kwargs.pop("providers", None)
        query_args = {
            k: kwargs.pop(k) for k in ("collections", "product_type", "max_results", "aoi_crs") if k in kwargs
        }
        chosen = self.providers_for(platformname)
        if names:
            wanted = {n.lower() for n in ([names] if isinstance(names, str) else names)}
            chosen = [(p, o) for p, o in chosen if p.name in wanted]
            if not chosen:
                raise UsageError(
                    f"None of the providers {', '.join(sorted(wanted))} serves {platformname!r}."
                )
        self.last_errors = []
        scenes: list[Scene] = []
        by_platform: dict[str, list[Provider]] = {}
        for provider, offered in chosen:
            by_platform.setdefault(offered, []).append(provider)
        for offered, providers in by_platform.items():
            query = Query.build(
                aoi=aoi,
                start=start_date,
                end=end_date,
                cloud_min=cloud_min,
                cloud_max=cloud_max,
                platforms=(offered,),
                extras=kwargs,
                **query_args,
            )
            if len(providers) == 1 and len(by_platform) == 1:
                return list(providers[0].search(query))
            for event in aggregate_search(providers, query, max_workers=self.max_workers):
                if isinstance(event, SceneFound):
                    scenes.append(event.scene)
                elif isinstance(event, ProviderFailed):
                    log.warning("%s", event.message)
                    self.last_errors.append(event)
        if self.last_errors and len(self.last_errors) == len(chosen):
            raise self.last_errors[0].error
        return scenes

    # -- download -----------------------------------------------------------------------------------
    def download_all(
        self,
        scenes: Iterable[Scene],
        outdir: Union[str, Path],
        overwrite: bool = False,
        skip_error: bool = False,
        scene_filter: Optional[Callable[[Scene], bool]] = None,
        use_threads: bool = False,
        cancel_requested: Optional[Callable[[], bool]] = None,
        *,
        assets: Optional[Sequence[str]] = None,
        max_workers: Optional[int] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> DownloadReport:
        """Activate and download every scene (that ``scene_filter`` accepts) into ``outdir/<scene id>/``.

        With ``skip_error`` a failed scene is recorded and the others go on; without it the first
        failure stops the rest and is raised. ``use_threads`` downloads ``max_workers`` scenes at once.
        ``cancel_requested()`` returning True stops at the next chunk, leaving no partial file under a
        final name; the scenes not finished are then reported as cancelled failures.
        """
        todo = [s for s in scenes if scene_filter is None or scene_filter(s)]
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        token = CancelToken.from_callable(cancel_requested) if cancel_requested else CancelToken()
        outcomes: dict[int, Union[DownloadResult, DownloadFailure]] = {}
        first_error: list[ScenePickerError] = []

        def run(index: int, scene: Scene) -> None:
            try:
                token.raise_if_cancelled(f"The download of {scene.id}")
                downloader = self.provider(scene.provider).downloader(scene)
                # the download activates exactly the chosen assets first (e.g. Planet's asset types)
                outcomes[index] = downloader.download(
                    outdir, assets=assets or None, overwrite=overwrite, cancel=token, progress=progress
                )
            except CancelledError as exc:
                outcomes[index] = DownloadFailure(scene.id, exc)
            except ScenePickerError as exc:
                log.warning("%s: %s", scene.id, exc)
                outcomes[index] = DownloadFailure(scene.id, exc)
                if not skip_error:
                    first_error.append(exc)
                    token.cancel()

        if use_threads and len(todo) > 1:
            workers = max(1, min(max_workers or self.max_workers, len(todo)))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scene-picker-download") as pool:
                for future in as_completed([pool.submit(run, i, s) for i, s in enumerate(todo)]):
                    future.result()
        else:
            for index, scene in enumerate(todo):
                run(index, scene)
        if first_error:
            raise first_error[0]
        report = DownloadReport()
        for index in range(len(todo)):
            outcome = outcomes[index]
            (report.results if isinstance(outcome, DownloadResult) else report.failures).append(outcome)
        return report

    def close(self) -> None:
        """End provider sessions (e.g. the USGS M2M API key)."""
        with self._lock:
            instances = list(self._instances.values())
        for provider in instances:
            close = getattr(provider, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> SensorAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
