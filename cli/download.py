"""``scene-picker download``: fetch scenes from a search result file or by id, in parallel.

Scenes come from a GeoJSON file written by ``scene-picker search --out`` (optionally narrowed with
``--id``; read one feature at a time), or from ``--provider NAME --id ID…`` (looked up in the catalog).
They are queued in ``OUT/.scene-picker/queue.sqlite`` (:mod:`scene_picker.core.queue`; several
processes may share it), a scene whose links are signed by provider and id only (its record is asked
for again when the job runs). A job keeps the provider options it was queued with (``--option``,
``--url``): a resumed job, or one run on a cluster worker, builds its provider with exactly those
(:mod:`.scene_jobs`). Each scene goes to ``OUT/<scene folder>/`` (the id, made safe and unique:
:func:`~scene_picker.core.naming.scene_folder_name`) through its provider's downloader: chosen assets
(``--assets``), or only chosen members of zip assets (``--members``, fetched with HTTP range requests).
Interrupted downloads resume from their ``.part`` files when run again; files already downloaded and
verified are skipped.
``--dry-run`` prints the plan (what would be fetched and how big) and writes nothing.
``-j`` scenes are downloaded at once, at most ``--per-host`` of them from one host.
``--cluster ADDRESS`` runs the jobs on the workers of a Dask ``distributed`` cluster
(:mod:`scene_picker.cli.cluster`); this process still keeps the queue, the progress and the table.

The result table goes to stdout (and to ``--table FILE`` as CSV or JSON); progress goes to stderr.
Exit code: 0 when every scene is complete, else the exit code of the first failure's error (e.g. 3
missing credentials, 4 network, 6 integrity), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from ..catalogs import parse_option_pairs
from ..core.errors import CancelledError, ProviderResponseError, ScenePickerError, UsageError
from ..core.naming import PRIVATE_DIR
from ..core.queue import DONE, QUEUED, DownloadQueue, Job
from ..core.redact import redact_url
from ..core.scene import Scene
from .clip_options import add_clip_arguments, clip_payload, report_clips
from .command import add_command, add_option_argument
from .progress_view import ProgressView, human_bytes
from .results_file import iter_features
from .scene_jobs import ProviderPool, SceneJobs, scene_payload

__all__ = ["ProviderPool", "SceneJobs", "queue_file", "read_result_file", "register", "scene_payload"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "download", run)
    parser.add_argument(
        "results", nargs="?", type=Path, help="GeoJSON written by 'scene-picker search --out'"
    )
    parser.add_argument(
        "--id", dest="ids", action="append", default=[], metavar="ID", help="scene id (repeatable)"
    )
    parser.add_argument("--provider", help="provider of the --id scenes when no result file is given")
    parser.add_argument("--url", help="catalog URL for the provider (STAC API)")
    add_option_argument(parser)
    parser.add_argument(
        "--assets", help="asset keys or glob patterns, comma separated, or role:NAME (default: data assets)"
    )
    parser.add_argument(
        "--members", help="zip member glob patterns, comma separated: extract only these from zip assets"
    )
    parser.add_argument("-o", "--out", type=Path, default=Path("."), help="output folder (default: .)")
    parser.add_argument(
        "-j", "--concurrency", type=int, default=2, help="scenes downloaded at once (default: 2)"
    )
    parser.add_argument(
        "--per-host", type=int, metavar="N", help="scenes downloaded at once from one host (default: -j)"
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run the jobs on a Dask cluster: tcp://HOST:PORT of its scheduler, or local:N worker processes",
    )
    parser.add_argument("--overwrite", action="store_true", help="download again files already verified")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="also retry the failed/cancelled jobs of the queue persisted in OUT (alone: only those)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, download nothing")
    parser.add_argument("--table", type=Path, help="also write the result table to FILE (.csv or .json)")
    add_clip_arguments(parser)


def split_list(text: Optional[str]) -> Optional[list[str]]:
    """``"a, b"`` → ``["a", "b"]``; empty → None."""
    items = [p.strip() for p in (text or "").split(",") if p.strip()]
    return items or None


# -- input --------------------------------------------------------------------------------------------
def iter_result_file(path: Path) -> Iterator[Scene]:
    """Scenes of a GeoJSON FeatureCollection (or one Feature, or a list of Features), one at a time.

    Raises :class:`UsageError` for a file that is not JSON, :class:`ProviderResponseError` (exit 5)
    naming the feature for one that is not a scene (no id, a malformed geometry…)."""
    number = 0
    try:
        for number, feature in enumerate(iter_features(path), start=1):
            try:
                yield Scene.from_feature(feature)
            except ProviderResponseError as exc:
                raise ProviderResponseError(f"{path}: feature {number} is not a scene ({exc})") from None
    except FileNotFoundError:
        raise UsageError(f"No such result file: {path}") from None
    except (OSError, ValueError) as exc:
        where = f" (after feature {number})" if number else ""
        raise UsageError(f"{path} is not a JSON search result file{where}: {exc}") from None


def read_result_file(path: Path) -> list[Scene]:
    """All scenes of a result file (see :func:`iter_result_file`)."""
    return list(iter_result_file(path))


def collect_scenes(args: argparse.Namespace, pool: ProviderPool) -> Iterable[Scene]:
    """The scenes to download: streamed from the result file, or (with ``--id``) a list."""
    if args.results is not None:
        if not args.ids:
            return iter_result_file(args.results)
        wanted = set(args.ids)
        scenes = [s for s in iter_result_file(args.results) if s.id in wanted]
        missing = wanted - {s.id for s in scenes}
        if missing:
            raise UsageError(f"Not in {args.results}: {', '.join(sorted(missing))}.")
        return scenes
    if not args.ids:
        raise UsageError("Give a search result file, or --provider NAME with one or more --id.")
    if not args.provider:
        raise UsageError("--id without a result file needs --provider.")
    provider = pool.get(args.provider)
    return [provider.get(scene_id) for scene_id in args.ids]


# -- plan ---------------------------------------------------------------------------------------------
def print_plan(scenes: Iterable[Scene], pool: ProviderPool, args, assets, members) -> int:
    total = count = 0
    unknown = False
    for scene in scenes:
        count += 1
        downloader = pool.downloader(scene)
        target = downloader.scene_dir(args.out)
        print(f"{scene.provider}:{scene.id} -> {target}")
        if not scene.online:
            print("  offline: will be activated (ordered) first")
        for asset in downloader.select_assets(assets):
            if members:
                if not asset.is_zip:
                    continue
                from ..core.remotezip import RemoteZip

                archive = RemoteZip(asset.href, http=downloader.http)
                chosen = archive.select(members)
                for member in chosen:
                    print(f"  {asset.key}!{member.name}  {human_bytes(member.compressed_size)}")
                    total += member.compressed_size
                print(f"  (from {asset.key}: {human_bytes(archive.size)} archive, {redact_url(asset.href)})")
            else:
                size = human_bytes(asset.size) if asset.size is not None else "size unknown"
                print(f"  {asset.key}  {size}  {redact_url(asset.href)}")
                if asset.size is None:
                    unknown = True
                else:
                    total += asset.size
    note = " (at least: some sizes are unknown)" if unknown else ""
    print(f"Plan: {count} scenes, {human_bytes(total)} to fetch{note}. Nothing downloaded (--dry-run).")
    return 0


# -- run ----------------------------------------------------------------------------------------------
QUEUE_FILE = Path(PRIVATE_DIR) / "queue.sqlite"
SCENE_JOB = "scene"


def queue_file(out: Path) -> Path:
    """Where ``download`` persists its queue for ``out`` (read by ``scene-picker queue``)."""
    return out / QUEUE_FILE


@dataclass
class Outcome:
    job: Job
    scene_id: str
    provider: str
    error: Optional[ScenePickerError] = None

    @property
    def status(self) -> str:
        return self.job.state

    @property
    def files(self) -> list[str]:
        return list((self.job.result or {}).get("files") or [])

    @property
    def bytes_fetched(self) -> int:
        return int((self.job.result or {}).get("bytes_fetched") or 0)


def run(args: argparse.Namespace) -> int:
    """download scenes from a search result file or by id

    Download scenes (all data assets, chosen assets, or chosen members of zip assets) into OUT/<scene id>/.
    Re-running resumes interrupted files and skips verified ones.
    """
    if args.concurrency < 1 or (args.per_host is not None and args.per_host < 1):
        raise UsageError("--concurrency and --per-host must be at least 1.")
    if args.cluster:
        from .cluster import check_cluster_option

        check_cluster_option(args.cluster)
    assets, members = split_list(args.assets), split_list(args.members)
    pool = ProviderPool(args.provider, args.url, parse_option_pairs(args.option))
    args.clip_request = clip_payload(args)
    scenes: Iterable[Scene] = []
    if not _resume_only(args):
        scenes = collect_scenes(args, pool)
    if args.dry_run:
        if args.clip_request:
            print("--clip: only the AOI's tiles/strips of each GeoTIFF will be fetched (sizes: whole files).")
        return print_plan(scenes, pool, args, assets, members)
    args.out.mkdir(parents=True, exist_ok=True)
    view = ProgressView(sys.stderr)
    with contextlib.ExitStack() as stack:
        jobs = SceneJobs(pool, view, args.per_host)
        if args.cluster:
            from .cluster import cluster_jobs

            jobs = stack.enter_context(cluster_jobs(args, pool, view))
        return _run_queue(args, jobs, view, scenes, assets, members)


def _resume_only(args: argparse.Namespace) -> bool:
    """``--resume`` with no scene given: only the jobs already in the queue run."""
    return bool(args.resume and args.results is None and not args.ids)


def _run_queue(args, jobs: SceneJobs, view: ProgressView, scenes: Iterable[Scene], assets, members) -> int:
    queue = DownloadQueue(queue_file(args.out), workers=args.concurrency, handlers={SCENE_JOB: jobs})
    try:
        wanted, given = _enqueue(queue, scenes, args, assets, members, jobs.options)
    except BaseException:
        queue.close()
        raise
    if not given and not _resume_only(args):
        queue.close()
        raise UsageError("No scene to download.")
    if not wanted:
        queue.close()
        print(f"Nothing to resume in {queue_file(args.out)}.", file=sys.stderr)
        return 0
    queue.start()
    try:
        queue.wait()
    except KeyboardInterrupt:
        view.message("Interrupted: stopping the downloads…")
        queue.close()
        raise CancelledError(
            f"Download interrupted; resume with: scene-picker download --resume --out {args.out}"
        ) from None
    queue.shutdown()
    view.close()
    outcomes = [_outcome(queue.get(job_id), jobs) for job_id in wanted]
    queue.close()
    print_table(outcomes)
    if args.clip_request:
        report_clips([f for o in outcomes if o.status == DONE for f in o.files], args.out)
    if args.table:
        write_table(args.table, outcomes)
    failures = [o for o in outcomes if o.status != DONE]
    if failures:
        print(f"{len(failures)} of {len(outcomes)} scenes did not complete.", file=sys.stderr)
        first = failures[0]
        return first.error.exit_code if first.error is not None else 1
    return 0


def _outcome(job: Job, jobs: SceneJobs) -> Outcome:
    """The outcome of a finished job, without its (possibly large) payload."""
    payload, job.payload = job.payload, {}
    scene_id = payload.get("scene_id") or (payload.get("scene") or {}).get("id") or job.label
    return Outcome(job, scene_id, payload.get("provider") or "", jobs.errors.get(job.id))


def _enqueue(
    queue: DownloadQueue, scenes: Iterable[Scene], args, assets, members, options=None
) -> tuple[list[str], int]:
    """Job ids to run, and how many scenes were given: one job per given scene (the job of an earlier
    run for the same scene and selection is reused: an unfinished one resumes from its ``.part``
    files, a finished one runs again and skips verified files), plus every job still queued in the
    database. With ``--resume``, failed and cancelled jobs of earlier runs are queued again too.
    Finished jobs of earlier runs are dropped. The scenes are queued in one transaction."""
    if args.resume:
        queue.retry_all(SCENE_JOB)
    queue.remove_finished()
    given = 0

    def entries() -> Iterator[tuple[dict[str, Any], str, str]]:
        nonlocal given
        for scene in scenes:
            given += 1
            payload = scene_payload(scene, args, assets, members, options)
            yield payload, scene.id, payload["key"]

    wanted = queue.add_many(SCENE_JOB, entries())
    chosen = set(wanted)
    wanted += [job_id for job_id in queue.job_ids(QUEUED, SCENE_JOB) if job_id not in chosen]
    return wanted, given


def table_rows(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    rows = []
    for outcome in outcomes:
        base = {"provider": outcome.provider, "scene_id": outcome.scene_id, "status": outcome.status}
        if outcome.status != DONE:
            error = str(outcome.error) if outcome.error is not None else (outcome.job.error or "")
            rows.append({**base, "path": "", "size": "", "error": error})
        for path in outcome.files:
            rows.append({**base, "path": str(path), "size": Path(path).stat().st_size, "error": ""})
    return rows


def print_table(outcomes: list[Outcome]) -> None:
    print(f"{'STATUS':<10} {'FILES':>5} {'FETCHED':>10}  SCENE")
    for outcome in outcomes:
        fetched = human_bytes(outcome.bytes_fetched)
        print(f"{outcome.status:<10} {len(outcome.files):>5} {fetched:>10}  {outcome.scene_id}")
        for path in outcome.files:
            print(f"{'':<28}{path}")


def write_table(path: Path, outcomes: list[Outcome]) -> None:
    rows = table_rows(outcomes)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["provider", "scene_id", "status", "path", "size", "error"])
        writer.writeheader()
        writer.writerows(rows)
