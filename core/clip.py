"""Clip on download: only the area of interest's pixels of each raster asset of a scene.

:func:`clip_scene` takes a provider's :class:`~scene_picker.providers.downloader.Downloader` (its HTTP client
carries the account) and writes ``OUT/<scene>/<name>.clip.tif`` for each raster asset (or each zip
member matching ``members``), choosing per file:

- ``windowed``: a GeoTIFF at an http(s) URL whose server answers ranges, or a GeoTIFF *stored*
  uncompressed in a remote zip: only the structure and the tiles/strips the AOI touches are fetched
  (:mod:`scene_picker.core.clip_remote`);
- ``extracted``: a deflated (or otherwise compressed) zip member is extracted alone, then clipped;
- ``downloaded``: any other raster (JPEG 2000, a server without ranges) is downloaded whole, then
  clipped; ``local``: a ``file://`` asset is clipped in place.

A provider whose downloader changes the download template (``has_own_download``: account leases,
activation, signed links) downloads as usual into a hidden folder, and its rasters are clipped from
there (``downloaded``); any other scene is activated for the chosen assets first (``prepare``).

The temporary full copies are removed once clipped. Each output gets a record (the hidden
``.NAME.scene-picker.json`` of :mod:`scene_picker.core.transfer`) saying what was read, from where
(credential-free URL, member, the byte ranges of the TIFF — of the member's data for a zip member —,
bytes received, requests) and for which AOI: a clipped file cannot
match the asset's checksum, so that record is its verification. An output recorded for the same AOI
is skipped next time. Non-raster assets are left out.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from .clip_raster import ClipRequest, clip_local
from .clip_remote import RemoteTiff, clip_remote_tiff
from .clip_tiff import NotRandomAccessError
from .errors import RangeNotSupportedError, UsageError
from .redact import redact_url
from .transfer import output_error, record_verified, verified_record_path

if TYPE_CHECKING:  # pragma: no cover
    from ..providers.downloader import Downloader, DownloadResult
    from .cancel import CancelToken
    from .progress import ProgressCallback
    from .scene import Asset

WINDOWED, EXTRACTED, DOWNLOADED, LOCAL = "windowed", "extracted", "downloaded", "local"
TIFF_SUFFIXES = (".tif", ".tiff")
RASTER_SUFFIXES = TIFF_SUFFIXES + (".jp2", ".img", ".vrt", ".nc", ".h5", ".hdf", ".dem")
CLIP_SUFFIX = ".clip.tif"


@dataclass
class ClippedFile:
    """One clipped output and how it was made."""

    path: Path
    band: str
    method: str
    bytes_read: int = 0
    skipped: bool = False


@dataclass
class ClipOutcome:
    """What :func:`clip_scene` did (``result`` is the usual DownloadResult of the written files)."""

    result: DownloadResult
    clipped: list[ClippedFile] = field(default_factory=list)
    not_raster: list[str] = field(default_factory=list)


def is_raster_name(name: str, media_type: Optional[str] = None) -> bool:
    media = (media_type or "").lower()
    if "tiff" in media or "jp2" in media:
        return True
    return name.split("?", 1)[0].lower().endswith(RASTER_SUFFIXES)


def is_tiff_name(name: str, media_type: Optional[str] = None) -> bool:
    return "tiff" in (media_type or "").lower() or name.split("?", 1)[0].lower().endswith(TIFF_SUFFIXES)


def clip_name(name: str) -> str:
    """``B04.jp2`` -> ``B04.clip.tif``."""
    base = name.rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem + CLIP_SUFFIX


def read_record(path: Path) -> Optional[dict[str, Any]]:
    """The clip record of an output (None when the file is no recorded clip)."""
    try:
        record = json.loads(verified_record_path(Path(path)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    clip = record.get("clip") if isinstance(record, dict) else None
    return {**clip, "size": record.get("size"), "mtime_ns": record.get("mtime_ns")} if clip else None


def clip_datetime(path: Path) -> Optional[str]:
    """The acquisition time recorded for a clipped output (None for any other file)."""
    record = read_record(path)
    return record.get("datetime") if record else None


def is_clipped(dest: Path, key: str) -> bool:
    """Whether ``dest`` is complete and was clipped for the request ``key``."""
    record = read_record(dest)
    if record is None or record.get("key") != key or not dest.is_file():
        return False
    stat = dest.stat()
    return record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns


def clip_scene(
    downloader: Downloader,
    outdir: Union[str, Path],
    request: ClipRequest,
    assets: Optional[Sequence[str]] = None,
    members: Optional[Sequence[str]] = None,
    overwrite: bool = False,
    cancel: Optional[CancelToken] = None,
    progress: Optional[ProgressCallback] = None,
) -> ClipOutcome:
    """Clip the scene's raster assets (or zip members) to ``request`` (see the module docstring)."""
    from ..providers.downloader import DownloadResult

    scene = downloader.scene
    target = downloader.scene_dir(outdir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, target) from None
    job = _SceneClip(downloader, target, request, overwrite, cancel, progress)
    outcome = ClipOutcome(DownloadResult(scene.id))
    job.outcome = outcome
    if downloader.has_own_download():
        job.provider_download(assets, members)  # the provider's own download, then clipped here
    else:
        job.scene_assets(assets, members)
    if not outcome.clipped:
        what = f"zip member matching {', '.join(members)}" if members else "raster asset"
        raise UsageError(f"Scene {scene.id} has no {what} to clip.")
    return outcome


