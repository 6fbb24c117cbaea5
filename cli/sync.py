"""``scene-picker sync PLAN --out DIR``: run every saved search of a plan and download what is new.

    scene-picker sync PLAN --out DIR [-j N] [--dry-run] [--wait [SECONDS]] [--now ISO]

The plan (:mod:`scene_picker.core.saved_search`) names searches and what to fetch of each scene. A
scene is *complete* in DIR when the download queue kept there has a finished job for it (same provider,
id and selection) whose files are all still present and verified; complete scenes are not fetched
again. The others are queued and downloaded (a file already verified on disk is skipped by the
downloader, so nothing is fetched twice even when the queue forgot a job). Finished jobs stay in the
queue as the record of what was done. stdout lists the new scenes and one summary line per search.

One sync at a time per DIR: a second one exits at once with code 75 and a clear message, or waits
with ``--wait`` (an OS lock, released when the process ends however it ends). ``--dry-run`` lists what
would be fetched and writes nothing. ``--now`` evaluates rolling windows at another time than the clock.
Exit code: 0 when every search ran and every scene is complete; else the code of the first failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalogs import build_provider
from ..core.dirlock import folder_lock
from ..core.errors import CancelledError, ScenePickerError, UsageError
from ..core.query import parse_datetime
from ..core.queue import DONE, DownloadQueue, Job
from ..core.saved_search import Plan, SavedSearch, load_plan
from ..core.scene import Scene
from ..core.transfer import is_verified, verified_record_path
from . import clip_options, download
from .command import add_command
from .progress_view import ProgressView, human_bytes
from .sidecar_opts import filter_scenes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "sync", run)
    parser.add_argument("plan", type=Path, help="plan file (.toml, or .json)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output folder (holds the queue)")
    parser.add_argument(
        "-j", "--concurrency", type=int, default=2, help="scenes downloaded at once (default: 2)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be fetched, download nothing")
    parser.add_argument(
        "--wait",
        nargs="?",
        type=float,
        const=-1.0,
        metavar="SECONDS",
        help="when another sync works on DIR, wait for it (for at most SECONDS) instead of exiting with 75",
    )
    parser.add_argument(
        "--now", metavar="ISO", help="evaluate rolling windows at this UTC time (default: now)"
    )
    parser.add_argument(
        "--sidecar-workers", type=int, default=8, metavar="N", help="side-car labels fetched at once"
    )


# -- the download options of a search -------------------------------------------------------------------
def download_args(search: SavedSearch, out: Path) -> argparse.Namespace:
    """The ``scene-picker download`` arguments a search's scenes are downloaded with: the one place
    where a plan's ``fetch`` table maps to download options (``--assets``, ``--members``, ``--clip``
    with the search's AOI as ``--aoi``/``--aoi-crs``, ``--clip-buffer``, ``--clip-mask``)."""
    fetch = search.fetch
    args = argparse.Namespace(
        provider=None,
        url=None,
        results=None,
        out=out,
        overwrite=False,
        assets=",".join(fetch.assets) or None,
        members=",".join(fetch.members) or None,
        clip=fetch.clip,
        aoi=None,
        aoi_crs=None,
        clip_buffer=fetch.clip_buffer or 0.0,
        clip_mask=fetch.clip_mask,
        clip_request=None,
    )
    if fetch.clip:
        if search.bbox:
            from ..core.geometry import bbox_geometry

            args.aoi = bbox_geometry(search.bbox).wkt
        elif search.aoi_file is not None:
            args.aoi, args.aoi_crs = str(search.aoi_file), search.aoi_crs
        else:
            args.aoi, args.aoi_crs = search.aoi, search.aoi_crs
        if not args.aoi:
            raise UsageError(f"Search {search.name!r} asks for clip = true but names no area (aoi, bbox).")
        args.clip_request = clip_options.clip_payload(args)
    return args


