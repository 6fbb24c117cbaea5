"""Download one scene through the service layer: the job every face runs (dock queue, Processing,
command line, cluster worker) — activation with the chosen assets, then the download of those assets
or zip members (or their clip), resumed and verified by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union

from ..core.clip import clip_scene
from ..core.clip_raster import ClipRequest
from ..providers.downloader import Downloader, DownloadResult

if TYPE_CHECKING:  # pragma: no cover
    from ..core.cancel import CancelToken
    from ..core.progress import ProgressCallback


def download_scene(
    downloader: Downloader,
    outdir: Union[str, Path],
    *,
    assets: Optional[Sequence[str]] = None,
    members: Optional[Sequence[str]] = None,
    clip: Optional[dict[str, Any]] = None,
    overwrite: bool = False,
    cancel: Optional[CancelToken] = None,
    progress: Optional[ProgressCallback] = None,
) -> DownloadResult:
    """Download the ``assets`` chosen (or ``members`` of zip assets, or the ``clip`` of a clip job) into
    ``outdir``, the scene activated for exactly those assets first (an offline product, a Planet asset
    type: the downloader's template does it): files already verified are kept, interrupted ones resumed."""
    if not clip:
        return downloader.download(
            outdir, assets=assets, members=members, overwrite=overwrite, cancel=cancel, progress=progress
        )
    request = ClipRequest.from_payload(clip)
    return clip_scene(downloader, outdir, request, assets, members, overwrite, cancel, progress).result