class _SceneClip:
    def __init__(self, downloader, target: Path, request: ClipRequest, overwrite, cancel, progress) -> None:
        self.downloader, self.target, self.request = downloader, target, request
        self.overwrite, self.cancel, self.progress = overwrite, cancel, progress
        self.scene = downloader.scene
        self.outcome: ClipOutcome

    def scene_assets(self, assets: Optional[Sequence[str]], members: Optional[Sequence[str]]) -> None:
        """Activate the chosen assets (the template's ``prepare``: they are read without the download
        template), then clip each raster asset, or the zip members matching ``members``."""
        self.downloader.prepare(assets, self.cancel, self.progress)
        for asset in self.downloader.select_assets(assets):
            if self.cancel is not None:
                self.cancel.raise_if_cancelled(f"Clipping {self.scene.id}")
            if members:
                if asset.is_zip:
                    self.zip_members(asset, members)
            elif is_raster_name(asset.href, asset.media_type):
                self.asset(asset)
            else:
                self.outcome.not_raster.append(asset.key)

    # -- one asset ------------------------------------------------------------------------------------
    def asset(self, asset: Asset) -> None:
        from .naming import local_path

        dest = self.target / clip_name(asset.href.split("?", 1)[0])
        if self._skip(dest, asset.key):
            return
        local = local_path(asset.href)
        if local is not None:
            self._local(local, dest, asset.key, LOCAL, asset.href, 0)
            return
        if is_tiff_name(asset.href, asset.media_type):
            http, mode = self.downloader.http, self.downloader.range_mode
            tiff = RemoteTiff(asset.href, http, mode, cancel=self.cancel)
            with contextlib.suppress(RangeNotSupportedError, NotRandomAccessError):
                self._windowed(tiff, dest, asset.key, asset.href, None)
                return
            self._download_then_clip(asset, dest, tiff.finish_stats().bytes_received)
            return
        self._download_then_clip(asset, dest)

    def _download_then_clip(self, asset: Asset, dest: Path, tried: int = 0) -> None:
        """``tried``: bytes a windowed attempt read before finding the file not readable by ranges."""
        from ..providers.downloader import FetchRequest
        from .naming import asset_file_names

        folder = self.target / ".clip-full"
        folder.mkdir(exist_ok=True)
        full = folder / asset_file_names([asset])[asset.key]
        fetch = FetchRequest(folder, cancel=self.cancel, progress=self.progress)
        self.downloader.fetch_file(fetch, asset.href, full, size=asset.size, checksum=asset.checksum)
        self._local(full, dest, asset.key, DOWNLOADED, asset.href, tried + fetch.result.bytes_fetched)
        _remove_tree(folder)

    # -- zip members ----------------------------------------------------------------------------------
    def zip_members(self, asset: Asset, patterns: Sequence[str]) -> None:
        from .remotezip import RemoteZip
        from .zipdecode import check_supported
        from .zipformat import STORED, parse_local_header

        archive = RemoteZip(asset.href, http=self.downloader.http, range_mode=self.downloader.range_mode)
        counted = (0, 0)  # the archive's directory is counted with the first member read
        for member in archive.select(list(patterns)):
            if not is_raster_name(member.name):
                self.outcome.not_raster.append(f"{asset.key}!{member.name}")
                continue
            band = _band_of(member.name, patterns)
            dest = self.target / clip_name(member.name)
            if self._skip(dest, band):
                continue
            check_supported(member)
            if member.compress_type == STORED and is_tiff_name(member.name):
                start = member.header_offset
                header = parse_local_header(archive.reader.read(start, start + 30))
                tiff = RemoteTiff(
                    asset.href,
                    self.downloader.http,
                    self.downloader.range_mode,
                    base=member.header_offset + header.length,
                    size=member.file_size,
                    reader=archive.reader,
                    cancel=self.cancel,
                    counted_from=counted,
                )
                with contextlib.suppress(NotRandomAccessError):
                    self._windowed(tiff, dest, band, asset.href, member.name)
                    counted = (archive.reader.requests, archive.reader.bytes_received)
                    continue
            folder = self.target / ".clip-full"
            extracted = archive.extract(
                [member.name], folder, keep_folders=False, progress=self.progress, cancel=self.cancel
            )[0]
            fetched = archive.reader.bytes_received - counted[1]
            counted = (archive.reader.requests, archive.reader.bytes_received)
            self._local(extracted, dest, band, EXTRACTED, asset.href, fetched, member.name)
            _remove_tree(folder)

    # -- providers with a download of their own ------------------------------------------------------
    def provider_download(self, assets: Optional[Sequence[str]], members: Optional[Sequence[str]]) -> None:
        """A provider whose downloader does more than fetch hrefs (account leases, activation, signed
        links) downloads as usual into a hidden folder; its rasters are then clipped and the folder
        removed. A marker per request makes a re-run skip the scene."""
        marker = self.target / f".clip-{self.request.key}.json"
        done = _read_json_list(marker)
        if (
            not self.overwrite
            and done
            and all(is_clipped(self.target / name, self.request.key) for name in done)
        ):
            for name in done:
                self._skip(self.target / name, (read_record(self.target / name) or {}).get("band", ""))
            return
        folder = self.target / ".clip-full"
        result = self.downloader.download(
            folder, assets=assets, members=members, cancel=self.cancel, progress=self.progress
        )
        for path in result.files:
            if not is_raster_name(path.name):
                self.outcome.not_raster.append(path.name)
                continue
            band = _band_of(path.name, members) if members else path.name.rsplit(".", 1)[0]
            dest = self.target / clip_name(path.name)
            size = path.stat().st_size
            self._local(path, dest, band, DOWNLOADED, self.downloader.provider or "", size, path.name)
        marker.write_text(json.dumps([c.path.name for c in self.outcome.clipped]), encoding="utf-8")
        _remove_tree(folder)

    # -- common ---------------------------------------------------------------------------------------
    def _skip(self, dest: Path, band: str) -> bool:
        if self.overwrite or not is_clipped(dest, self.request.key):
            return False
        record = read_record(dest) or {}
        self._done(ClippedFile(dest, band, record.get("method", ""), 0, skipped=True))
        return True

    def _windowed(self, tiff: RemoteTiff, dest: Path, band: str, href: str, member: Optional[str]) -> None:
        window, stats = clip_remote_tiff(tiff, self.request, dest, self._metadata(band), self.progress)
        details = {
            "requests": stats.requests,
            "ranges": [list(r) for r in merge_ranges_short(stats.ranges)],
            "structure_bytes": stats.structure_bytes,
            "block_bytes": stats.block_bytes,
            "source_size": tiff.size,
        }
        self._record(dest, band, WINDOWED, href, member, window, stats.bytes_received, details)

    def _local(
        self, source: Path, dest: Path, band: str, method: str, href: str, fetched: int, member=None
    ) -> None:
        window = clip_local(source, self.request, dest, self._metadata(band))
        details = {"source_size": source.stat().st_size}
        self._record(dest, band, method, href, member, window, fetched, details)

    def _metadata(self, band: str) -> dict[str, str]:
        when = self.scene.datetime.isoformat() if self.scene.datetime else ""
        return {"SCENE_PICKER_SCENE": self.scene.id, "SCENE_PICKER_BAND": band, "SCENE_PICKER_DATETIME": when}

    def _record(self, dest, band, method, href, member, window, fetched: int, details: dict) -> None:
        clip = {
            "key": self.request.key,
            "method": method,
            "band": band,
            "scene": self.scene.id,
            "provider": self.scene.provider,
            "datetime": self.scene.datetime.isoformat() if self.scene.datetime else None,
            "source": redact_url(href),
            "member": member,
            "window": list(window),
            "bytes_read": fetched,
            "aoi": self.request.aoi.wkt,
            "buffer": self.request.buffer,
            "mask": self.request.mask,
            **details,
        }
        record_verified(dest, href, None, {"clip": clip})
        self._done(ClippedFile(dest, band, method, fetched))

    def _done(self, clipped: ClippedFile) -> None:
        self.outcome.clipped.append(clipped)
        self.outcome.result.files.append(clipped.path)
        self.outcome.result.bytes_fetched += clipped.bytes_read
        if clipped.skipped:
            self.outcome.result.skipped += 1


def merge_ranges_short(ranges: list[tuple[int, int]], limit: int = 200) -> list[tuple[int, int]]:
    """The ranges read (merged when touching), at most ``limit`` of them kept for the record."""
    from .clip_tiff import merge_ranges

    return merge_ranges(ranges, 0)[:limit]


def _band_of(name: str, patterns: Sequence[str]) -> str:
    """The band a member stands for: the first pattern it matches, without wildcards."""
    for pattern in patterns:
        if name == pattern or fnmatch.fnmatchcase(name, pattern):
            cleaned = "".join(c for c in pattern.rsplit("/", 1)[-1] if c not in "*?[]").strip("._-")
            return cleaned.rsplit(".", 1)[0] if "." in cleaned else cleaned or clip_name(name)
    return clip_name(name)


def _read_json_list(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def _remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