# -- searching ------------------------------------------------------------------------------------------
@dataclass
class Found:
    """The outcome of one search of the plan."""

    search: SavedSearch
    scenes: list[Scene] = field(default_factory=list)
    errors: list[ScenePickerError] = field(default_factory=list)
    #: The plan's options of each provider searched (by registry name), kept in the scenes' jobs.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_searches(plan: Plan, now: dt.datetime, sidecar_workers: int = 8) -> list[Found]:
    """Every search of the plan at ``now``; a failing provider is recorded, the others still run."""
    from .aoi_file import read_vector_aoi

    found = []
    for search in plan.searches:
        outcome = Found(search)
        found.append(outcome)
        query = search.query(now, vector_reader=read_vector_aoi)
        for name in search.providers:
            try:
                options = search.provider_options(name)
                provider = build_provider(name, options)
                outcome.options[provider.name] = options
                label = f"{search.name} ({provider.label})"
                scenes = filter_scenes(
                    provider.search(query), search.sidecar, provider.http, sidecar_workers, label=label
                )
            except CancelledError:
                raise
            except UsageError:
                raise  # a plan mistake (unknown provider, bad option): stop before any download
            except ScenePickerError as exc:
                print(f"{search.name}: {name}: {exc}", file=sys.stderr)
                outcome.errors.append(exc)
                continue
            outcome.scenes.extend(scenes)
    return found


# -- what is complete -----------------------------------------------------------------------------------
def files_complete(paths: list[str]) -> bool:
    """Whether every file a finished job wrote is still there and, when it has a verification record,
    matches it (zip members are CRC-checked when extracted and carry no record)."""
    for text in paths:
        path = Path(text)
        if not path.is_file():
            return False
        if verified_record_path(path).exists() and not is_verified(path, None, None):
            return False
    return bool(paths)


def complete_keys(jobs: list[Job]) -> set[str]:
    """Keys of the scene jobs finished in an earlier run whose files are all still complete."""
    return {
        job.payload.get("key")
        for job in jobs
        if job.kind == download.SCENE_JOB
        and job.state == DONE
        and files_complete(list((job.result or {}).get("files") or []))
    }


@dataclass
class Pending:
    search: SavedSearch
    scene: Scene
    args: argparse.Namespace
    payload: dict[str, Any]


def search_jobs(found: Found, out: Path) -> list[Pending]:
    """One download job (payload and arguments) per scene a search found."""
    args = download_args(found.search, out)
    assets, members = download.split_list(args.assets), download.split_list(args.members)
    return [
        Pending(
            found.search,
            scene,
            args,
            download.scene_payload(scene, args, assets, members, found.options.get(scene.provider)),
        )
        for scene in found.scenes
    ]


def plan_jobs(
    found: list[Found], out: Path, queue_jobs: list[Job]
) -> tuple[list[Pending], dict[str, int], set[str]]:
    """The scenes to fetch (one per key, first search wins), per search how many are complete, and the
    keys of every scene the searches found."""
    done = complete_keys(queue_jobs)
    pending: dict[str, Pending] = {}
    complete = {f.search.name: 0 for f in found}
    keys: set[str] = set()
    for outcome in found:
        for item in search_jobs(outcome, out):
            keys.add(item.payload["key"])
            if item.payload["key"] in done:
                complete[outcome.search.name] += 1
            else:
                pending.setdefault(item.payload["key"], item)
    return list(pending.values()), complete, keys


