"""The downloader template every provider shares (:class:`Downloader`) and what a download returns.

:meth:`Downloader.download` runs the hooks a provider overrides: ``check_members``, ``existing``,
``prepare`` (activation of exactly the chosen assets), ``fetch`` (the transfer, given the call as one
:class:`FetchRequest`), inside ``translated_errors``. Every transfer goes through two helpers a
provider's ``fetch`` reuses: :meth:`Downloader.fetch_file` (one file through
:func:`scene_picker.core.transfer.download_file`: resumed, verified) and
:meth:`Downloader.extract_members` (zip members through :class:`scene_picker.core.remotezip.RemoteZip`).
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
    from ..core.checksums import Checksum
    from ..core.http import HttpClient
    from ..core.progress import ProgressCallback
    from .base import Provider

log = logging.getLogger(__name__)


#: Asset keys, glob patterns or ``role:NAME`` (None: the data assets); see :class:`Downloader`.
AssetSelection = Optional[Sequence[str]]


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

    def add(self, files: Sequence[Union[str, Path]], fetched: int, skipped: int = 0) -> None:
        """Count files written (or found verified), the bytes that came over the network, and skips."""
        self.files.extend(Path(f) for f in files)
        self.bytes_fetched += int(fetched)
        self.skipped += skipped


@dataclass
class FetchRequest:
    """One call of :meth:`Downloader.download` as its ``fetch`` hook gets it, with the result it fills."""

    outdir: Path
    assets: AssetSelection = None
    members: Optional[Sequence[str]] = None
    overwrite: bool = False
    cancel: Optional[CancelToken] = None
    progress: Optional[ProgressCallback] = None
    result: DownloadResult = field(default_factory=lambda: DownloadResult(""))


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
        request = FetchRequest(
            Path(outdir), assets, members, overwrite, cancel, progress, DownloadResult(self.scene.id)
        )
        with self.translated_errors(members):
            self.prepare(assets, cancel, progress)
            return self.fetch(request)

    #: The hooks of the template a provider may override (``activate`` too: the default ``prepare``
    #: calls it, so an activation of its own changes the download).
    HOOKS = ("check_members", "existing", "prepare", "activate", "translated_errors", "fetch")

    @classmethod
    def has_own_download(cls) -> bool:
        """Whether the provider changes the template (then a clip downloads through it, and cuts the
        files it wrote, instead of reading the assets' ranges directly)."""
        return any(getattr(cls, hook) is not getattr(Downloader, hook) for hook in cls.HOOKS)

    #: Why this provider's files cannot be read member by member (None: zip assets can).
    members_refused: Optional[str] = None

    def check_members(self) -> None:
        """Raise a UsageError (:attr:`members_refused`) when this provider's files cannot be read
        member by member."""
        if self.members_refused:
            raise UsageError(self.members_refused)

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

    def fetch(self, request: FetchRequest) -> DownloadResult:
        """Fetch the selected assets (or members of zip assets) by their links: the default transfer."""
        from ..core.transfer import output_error

        selected = self.select_assets(request.assets)
        target = self.scene_dir(request.outdir)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where the folder should be, no permission, disk full
            raise output_error(exc, target) from None
        names = self.file_names(selected)
        for asset in selected:
            if request.cancel is not None:
                request.cancel.raise_if_cancelled(f"Download of {self.scene.id}")
            if not request.members:
                self.fetch_asset(request, asset, target / names[asset.key])
            elif asset.is_zip:
                self.extract_members(request, asset, target)
        if request.members and not request.result.files:
            raise UsageError(
                f"No zip member of scene {self.scene.id} matches {', '.join(request.members)} "
                "(or the selected assets are not zip archives)."
            )
        return request.result

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

    # -- the transfers every fetch uses
    def fetch_asset(self, request: FetchRequest, asset: Asset, dest: Path) -> None:
        """One asset into ``dest``: copied when its href is a local file, else :meth:`fetch_file`."""
        local = self._checked_local_path(asset)
        if local is not None:
            self._copy_local(request, asset, local, dest)
            return
        self.fetch_file(request, asset.href, dest, size=asset.size, checksum=asset.checksum)

    def fetch_file(
        self,
        request: FetchRequest,
        href: str,
        dest: Path,
        *,
        size: Optional[int] = None,
        checksum: Optional[Checksum] = None,
    ) -> None:
        """Download ``href`` into ``dest`` with this downloader's client, resumed and verified against
        ``size`` and ``checksum`` (a verified copy already there is kept), counted in the result."""
        from ..core.transfer import download_file

        done = download_file(
            href,
            dest,
            http=self.http,
            expected_size=size,
            checksum=checksum,
            overwrite=request.overwrite,
            progress=request.progress,
            cancel=request.cancel,
        )
        request.result.add([done.path], done.bytes_fetched, 1 if done.skipped else 0)

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

    def _copy_local(self, request: FetchRequest, asset: Asset, source: Path, dest: Path) -> None:
        from ..core.checksums import verify_file
        from ..core.errors import SizeMismatchError
        from ..core.transfer import is_verified, output_error, part_path, record_verified

        if not source.is_file():
            raise ProviderError(
                f"Asset {asset.key} of {self.scene.id}: {source} does not exist.", self.provider
            )
        # Skipped only when recorded complete and verified (or matching the catalog's checksum),
        # never because a file of that name exists.
        if not request.overwrite and is_verified(dest, asset.size, asset.checksum):
            request.result.add([dest], 0, 1)
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
        request.result.add([dest], size)

    def extract_members(self, request: FetchRequest, asset: Asset, target: Path) -> None:
        """The members of the zip ``asset`` matching ``request.members`` into ``target`` (folders kept),
        read by range requests with this downloader's client."""
        from ..core.remotezip import RemoteZip

        archive = RemoteZip(asset.href, http=self.http, range_mode=self.range_mode, cancel=request.cancel)
        written = archive.extract(
            list(request.members or ()),
            target,
            keep_folders=True,
            progress=request.progress,
            cancel=request.cancel,
            overwrite=request.overwrite,
        )
        # What crossed the network (directory + member ranges), not the size of what was written.
        request.result.add(written, archive.reader.bytes_received, archive.stats.skipped)


class CatalogDownloader(Downloader):
    """A provider's own downloader, made from the scene and the provider (:attr:`catalog`, what
    :meth:`~.base.Provider.downloader` passes). Its HTTP client is :meth:`download_client`'s, asked for
    only when data moves (a search, a folder name or a copy already there needs no credentials)."""

    def __init__(self, scene: Scene, catalog: Provider) -> None:
        self.catalog = catalog
        super().__init__(scene, None, provider=catalog.label)  # type: ignore[arg-type] - built on use

    def download_client(self) -> HttpClient:
        """The provider's client, by default (a hook: a provider may give one for downloads only)."""
        return self.catalog.http

    @classmethod
    def has_own_download(cls) -> bool:
        """A client of its own (credentials for data hosts) also counts as a download of its own."""
        return super().has_own_download() or cls.download_client is not CatalogDownloader.download_client

    @property  # type: ignore[override]
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = self.download_client()
        return self._http

    @http.setter
    def http(self, value: Optional[HttpClient]) -> None:
        self._http = value
