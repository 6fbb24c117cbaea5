"""The ``scene`` jobs of the download queue (``scene-picker download``, ``sync``, cluster workers).

A job's payload (:func:`scene_payload`) keeps a scene's record (or its provider and id when its links
are signed) and the provider options it was queued with (``--option``, ``--url``, a plan's options: text
checked against the provider's spec, never a credential). Wherever the job runs (this process, a later
``--resume``, a cluster worker), :class:`JobPools` builds its provider with exactly those options through
:func:`~scene_picker.catalogs.build_provider`; jobs queued by older versions (no ``options``) use the
catalog URL they kept.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Optional

from ..catalogs import build_provider, job_options, list_providers
from ..catalogs.download import download_scene
from ..core.cancel import CancelToken
from ..core.errors import CancelledError, ScenePickerError, UsageError
from ..core.http import HttpClient
from ..core.progress import Progress
from ..core.queue import Job
from ..core.ratelimit import host_slots
from ..core.redact import url_carries_secret
from ..core.scene import Scene
from ..providers.base import Provider
from ..providers.downloader import Downloader
from .progress_view import ProgressView


class ProviderPool:
    """One provider instance per registry name and options: a scene's recorded :attr:`Scene.source`
    (e.g. the STAC API it came from) overridden by the pool's options (the command's ``--option`` and
    ``--url``, or those a job was queued with)."""

    def __init__(
        self, default_name: Optional[str], url: Optional[str], options: Optional[dict[str, Any]] = None
    ) -> None:
        self.default_name = default_name
        self.options = {**(options or {}), **({"url": url} if url else {})}
        self._instances: dict[str, Provider] = {}
        self._plain_http: Optional[HttpClient] = None
        self._lock = threading.Lock()

    def get(self, name: Optional[str], source: Optional[dict[str, str]] = None) -> Provider:
        name = (name or self.default_name or "").strip()
        if not name:
            raise UsageError("The scenes do not say their provider: give --provider.")
        options = {**(source or {}), **self.options}
        key = json.dumps([name, options], sort_keys=True)
        with self._lock:
            if key not in self._instances:
                self._instances[key] = build_provider(name, options)
            return self._instances[key]

    def downloader(self, scene: Scene) -> Downloader:
        """The scene's provider's downloader. A provider that cannot be built without its catalog URL
        (STAC) and needs no account still downloads the scene's absolute asset URLs."""
        try:
            provider = self.get(scene.provider, scene.source)
        except UsageError:
            name = scene.provider or self.default_name or ""
            info = {i.name: i for i in list_providers()}.get(name)
            if info is None or info.credentials is not None or not scene.assets:
                raise
            with self._lock:
                if self._plain_http is None:
                    self._plain_http = HttpClient()
            return Downloader(scene, self._plain_http, provider=name)
        return provider.downloader(scene)


def queued_options(payload: dict[str, Any]) -> dict[str, str]:
    """The provider options a scene job was queued with; for a job queued by a version that kept only
    the catalog URL (no ``options``), that URL."""
    options = payload.get("options")
    if options is None:
        return {"url": payload["url"]} if payload.get("url") else {}
    return dict(options)


class JobPools:
    """The provider pools of scene jobs, one per set of provider options the jobs were queued with
    (jobs with the same options share their providers: sessions, sign-ins, limits)."""

    def __init__(self, default_name: Optional[str], *pools: ProviderPool) -> None:
        self.default_name = default_name
        self._pools = {json.dumps(pool.options, sort_keys=True): pool for pool in pools}
        self._lock = threading.Lock()

    def for_job(self, payload: dict[str, Any]) -> ProviderPool:
        """The pool that builds the job's provider with exactly its queued options (checked against the
        provider's spec of this version: a :class:`UsageError` for this job alone when it no longer fits)."""
        options = queued_options(payload)
        name = payload.get("provider") or self.default_name
        if name and options:
            try:
                options = job_options(name, options)
            except UsageError as exc:
                raise UsageError(
                    f"Queued with provider options that {name} does not take (any more): {exc} "
                    "Queue the scene again with valid --option values."
                ) from None
        key = json.dumps(options, sort_keys=True)
        with self._lock:
            if key not in self._pools:
                self._pools[key] = ProviderPool(self.default_name, None, options)
            return self._pools[key]