# -- run ------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """run the saved searches of a plan file and download the new scenes

    Run every search of PLAN (TOML or JSON, see the README) and download into DIR the scenes not already
    complete there. Safe to run again and again (cron): one sync per DIR at a time.
    """
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1.")
    plan = load_plan(args.plan)
    now = parse_datetime(args.now) if args.now else dt.datetime.now(dt.timezone.utc)
    if args.dry_run:
        return dry_run(plan, args.out, now, args.sidecar_workers)
    wait = None if args.wait is not None and args.wait < 0 else (args.wait or 0.0)
    with folder_lock(args.out, "sync", wait=wait, what="scene-picker sync"):
        return sync(plan, args.out, now, args.concurrency, args.sidecar_workers)


def _queue_jobs(out: Path) -> list[Job]:
    path = download.queue_file(out)
    if not path.exists():
        return []
    queue = DownloadQueue(path, workers=1)
    try:
        return queue.jobs()
    finally:
        queue.close()


def dry_run(plan: Plan, out: Path, now: dt.datetime, sidecar_workers: int = 8) -> int:
    found = run_searches(plan, now, sidecar_workers)
    pending, complete, _ = plan_jobs(found, out, _queue_jobs(out))
    for outcome in found:
        todo = [p for p in pending if p.search is outcome.search]
        print(
            f"{outcome.search.name}: {len(outcome.scenes)} found, {len(todo)} to fetch, "
            f"{complete[outcome.search.name]} already complete"
        )
        if todo:
            first = todo[0].args
            pool = download.ProviderPool(None, None)
            assets, members = download.split_list(first.assets), download.split_list(first.members)
            download.print_plan([p.scene for p in todo], pool, first, assets, members)
    return _exit_code(found, [])


def sync(plan: Plan, out: Path, now: dt.datetime, concurrency: int = 2, sidecar_workers: int = 8) -> int:
    """Search, queue the scenes not complete in ``out``, download them; prints what was new."""
    found = run_searches(plan, now, sidecar_workers)
    out.mkdir(parents=True, exist_ok=True)
    view = ProgressView(sys.stderr)
    handler = download.SceneJobs(download.ProviderPool(None, None), view)
    queue = DownloadQueue(
        download.queue_file(out), workers=concurrency, handlers={download.SCENE_JOB: handler}
    )
    try:
        pending, complete, keys = plan_jobs(found, out, queue.jobs())
        wanted = _run(queue, pending, view, out)
        outcomes = [(item, queue.get(job_id), handler.errors.get(job_id)) for item, job_id in wanted]
        finished = queue.jobs()
    finally:
        view.close()
        queue.close()
    code = report(found, complete, outcomes)
    if any(f.search.fetch.clip for f in found):  # how each file was clipped; the stacks of every date so far
        files = [
            path
            for job in finished
            if job.state == DONE and job.payload.get("key") in keys
            for path in (job.result or {}).get("files") or []
        ]
        clip_options.report_clips(files, out)
    return code


def _run(
    queue: DownloadQueue, pending: list[Pending], view: ProgressView, out: Path
) -> list[tuple[Pending, str]]:
    """Queue the pending scenes (an unfinished job of an earlier run resumes) and work the queue."""
    existing = {j.payload.get("key"): j for j in queue.jobs() if j.kind == download.SCENE_JOB}
    wanted: list[tuple[Pending, str]] = []
    for item in pending:
        job = existing.get(item.payload["key"])
        if job is None or job.state == DONE:  # a done job whose files went missing: fetched again
            job = queue.add(download.SCENE_JOB, item.payload, label=item.scene.id)
        else:
            queue.retry(job.id)  # failed or cancelled earlier: queued again (resumes from .part)
        wanted.append((item, job.id))
    if wanted:
        queue.start()
        try:
            queue.wait()
        except KeyboardInterrupt:
            view.message("Interrupted: stopping the downloads…")
            queue.shutdown(cancel_active=True)
            raise CancelledError(f"Sync interrupted; run it again to resume: {out}") from None
        queue.shutdown()
    return wanted


def report(found: list[Found], complete: dict[str, int], outcomes: list[tuple[Pending, Job, Any]]) -> int:
    """Print the new scenes and a summary per search; returns the exit code."""
    failures: list[Any] = []
    counts = {f.search.name: {"new": 0, "verified": 0, "failed": 0} for f in found}
    for item, job, error in outcomes:
        result = job.result or {}
        files = list(result.get("files") or [])
        name = item.search.name
        if job.state != DONE:
            counts[name]["failed"] += 1
            failures.append(error if error is not None else job)
            print(f"FAILED  {name}  {item.scene.provider}:{item.scene.id}  {job.error or job.state}")
        elif files and int(result.get("skipped") or 0) >= len(files):
            counts[name]["verified"] += 1  # every file was already on disk and verified: nothing new
        else:
            counts[name]["new"] += 1
            fetched = human_bytes(int(result.get("bytes_fetched") or 0))
            print(f"NEW     {name}  {item.scene.provider}:{item.scene.id}  {len(files)} files, {fetched}")
            for path in files:
                print(f"          {path}")
    total_new = 0
    for outcome in found:
        name = outcome.search.name
        c = counts[name]
        total_new += c["new"]
        already = complete[name] + c["verified"]
        errors = f", {len(outcome.errors)} provider errors" if outcome.errors else ""
        print(
            f"{name}: {len(outcome.scenes)} found, {c['new']} new, {already} already complete, "
            f"{c['failed']} failed{errors}"
        )
    print(f"sync: {total_new} new scene{'s' if total_new != 1 else ''}")
    return _exit_code(found, failures)


def _exit_code(found: list[Found], failures: list[Any]) -> int:
    for error in [e for f in found for e in f.errors] + failures:
        return error.exit_code if isinstance(error, ScenePickerError) else 1
    return 0
