"""GEODES downloads: the API key, availability of offline products, MD5, partial extraction, and scenes
of the retired Theia provider.

- The key goes as ``X-API-Key`` to the GEODES host only (:class:`~scene_picker.core.auth.ApiKeyAuth`
  never sends it to another host, not even after a redirect).
- Availability: ``POST <portal>/fastavailability`` with ``{"availability": [{"href", "endpointURL"}]}``
  answers ``{"products": [{"id", "files": [{"checksum", "available"}]}]}``; a product not available yet
  is checked again with bounded back-off (:mod:`.polling`) until it is, or the wait ends in
  :class:`~scene_picker.core.errors.ActivationError`.
- The archive is verified against the MD5 of its asset description.
- Zip members are read with range requests; when GEODES does not serve ranges for an archive, the whole
  archive is downloaded instead, with a warning saying so.
- A scene found with the retired Theia catalogue (provider ``theia``) is looked up on GEODES by its
  product name first; when GEODES has no such product, the download is refused with how to search again.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

from ..core.errors import (
    AuthenticationError,
    ChecksumMismatchError,
    HttpStatusError,
    ProviderError,
    ProviderResponseError,
    RangeNotSupportedError,
)
from ..core.naming import safe_name
from ..core.scene import Asset, Scene
from .downloader import CatalogDownloader, FetchRequest
from .polling import poll_until

if TYPE_CHECKING:  # pragma: no cover
    from .geodes import GeodesProvider

log = logging.getLogger(__name__)

SEARCH_AGAIN = (
    "scene-picker search --provider geodes --collections THEIA_REFLECTANCE_SENTINEL2_L2A "
    "--bbox=W,S,E,N --start DATE --end DATE --out scenes.geojson"
)


def is_legacy_theia(scene: Scene) -> bool:
    """Whether ``scene`` comes from the retired Theia resto catalogue (a result file or queue entry
    written before GEODES)."""
    from .geodes import RETIRED_URL

    if scene.provider.strip().lower() == "theia" or "theia_id" in scene.properties:
        return True
    return any(RETIRED_URL.match(a.href) for a in scene.assets.values())


class GeodesDownloader(CatalogDownloader):
    """Downloads one GEODES product with the user's API key (see the module docstring)."""

    catalog: GeodesProvider

    def __init__(self, scene: Scene, provider: GeodesProvider) -> None:
        super().__init__(scene, provider)
        self._legacy = is_legacy_theia(scene)

    def download_client(self) -> Any:
        """The API key's client, asked for only once data moves."""
        return self.catalog.download_http

    # -- a retired Theia scene --------------------------------------------------------------------
    def _resolve(self) -> None:
        if not self._legacy:
            return
        try:
            fresh = self.catalog.get(self.scene.id)
        except ProviderResponseError:
            raise  # a malformed answer is not an unknown product
        except ProviderError:
            raise ProviderError(
                f"Scene {self.scene.id} was found with the retired Theia catalogue, and GEODES, which now "
                "distributes Theia's products, has no product of that name. Search again with GEODES and "
                f"download from the new result file: {SEARCH_AGAIN}",
                self.catalog.name,
            ) from None
        log.info(
            "Theia scene %s is served by GEODES now (%s).", self.scene.id, fresh.properties.get("geodes:id")
        )
        self.scene = fresh
        self._legacy = False

    # -- availability -------------------------------------------------------------------------------
    def available(self) -> Optional[bool]:
        """What the availability service says of the archive (None when it does not say)."""
        archive = self.scene.assets.get("archive")
        if archive is None:
            return None
        entry = {"href": archive.href, "endpointURL": self.scene.properties.get("endpoint_url") or ""}
        try:
            answer = self.http.request_json(
                "POST", self.catalog.availability_url, json={"availability": [entry]}, idempotent=True
            )
        except HttpStatusError as exc:
            if exc.status not in (404, 405, 501):
                raise
            log.info("GEODES: no availability service at %s (%s); trying the download.", exc.url, exc.status)
            return None
        return availability_of(answer, archive)

    def activate(self, cancel: Any = None, progress: Any = None, assets: Any = None) -> None:
        """Wait, with bounded back-off, until GEODES says the archive is available (one archive per
        product, whatever ``assets`` are chosen)."""
        self._resolve()
        if self.scene.online:
            return

        def check() -> Optional[bool]:
            state = self.available()
            # A file the service does not know is tried anyway: the download itself will tell.
            return None if state is False else True

        poll_until(
            check,
            what=f"GEODES product {self.scene.id}",
            provider=self.catalog.name,
            policy=self.catalog.poll,
            cancel=cancel,
            status=lambda: "not available",
        )
        self.scene.online = True

    # -- download -----------------------------------------------------------------------------------
    def file_names(self, assets: Sequence[Asset]) -> dict[str, str]:
        """The asset titles (``<product>.zip``): GEODES's hrefs end in an MD5, not a file name."""
        names = super().file_names(assets)
        for asset in assets:
            title = safe_name(asset.title or "")
            if "." in title and title not in names.values():
                names[asset.key] = title
        return names

    @contextlib.contextmanager
    def translated_errors(self, members: Optional[Sequence[str]] = None) -> Iterator[None]:
        """A 403 means a key refused; a checksum that still fails after the second download, a damaged
        product."""
        try:
            yield
        except HttpStatusError as exc:
            if exc.status != 403:
                raise
            raise AuthenticationError(
                f"GEODES refused the API key for the download of {self.scene.id} (HTTP 403): the key may be "
                "wrong or revoked, or lack the rights to this collection (scene-picker login geodes stores "
                "a new key)."
            ) from None
        except ChecksumMismatchError as exc:
            if members:
                raise  # a member's CRC32: the engine's message says which one
            raise ChecksumMismatchError(
                f"GEODES: the archive of {self.scene.id} does not match the MD5 of its description, even "
                f"after a second download ({exc}). The product may be damaged on the server; try later."
            ) from None

    def extract_members(self, request: FetchRequest, asset: Asset, target: Path) -> None:
        try:
            super().extract_members(request, asset, target)
        except RangeNotSupportedError as exc:
            log.warning(
                "GEODES does not serve byte ranges for %s (%s): downloading the whole archive instead; "
                "the members asked for are inside it.",
                self.scene.id,
                exc,
            )
            self.fetch_asset(request, asset, target / self.file_names([asset])[asset.key])


def availability_of(answer: Any, archive: Asset) -> Optional[bool]:
    """Whether the availability answer marks ``archive`` available (matched as GEODES's references do:
    the product id appears in the asset href, the file's checksum is the asset's MD5 or in its href)."""
    products = answer.get("products") if isinstance(answer, dict) else None
    if not isinstance(products, list):
        return None
    md5 = archive.checksum.hexdigest if archive.checksum is not None else None
    for product in products:
        if not isinstance(product, dict) or str(product.get("id") or "\0") not in archive.href:
            continue
        for entry in product.get("files") or []:
            checksum = str(entry.get("checksum") or "\0") if isinstance(entry, dict) else "\0"
            if checksum == md5 or checksum in archive.href:
                return bool(entry.get("available"))
    return None