def scene_payload(scene: Scene, args, assets, members, options: Optional[dict[str, Any]] = None) -> dict:
    """What the queue keeps of a scene: its record, or only provider, source and id when its links carry
    a credential (signed URLs): the record is fetched (signed) again when the job runs. ``options`` are
    the provider options the job's provider is built with wherever it runs (kept as text, checked
    against the provider's spec; never a credential: :func:`~scene_picker.catalogs.job_options`)."""
    provider = scene.provider or args.provider
    if options and not provider:
        raise UsageError("The scenes do not say their provider: give --provider.")
    signed = any(url_carries_secret(asset.href) for asset in scene.assets.values())
    return {
        "key": job_key(provider, scene.id, assets, members, args.clip_request),
        "provider": provider,
        "options": job_options(provider, options) if options else {},
        "scene_id": scene.id,
        "source": scene.source,
        "scene": None if signed else scene.to_feature(),
        "assets": assets,
        "members": members,
        "out": str(args.out),
        "overwrite": bool(args.overwrite),
        "clip": args.clip_request,
    }


class SceneJobs:
    """The ``scene`` job kind of the download queue: one scene through its provider's downloader."""

    def __init__(self, pool: ProviderPool, view: ProgressView, per_host: Optional[int] = None) -> None:
        #: Jobs queued with the command's options use its pool; others (resumed) get their own.
        self.pools = JobPools(pool.default_name, pool)
        #: The provider options of the jobs this command queues (--option, --url).
        self.options = pool.options
        self.per_host = per_host
        self.default_provider = pool.default_name
        self.view = view
        self.errors: dict[str, ScenePickerError] = {}

    def __call__(self, job: Job, cancel: CancelToken, progress) -> dict[str, Any]:
        def report(event: Progress) -> None:
            progress(event)
            self.view(event)

        try:
            return self.execute(job, cancel, report)
        except ScenePickerError as exc:
            self.errors[job.id] = exc
            if not isinstance(exc, CancelledError):
                self.view.message(f"{job.label}: {exc}")
            raise

    def execute(self, job: Job, cancel: CancelToken, report) -> dict[str, Any]:
        """Run the job in this process (a cluster run sends it to a worker: :mod:`.cluster`)."""
        return run_scene(self.pools.for_job(job.payload), job.payload, cancel, report, self.per_host)


def run_scene(pool: ProviderPool, payload: dict, cancel: CancelToken, report, per_host=None) -> dict:
    """Download (or clip) the scene of a job's payload; its result as the queue keeps it. At most
    ``per_host`` scenes at once per host (:func:`~scene_picker.core.ratelimit.host_slots`)."""
    if payload.get("scene") is None:  # stored by id: its links are signed afresh now
        scene = pool.get(payload.get("provider"), payload.get("source")).get(payload["scene_id"])
    else:
        scene = Scene.from_feature(payload["scene"], provider=payload.get("provider"))
    downloader = pool.downloader(scene)
    hosts = _slot_urls(downloader, payload.get("assets")) if per_host else []
    with host_slots(hosts, per_host, cancel):
        result = download_scene(
            downloader,
            payload["out"],
            assets=payload.get("assets"),
            members=payload.get("members"),
            clip=payload.get("clip"),
            overwrite=bool(payload.get("overwrite")),
            cancel=cancel,
            progress=report,
        )
    return {
        "folder": str(downloader.scene_dir(payload["out"])),  # as named when written: read it back
        "files": [str(p) for p in result.files],
        "bytes_fetched": result.bytes_fetched,
        "skipped": result.skipped,
    }


def _slot_urls(downloader: Downloader, assets) -> list[str]:
    """The URLs whose hosts a scene's download holds a ``--per-host`` slot of: its chosen assets' links;
    for a scene whose links appear only once the service has activated it (Planet), its catalog's URL."""
    if downloader.scene.assets:
        return [asset.href for asset in downloader.select_assets(assets)]
    catalog = getattr(downloader, "catalog", None)
    return [catalog.url] if getattr(catalog, "url", None) else []


def job_key(provider: Optional[str], scene_id: str, assets, members, clip=None) -> str:
    return json.dumps([provider or "", scene_id, assets or [], members or []] + ([clip] if clip else []))
