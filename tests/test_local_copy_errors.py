"""A catalog's local files (``file://`` hrefs, MEP paths) copied into the output folder: a failed
local write (disk full, a folder or file in the way) is an :class:`OutputError` saying what to check,
like a download's, never a raw OSError; nothing is left under the final name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scene_picker.core.errors import OutputError
from scene_picker.core.scene import ROLE_DATA, Asset, Scene
from scene_picker.core.transfer import part_path
from scene_picker.providers.downloader import Downloader

DATA = os.urandom(200_000)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    source = tmp_path / "catalog" / "band.tif"
    source.parent.mkdir()
    source.write_bytes(DATA)
    asset = Asset("band", source.as_uri(), roles=(ROLE_DATA,), size=len(DATA))
    return Scene(provider="local-test", id="S1_LOCAL", assets={"band": asset})


def _downloader(scene: Scene) -> Downloader:
    return Downloader(scene, http=None, provider="local-test")  # type: ignore[arg-type] - no HTTP


def test_the_copy_itself_works(scene, tmp_path):
    result = _downloader(scene).download(tmp_path / "ok")
    assert [p.read_bytes() for p in result.files] == [DATA]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full to fill a disk")
def test_a_full_disk_is_an_output_error(scene, tmp_path):
    folder = tmp_path / "out" / "S1_LOCAL"
    folder.mkdir(parents=True)
    part_path(folder / "band.tif").parent.mkdir(parents=True)
    part_path(folder / "band.tif").symlink_to("/dev/full")  # every write there fails with ENOSPC
    with pytest.raises(OutputError) as info:
        _downloader(scene).download(tmp_path / "out")
    message = str(info.value)
    assert "Cannot write" in message and "free space" in message and "No space left" in message
    assert not (folder / "band.tif").exists()
    assert not part_path(folder / "band.tif").is_symlink()  # the .part is cleaned up


def test_a_folder_in_the_way_of_the_part_file_is_an_output_error(scene, tmp_path):
    folder = tmp_path / "out" / "S1_LOCAL"
    part_path(folder / "band.tif").mkdir(parents=True)
    with pytest.raises(OutputError, match="Cannot write"):
        _downloader(scene).download(tmp_path / "out")
    assert not (folder / "band.tif").exists()


def test_a_file_where_the_output_folder_should_be_is_an_output_error(scene, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match="Cannot write .*not-a-folder"):
        _downloader(scene).download(blocker / "sub")
