"""The downloader template every provider shares (:class:`Downloader`) and what a download returns.

:meth:`Downloader.download` runs the hooks a provider overrides: ``check_members``, ``existing``,
``prepare`` (activation of exactly the chosen assets), ``fetch`` (the transfer: assets through
:func:`scene_picker.core.transfer.download_file`, zip members through
:class:`scene_picker.core.remotezip.RemoteZip`), inside ``translated_errors``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union
from urllib.parse import urlsplit

from ..core.errors import ActivationError, ProviderError, ScenePickerError, UsageError
from ..core.naming import asset_file_names, local_path, scene_folder_name
from ..core.redact import redact_url
from ..core.scene import ROLE_DATA, Asset, Scene

if TYPE_CHECKING:  # pragma: no cover
    from ..core.cancel import CancelToken
    from ..core.http import HttpClient
    from ..core.progress import ProgressCallback

log = logging.getLogger(__name__)


# -- downloads --------------------------------------------------------------------------------------
@dataclass
class DownloadResult:
    """What a download wrote: ``files`` (all present and verified), bytes fetched, files already there."""

    scene_id: str
    files: list[Path] = field(default_factory=list)
    bytes_fetched: int = 0
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return True


@dataclass
class DownloadFailure:
    """A scene whose download failed, with the error that stopped it."""

    scene_id: str
    error: ScenePickerError

    @property
    def ok(self) -> bool:
        return False

    @property
    def message(self) -> str:
        return str(self.error)


AssetSelection = Optional[Sequence[str]]


class Downloader:
    """Downloads one scene's assets (or zip members) into ``outdir/<scene id>/``.

    ``assets`` selects asset keys (exact or glob patterns, or ``role:NAME``); None means every asset
    with the ``data`` role (every asset when none has roles). ``members`` (glob patterns or exact member
    paths) extracts only those members from the selected zip assets instead of fetching whole archives.
    """

    #: How zip members are read (see :class:`~scene_picker.core.remotezip.RangeReader`); a provider
    #: whose server cuts bounded ranges short may force ``"open-ended"``.
    range_mode = "auto"

    def __init__(self, scene: Scene, http: HttpClient, provider: Optional[str] = None) -> None:
        self.scene = scene
        self.http = http
        self.provider = provider or scene.provider

    # -- activation
    def activate(
        self,
        cancel: Optional[CancelToken] = None,
        progress: Optional[ProgressCallback] = None,
        assets: AssetSelection = None,
    ) -> None:
        """Make an offline scene downloadable; online scenes need nothing. Providers with
        offline products (tape archives, orders) override this; ``assets`` is the selection the
        download will fetch (providers that activate per asset, like Planet, activate only those)."""
        if not self.scene.online:
            raise ActivationError(
                f"Scene {self.scene.id} of {self.provider} is offline and this provider cannot activate it.",
                provider=self.provider,
            )

    # -- selection
    def select_assets(self, assets: AssetSelection = None) -> list[Asset]:
        """The assets a download would fetch (see the class docstring for the selection rules)."""
        available = self.scene.assets
        if not available:
            raise ProviderError(
                f"Scene {self.scene.id} of {self.provider} has no downloadable asset.", self.provider
            )
        if assets is None:
            with_roles = [a for a in available.values() if a.roles]
            if not with_roles:
                return list(available.values())
            return [a for a in available.values() if ROLE_DATA in a.roles]
        chosen: dict[str, Asset] = {}
        for pattern in assets:
            if pattern.startswith("role:"):
                hits = [a for a in available.values() if pattern[5:] in a.roles]
            elif pattern in available:
                hits = [available[pattern]]
            else:
                hits = [a for k, a in available.items() if fnmatch.fnmatchcase(k, pattern)]
            if not hits:
                raise UsageError(
                    f"No asset of scene {self.scene.id} matches {pattern!r}; "
                    f"available: {', '.join(sorted(available))}."
                )
            for asset in hits:
                chosen.setdefault(asset.key, asset)
        return list(chosen.values())

    def scene_dir(self, outdir: Union[str, Path]) -> Path:
        """``outdir/<folder>``, named injectively from provider and id (see :mod:`~..core.naming`)."""
        return Path(outdir) / scene_folder_name(self.scene.id, self.scene.provider)

    # -- download: the template and its hooks
    def download(
        self,
        outdir: Union[str, Path],
        assets: AssetSelection = None,
        members: Optional[Sequence[str]] = None,
        overwrite: bool = False,
        cancel: Optional[CancelToken] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> DownloadResult:
        """Download the chosen assets (or members of zip assets) and return what was written.

        The template every provider shares: :meth:`check_members` (archives that cannot be read member
        by member), :meth:`existing` (a copy already there), :meth:`prepare` (activation of exactly the
        chosen assets), :meth:`fetch` (the transfer), all inside :meth:`translated_errors`. A provider
        overrides the hooks that differ, never this method."""
        if members:
            self.check_members()
        found = None if overwrite or members else self.existing(outdir)
        if found is not None:
            return found
        with self.translated_errors(members):
            self.prepare(assets, cancel, progress)
            return self.fetch(outdir, assets, members, overwrite, cancel, progress)

    #: The hooks of the template a provider may override.
    HOOKS = ("check_members", "existing", "prepare", "translated_errors", "fetch")

    @classmethod
    def has_own_download(cls) -> bool:
        """Whether the provider changes the template (then a clip downloads through it, and cuts the
        files it wrote, instead of reading the assets' ranges directly)."""
        return any(getattr(cls, hook) is not getattr(Downloader, hook) for hook in cls.HOOKS)

    def check_members(self) -> None:
        """Raise a UsageError when this provider's archives cannot be read member by member."""

    def existing(self, outdir: Union[str, Path]) -> Optional[DownloadResult]:
        """A complete copy of the scene already present (skipped, nothing fetched), or None."""
        return None

    def prepare(
        self, assets: AssetSelection, cancel: Optional[CancelToken], progress: Optional[ProgressCallback]
    ) -> None:
        """Make the chosen assets downloadable: :meth:`activate` with the selection."""
        self.activate(cancel=cancel, progress=progress, assets=assets)

    @contextlib.contextmanager
    def translated_errors(self, members: Optional[Sequence[str]] = None) -> Iterator[None]:
        """Where a provider turns the engine's errors into its own words (a 403 that means a bad key)."""
        yield

    def fetch(
        self,
        outdir: Union[str, Path],
        assets: AssetSelection,
        members: Optional[Sequence[str]],
        overwrite: bool,
        cancel: Optional[CancelToken],
        progress: Optional[ProgressCallback],
    ) -> DownloadResult:
        """Fetch the selected assets (or members of zip assets) by their links: the default transfer."""
        from ..core.transfer import output_error

        selected = self.select_assets(assets)
        target = self.scene_dir(outdir)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where the folder should be, no permission, disk full
            raise output_error(exc, target) from None
        result = DownloadResult(self.scene.id)
        names = self.file_names(selected)
        for asset in selected:
            if cancel is not None:
                cancel.raise_if_cancelled(f"Download of {self.scene.id}")
            if members:
                if not asset.is_zip:
                    continue
                self._extract_members(asset, members, target, overwrite, result, cancel, progress)
            else:
                self._fetch_asset(asset, target / names[asset.key], overwrite, result, cancel, progress)
        if members and not result.files:
            raise UsageError(
                f"No zip member of scene {self.scene.id} matches {', '.join(members)} "
                "(or the selected assets are not zip archives)."
            )
        return result

    def file_names(self, assets: Sequence[Asset]) -> dict[str, str]:
        """The file name of each asset (by key): the href's base name, prefixed by the key on clashes."""
        return asset_file_names(assets)

    def try_download(self, outdir: Union[str, Path], **kwargs) -> Union[DownloadResult, DownloadFailure]:
        """:meth:`download`, with a failure returned as a :class:`DownloadFailure` instead of raised
        (cancellation still propagates)."""
        from ..core.errors import CancelledError

        try:
            return self.download(outdir, **kwargs)
        except CancelledError:
            raise
        except ScenePickerError as exc:
            return DownloadFailure(self.scene.id, exc)

    def _fetch_asset(
        self,
        asset: Asset,
        dest: Path,
        overwrite: bool,
        result: DownloadResult,
        cancel: Optional[CancelToken],
        progress: Optional[ProgressCallback],
    ) -> None:
        local = self._checked_local_path(asset)
        if local is not None:
            self._copy_local(asset, local, dest, overwrite, result)
            return
        from ..core.transfer import download_file

        done = download_file(
            asset.href,
            dest,
            http=self.http,
            expected_size=asset.size,
            checksum=asset.checksum,
            overwrite=overwrite,
            progress=progress,
            cancel=cancel,
        )
        result.files.append(Path(done.path))
        result.bytes_fetched += int(done.bytes_fetched)
        if done.skipped:
            result.skipped += 1

    def _checked_local_path(self, asset: Asset) -> Optional[Path]:
        """The local file of a local href, None for an http(s) one; a local path from a remote catalog
        (its recorded source is an http(s) URL) or another scheme (ftp:, s3:…) is refused."""
        local = local_path(asset.href)
        scheme = urlsplit(asset.href).scheme.lower()
        if local is None and scheme not in ("http", "https"):
            raise ProviderError(
                f"Asset {asset.key} of {self.scene.id}: {redact_url(asset.href)} is not an http(s) link; "
                "not downloaded.",
                self.provider,
            )
        catalog = urlsplit((self.scene.source or {}).get("url", "")).scheme.lower()
        if local is not None and catalog in ("http", "https"):
            raise ProviderError(
                f"Asset {asset.key} of {self.scene.id}: the remote catalog points at the local file "
                f"{redact_url(asset.href)}; refused (only local catalogs may name local files).",
                self.provider,
            )
        return local

    def _copy_local(
        self, asset: Asset, source: Path, dest: Path, overwrite: bool, result: DownloadResult
    ) -> None:
        from ..core.checksums import verify_file
        from ..core.errors import SizeMismatchError
        from ..core.transfer import is_verified, output_error, part_path, record_verified

        if not source.is_file():
            raise ProviderError(
                f"Asset {asset.key} of {self.scene.id}: {source} does not exist.", self.provider
            )
        # Skipped only when recorded complete and verified (or matching the catalog's checksum),
        # never because a file of that name exists.
        if not overwrite and is_verified(dest, asset.size, asset.checksum):
            result.files.append(dest)
            result.skipped += 1
            return
        part = part_path(dest)
        part.parent.mkdir(parents=True, exist_ok=True)
        try:
            try:
                shutil.copyfile(source, part)
                size = part.stat().st_size
                if asset.size is not None and size != asset.size:
                    raise SizeMismatchError(f"{source} has {size} bytes, the catalog announces {asset.size}.")
                if asset.checksum is not None:
                    verify_file(part, asset.checksum)
                part.replace(dest)
            except BaseException:
                with contextlib.suppress(OSError):  # the first error is the one to report
                    part.unlink(missing_ok=True)
                raise
            record_verified(dest, source.resolve().as_uri(), asset.checksum)
        except OSError as exc:  # disk full, no permission, a folder in the way: like a download
            if exc.filename is not None and Path(exc.filename) == source:
                raise ProviderError(
                    f"Asset {asset.key} of {self.scene.id}: cannot read {source}: {exc.strerror or exc}.",
                    self.provider,
                ) from None
            raise output_error(exc, dest) from None
        result.files.append(dest)
        result.bytes_fetched += size

    def _extract_members(
        self,
        asset: Asset,
        members: Sequence[str],
        target: Path,
        overwrite: bool,
        result: DownloadResult,
        cancel: Optional[CancelToken],
        progress: Optional[ProgressCallback],
    ) -> None:
        from ..core.remotezip import RemoteZip

        archive = RemoteZip(asset.href, http=self.http, range_mode=self.range_mode)
        written = archive.extract(
            list(members), target, keep_folders=True, progress=progress, cancel=cancel, overwrite=overwrite
        )
        result.files.extend(Path(p) for p in written)
        result.skipped += archive.stats.skipped
        # What crossed the network (directory + member ranges), not the size of what was written.
        result.bytes_fetched += archive.reader.bytes_received
