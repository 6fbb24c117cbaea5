import scene_picker


def test_version_is_metadata_version():
    from pathlib import Path

    meta = (Path(scene_picker.__file__).parent / "metadata.txt").read_text()
    assert f"version={scene_picker.__version__}\n" in meta
