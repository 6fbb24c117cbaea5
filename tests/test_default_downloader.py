"""The default Downloader over real HTTP: whole assets through core.transfer (size and checksum
verified) and chosen zip members through core.remotezip range requests, from a loopback server."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from scene_picker.core.checksums import Checksum
from scene_picker.core.errors import ChecksumMismatchError, UsageError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.core.naming import short_hash
from scene_picker.core.scene import Asset, Scene
from scene_picker.providers.downloader import Downloader, DownloadFailure

from support.http_emulator import EmulatorHandler, EmulatorServer

BAND = bytes(range(256)) * 400


def make_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("S2A_X.SAFE/GRANULE/B02.jp2", "S2A_X.SAFE/GRANULE/B04.jp2", "S2A_X.SAFE/manifest.safe"):
            archive.writestr(name, (name.encode() + b"\n") * 3000)
    return buffer.getvalue()


ZIP = make_zip()


class _Files(EmulatorHandler):
    def do_GET(self) -> None:  # noqa: N802
        path, _ = self.split()
        files = {"/a/B01.tif": BAND, "/a/product.zip": ZIP}
        if path in files:
            self.serve_bytes(files[path])
        else:
            self.send_text(404, "not found")

    do_HEAD = do_GET


@pytest.fixture(scope="module")
def files():
    server = EmulatorServer(_Files, None).start()
    yield server
    server.stop()


def scene_for(base: str, checksum: str) -> Scene:
    return Scene(
        "test",
        "S2A/X 1",  # not a safe folder name as is
        assets={
            "B01": Asset(
                "B01",
                f"{base}/a/B01.tif",
                roles=("data",),
                size=len(BAND),
                checksum=Checksum("sha256", checksum),
            ),
            "product": Asset(
                "product", f"{base}/a/product.zip", media_type="application/zip", roles=("data",)
            ),
            "thumbnail": Asset("thumbnail", f"{base}/a/none.png", roles=("thumbnail",)),
        },
    )


def test_assets_and_members_are_downloaded_and_verified(files, tmp_path):
    http = HttpClient(retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    scene = scene_for(files.base_url, hashlib.sha256(BAND).hexdigest())
    downloader = Downloader(scene, http)
    downloader.activate()  # online: nothing to do
    result = downloader.download(tmp_path, assets=["B01"])
    # made safe, with a hash of provider + id because making it safe changed it
    assert result.files == [tmp_path / f"S2A_X_1-{short_hash('test:S2A/X 1')}" / "B01.tif"]
    assert result.files[0].read_bytes() == BAND and result.bytes_fetched == len(BAND)
    again = downloader.download(tmp_path, assets=["B01"])
    assert again.skipped == 1 and again.bytes_fetched == 0
    members = downloader.download(tmp_path, assets=["product"], members=["*/B04.jp2"])
    assert [p.name for p in members.files] == ["B04.jp2"]
    assert members.files[0].read_bytes() == b"S2A_X.SAFE/GRANULE/B04.jp2\n" * 3000
    ranged = files.requests_matching(lambda r: r.path == "/a/product.zip")
    assert ranged and all(r.range for r in ranged)  # never the whole archive
    member_size = len(members.files[0].read_bytes())
    # bytes_fetched counts what crossed the network (compressed member + directory), not what was written
    assert 0 < members.bytes_fetched < member_size and members.skipped == 0
    again_members = downloader.download(tmp_path, assets=["product"], members=["*/B04.jp2"])
    assert again_members.skipped == 1  # the verified copy (size + CRC) is kept
    forced = downloader.download(tmp_path, assets=["product"], members=["*/B04.jp2"], overwrite=True)
    assert forced.skipped == 0 and forced.files == members.files
    with pytest.raises(UsageError, match="no member of product.zip matches"):
        downloader.download(tmp_path, assets=["product"], members=["*/B99.jp2"])
    with pytest.raises(UsageError, match="not zip archives"):
        downloader.download(tmp_path, assets=["B01"], members=["*/B04.jp2"])


def test_a_wrong_checksum_is_a_download_failure(files, tmp_path):
    http = HttpClient(retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    scene = scene_for(files.base_url, hashlib.sha256(b"something else").hexdigest())
    outcome = Downloader(scene, http).try_download(tmp_path, assets=["B01"])
    assert isinstance(outcome, DownloadFailure) and not outcome.ok
    assert isinstance(outcome.error, ChecksumMismatchError) and outcome.scene_id == "S2A/X 1"
    assert not (tmp_path / f"S2A_X_1-{short_hash('test:S2A/X 1')}" / "B01.tif").exists()


class _Ordering(Downloader):
    """A provider whose only change is an activation of its own (orders an offline product)."""

    def activate(self, cancel=None, progress=None, assets=None) -> None:
        self.scene.online = True


def test_an_activation_of_its_own_is_a_download_of_its_own():
    # a clip must then download through the provider (which activates), not read the links directly
    assert _Ordering.has_own_download() and not Downloader.has_own_download()
