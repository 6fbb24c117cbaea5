"""The Copernicus Data Space Ecosystem (CDSE) provider: Sentinel-1/2/3/5P from the OData catalogue.

- Search: ``GET …/odata/v1/Products`` with a ``$filter`` built from the query (collection, AOI by
  ``OData.CSC.Intersects``, sensing period, cloud cover, product type, sensor mode, name parts, online
  only), ``$orderby=ContentDate/Start``, ``$expand=Attributes``, ``$top``/``$skip`` paging and
  ``$count``; long periods are cut into time slices to get past the 1000-per-page and 10 000-skip caps
  (see :mod:`.cdse_odata`). Searching needs no account.
- Auth: Keycloak password grant (client ``cdse-public``) per account from the keyring (``cdse``, and
  ``cdse-2``, ``cdse-3``… for more accounts), refreshed before expiry (see :mod:`.cdse_accounts`).
  Two-factor (TOTP) accounts are not supported.
- Download: the zipper ``Products(<Id>)/$value`` (the bearer token goes to CDSE hosts only, never to a
  host a redirect leads to), the archive verified against the catalogue's MD5; or chosen SAFE members
  extracted with range requests (:class:`~scene_picker.core.remotezip.RemoteZip`); or the product's
  S3 prefix with the user's S3 keys (:mod:`.cdse_s3`, boto3 optional). Accounts serve downloads
  round-robin, at most 4 sessions each. Products already in the output folder or in the user's
  archive folders (by SAFE name) are skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence, Union

from ..core.cancel import CancelToken
from ..core.credentials import Credentials, load_credentials, require_credentials
from ..core.errors import (
    AuthenticationError,
    CancelledError,
    ProviderError,
    ProviderResponseError,
    ScenePickerError,
    UsageError,
)
from ..core.http import HttpClient, RetryPolicy
from ..core.progress import ProgressCallback
from ..core.query import Query
from ..core.scene import Scene
from .base import Provider, ResultPage, SearchResults, checked_page_size
from .cdse_accounts import SESSIONS_PER_ACCOUNT, AccountPool, CdseAccount
from .cdse_odata import (
    COLLECTIONS,
    PAGE_MAX,
    SKIP_CAP,
    SliceStats,
    checked,
    collections_for,
    criteria_for,
    simplified,
    sliced_pages,
)
from .cdse_product import to_scene
from .downloader import CatalogDownloader, DownloadFailure, DownloadResult, FetchRequest
from .query_params import host_pattern
from .spec import CredentialSpec, OptionSpec, ProviderSpec

log = logging.getLogger(__name__)

CATALOGUE_URL = "https://catalogue.dataspace.copernicus.eu/odata/v1"
DOWNLOAD_URL = "https://download.dataspace.copernicus.eu/odata/v1"
TOKEN_URL = "https://identity.dataspace.copernicus.eu/auth/realms/CDSE/protocol/openid-connect/token"
S3_ENDPOINT = "https://eodata.dataspace.copernicus.eu"
#: Hosts that receive the bearer token (sub-domains of the CDSE domain only).
CDSE_HOSTS = (".dataspace.copernicus.eu",)
#: Keyring entry of the S3 keys (user name = access key, secret = secret key).
S3_CREDENTIALS = "cdse-s3"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAX_EXTRA_ACCOUNTS = 20
_ARCHIVE_DEPTH = 4


def keyring_accounts() -> list[Credentials]:
    """The CDSE accounts in the keyring: ``cdse`` then ``cdse-2``, ``cdse-3``… up to the first gap."""
    found = [require_credentials("cdse")]
    for number in range(2, _MAX_EXTRA_ACCOUNTS + 2):
        creds = load_credentials(f"cdse-{number}")
        if creds is None:
            break
        found.append(creds)
    return found


def safe_names(name: str) -> set[str]:
    """File names under which a product may already be stored (SAFE folder, zip, with or without .SAFE)."""
    base = name[:-5] if name.upper().endswith(".SAFE") else name
    return {f"{base}.SAFE", f"{base}.SAFE.zip", f"{base}.zip", base}


class CdseDownloader(CatalogDownloader):
    """Zipper download (whole verified archive, or SAFE members) with a leased account."""

    catalog: CdseProvider

    def activate(
        self,
        cancel: Optional[CancelToken] = None,
        progress: Optional[ProgressCallback] = None,
        assets: Optional[Sequence[str]] = None,
    ) -> None:
        if not self.scene.online:
            raise ProviderError(
                f"CDSE product {self.scene.id} is offline (long-term archive); ordering it is not supported "
                "yet. Try again later or use another provider.",
                self.catalog.name,
            )

    def existing(self, outdir: Union[str, Path]) -> Optional[DownloadResult]:
        found = self.catalog.existing_copy(self.scene, Path(outdir))
        if found is None:
            return None
        log.info("%s is already in %s; skipped", self.scene.id, found.parent)
        return DownloadResult(self.scene.id, [found], 0, 1)

    def fetch(self, request: FetchRequest) -> DownloadResult:
        """With a leased account of the pool; a refused one is set aside and the next one tried."""
        asset = self.select_assets(request.assets)[0]
        pool = self.catalog.pool
        attempts = len(pool.accounts)
        for _ in range(attempts):  # bounded: each failed sign-in removes one account
            with pool.lease(request.cancel) as account:
                try:
                    pool.ensure_signed_in(account)
                    self.http = account.http
                    if request.members:
                        self.extract_members(request, asset, request.outdir)
                    else:
                        self.fetch_asset(request, asset, request.outdir / f"{self.scene.id}.zip")
                    return request.result
                except AuthenticationError as exc:
                    if account.blacklisted is None:
                        pool.blacklist(account, exc)
                    if not pool.usable:
                        raise pool.all_failed_error() from None
        raise pool.all_failed_error()


class CdseProvider(Provider):
    """CDSE's OData catalogue and download services."""

    downloader_class = CdseDownloader

    spec = ProviderSpec(
        name="cdse",
        title="Copernicus Data Space Ecosystem",
        platforms=("sentinel-1", "sentinel-2", "sentinel-3", "sentinel-5p"),
        collections=COLLECTIONS,
        options=(
            OptionSpec("url", "url", None, "OData catalogue (as catalogue_url; the command line's --url)"),
            OptionSpec("catalogue_url", "url", CATALOGUE_URL, "OData catalogue"),
            OptionSpec("download_url", "url", DOWNLOAD_URL, "OData download service"),
            OptionSpec("token_url", "url", TOKEN_URL, "OpenID Connect token endpoint"),
            OptionSpec("s3_endpoint", "url", S3_ENDPOINT, "EO data S3 endpoint"),
            OptionSpec("slice_days", "float", None, "split a search into time slices of N days"),
            OptionSpec("page_size", "int", PAGE_MAX, "results asked per request"),
            OptionSpec("online_only", "bool", False, "only products online (not in the long-term archive)"),
            OptionSpec(
                "sessions_per_account", "int", SESSIONS_PER_ACCOUNT, "simultaneous downloads per account"
            ),
        ),
        credentials=CredentialSpec(
            "password",
            "CDSE account: e-mail and password (accounts with two-factor TOTP are not supported)",
            signup_url="https://dataspace.copernicus.eu",
        ),
        max_concurrency=SESSIONS_PER_ACCOUNT,
    )
    http_name = "CDSE"

    def __init__(
        self,
        catalogue_url: str = CATALOGUE_URL,
        download_url: str = DOWNLOAD_URL,
        token_url: str = TOKEN_URL,
        *,
        url: Optional[str] = None,
        auth_hosts: Optional[Sequence[str]] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        accounts: Optional[Sequence[Union[Credentials, tuple[str, str]]]] = None,
        slice_days: Optional[float] = None,
        page_size: int = PAGE_MAX,
        skip_cap: int = SKIP_CAP,
        online_only: bool = False,
        sessions_per_account: int = SESSIONS_PER_ACCOUNT,
        archive_dirs: Sequence[Union[str, Path]] = (),
        s3_endpoint: str = S3_ENDPOINT,
        s3_keys: Optional[tuple[str, str]] = None,
        http: Optional[HttpClient] = None,
        download_retry: Optional[RetryPolicy] = None,
    ) -> None:
        super().__init__(http)
        if slice_days is not None and slice_days <= 0:
            raise UsageError(f"The time slice must be positive, not {slice_days} days.")
        if url:  # the generic command line's --url: the catalogue root
            catalogue_url = url
        self.catalogue_url = catalogue_url.rstrip("/")
        self.download_url = download_url.rstrip("/")
        self.token_url = token_url
        if auth_hosts is None:
            cdse = all(
                host_pattern(u).split(":")[0].endswith(CDSE_HOSTS[0]) for u in (download_url, catalogue_url)
            )
            # Only the download service needs the token (searches are anonymous).
            auth_hosts = CDSE_HOSTS if cdse else (host_pattern(download_url),)
        self.auth_hosts = tuple(auth_hosts)
        self.slice_length = dt.timedelta(days=slice_days) if slice_days else None
        self.page_size = checked_page_size(page_size, PAGE_MAX, "CDSE", "products")
        self.skip_cap = skip_cap
        self.online_only = online_only
        self.sessions_per_account = sessions_per_account
        self.archive_dirs = tuple(Path(d) for d in archive_dirs)
        self.s3_endpoint = s3_endpoint
        self._s3_keys = s3_keys
        self.download_retry = download_retry
        explicit: list[Credentials] = []
        if username and password:
            explicit.append(Credentials(username, password))
        for entry in accounts or ():
            explicit.append(entry if isinstance(entry, Credentials) else Credentials(entry[0], entry[1]))
        self._explicit = explicit
        self._pool: Optional[AccountPool] = None
        self._lock = threading.Lock()
        #: How the last search was cut (requests, slices, splits).
        self.last_stats = SliceStats()

    # -- accounts ---------------------------------------------------------------------------------
    @property
    def pool(self) -> AccountPool:
        """The download accounts (from the constructor, else the keyring), created on first use."""
        with self._lock:
            if self._pool is None:
                creds = self._explicit or keyring_accounts()
                accounts = [
                    CdseAccount(
                        c,
                        self.token_url,
                        self.auth_hosts,
                        self.http,
                        self.sessions_per_account,
                        retry=self.download_retry,
                        network=self.network,
                        # keyring_accounts() lists cdse, cdse-2, cdse-3… in that order
                        login_key="cdse" if self._explicit or index == 0 else f"cdse-{index + 1}",
                    )
                    for index, c in enumerate(creds)
                ]
                self._pool = AccountPool(accounts, self.sessions_per_account)
            return self._pool

    def login(self) -> None:
        """Sign every account in now (checks the credentials); a refused one raises."""
        for account in self.pool.accounts:
            self.pool.ensure_signed_in(account)

    # -- search -----------------------------------------------------------------------------------
    def _fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        payload = self.http.get_json(
            f"{self.catalogue_url}/Products", params=params, accept_status=(400, 422)
        )
        if not isinstance(payload, dict):
            raise ProviderResponseError(
                "CDSE answered a search with something that is not a JSON object.", self.name
            )
        return payload

    def search(self, query: Query) -> SearchResults:
        collections = collections_for(query)
        page_size = min(self.page_size, query.max_results) if query.max_results else self.page_size
        if self.last_stats.skip_cap is not None:  # learned from the service in an earlier search
            self.skip_cap = min(self.skip_cap, self.last_stats.skip_cap)
        self.last_stats = SliceStats()
        return SearchResults(self._pages(collections, query, page_size), query.max_results)

    def _pages(self, collections: list[str], query: Query, page_size: int) -> Iterator[ResultPage]:
        seen: set[str] = set()
        check_aoi = simplified(query.aoi)  # a covering shape was sent: keep what meets the AOI itself
        pagers = [
            sliced_pages(
                self._fetch,
                criteria_for(query, collection, self.online_only),
                query.start,
                query.end,
                slice_length=self.slice_length,
                page_size=page_size,
                skip_cap=self.skip_cap,
                stats=self.last_stats,
            )
            for collection in collections
        ]
        firsts = [next(pager) for pager in pagers]
        totals = [total for _, total in firsts]
        total = sum(t for t in totals if t is not None) if all(t is not None for t in totals) else None
        announced = False
        for (products, _), pager in zip(firsts, pagers):
            yield ResultPage(self._scenes(products, seen, query, check_aoi), None if announced else total)
            announced = True
            for products, _ in pager:
                yield ResultPage(self._scenes(products, seen, query, check_aoi))

    def _scenes(
        self, products: list[dict[str, Any]], seen: set[str], query: Query, check_aoi: bool
    ) -> list[Scene]:
        scenes = []
        for item in products:
            scene = to_scene(item, self.download_url, self.name)
            key = scene.properties["cdse_id"]
            if key in seen:
                continue
            if check_aoi and not query.matches(
                scene, time=False, cloud=False, collections=False, platforms=False
            ):
                continue
            seen.add(key)
            scenes.append(scene)
        return scenes

    def get(self, scene_id: str) -> Scene:
        """One product by its Id (UUID) or its name (with or without ``.SAFE``)."""
        if _UUID.match(scene_id):
            payload = self.http.get_json(
                f"{self.catalogue_url}/Products({scene_id})",
                params={"$expand": "Attributes"},
                accept_status=(404,),
            )
            if isinstance(payload, dict) and "Id" in payload:
                return to_scene(payload, self.download_url, self.name)
        else:
            names = [scene_id] if scene_id.upper().endswith(".SAFE") else [scene_id, scene_id + ".SAFE"]
            clause = " or ".join(f"Name eq '{n.replace(chr(39), chr(39) * 2)}'" for n in names)
            products = checked(self._fetch({"$filter": clause, "$expand": "Attributes", "$top": 1}))["value"]
            if products:
                return to_scene(products[0], self.download_url, self.name)
        raise ProviderError(f"CDSE has no product {scene_id!r}.", self.name)

    # -- downloads --------------------------------------------------------------------------------
    def existing_copy(self, scene: Scene, outdir: Union[str, Path]) -> Optional[Path]:
        """A file or folder already holding ``scene`` in ``outdir`` or the archive folders, by SAFE name."""
        wanted = safe_names(scene.id)
        for root in (Path(outdir), *self.archive_dirs):
            if not root.is_dir():
                continue
            base_depth = len(root.parts)
            for folder, dirs, files in os.walk(root):
                here = Path(folder)
                for entry in (*dirs, *files):
                    if entry in wanted:
                        return here / entry
                if len(here.parts) - base_depth >= _ARCHIVE_DEPTH:
                    dirs[:] = []
                dirs[:] = [d for d in dirs if not d.upper().endswith(".SAFE")]  # never look inside products
        return None

    def download_all(
        self,
        scenes: Sequence[Scene],
        outdir: Union[str, Path],
        *,
        members: Optional[Sequence[str]] = None,
        workers: Optional[int] = None,
        overwrite: bool = False,
        cancel: Optional[CancelToken] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> list[Union[DownloadResult, DownloadFailure]]:
        """Download many products in parallel over the account pool (results in input order)."""
        pool = self.pool
        if workers is None:
            workers = max(1, len(pool.usable) * self.sessions_per_account)

        def one(scene: Scene) -> Union[DownloadResult, DownloadFailure]:
            downloader = self.downloader(scene)
            try:
                return downloader.download(
                    outdir, members=members, overwrite=overwrite, cancel=cancel, progress=progress
                )
            except CancelledError:
                raise
            except ScenePickerError as exc:
                return DownloadFailure(scene.id, exc)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cdse-download") as executor:
            return list(executor.map(one, scenes))

    def s3_keys(self) -> tuple[str, str]:
        if self._s3_keys is not None:
            return self._s3_keys
        creds = load_credentials(S3_CREDENTIALS)
        if creds is None:
            raise AuthenticationError(
                "No CDSE S3 keys are stored. Create them in the CDSE S3 keys manager and store them with "
                "'scene-picker cdse s3-keys --access-key KEY'."
            )
        return creds.username, creds.secret

    def download_s3(
        self,
        scene: Scene,
        outdir: Union[str, Path],
        *,
        overwrite: bool = False,
        cancel: Optional[CancelToken] = None,
        progress: Optional[ProgressCallback] = None,
    ) -> DownloadResult:
        """Download the product's S3 prefix (``S3Path``) with the user's S3 keys (needs boto3)."""
        from .cdse_s3 import download_prefix

        s3_path = scene.properties.get("s3_path")
        if not s3_path:
            raise ProviderError(f"CDSE gives no S3 path for {scene.id}.", self.name)
        if not overwrite:
            existing = self.existing_copy(scene, outdir)
            if existing is not None:
                return DownloadResult(scene.id, [existing], 0, 1)
        access_key, secret_key = self.s3_keys()
        files, fetched = download_prefix(
            s3_path,
            Path(outdir),
            access_key=access_key,
            secret_key=secret_key,
            endpoint_url=self.s3_endpoint,
            overwrite=overwrite,
            cancel=cancel,
            progress=progress,
        )
        return DownloadResult(scene.id, files, fetched, 0)
