"""The command line on a closed catalog (the Theia emulator): search, a download refused for want of
credentials (exit 3), ``login``, then the download of two members of each archive, and a wrong password."""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import delete_credentials

from support.theia_emulator import TheiaEmulator, default_catalogue

USER, PASSWORD = "cli-user@example.org", "cli-pass-42"


@pytest.fixture(scope="module")
def theia():
    delete_credentials("theia")
    with TheiaEmulator(default_catalogue({"SENTINEL2": 6}), users={USER: PASSWORD}) as emulator:
        yield emulator
    delete_credentials("theia")


def login(monkeypatch, password: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["login", "theia", "--username", USER, "--password-stdin"])


def test_search_login_download(theia, tmp_path, capsys, monkeypatch):
    found = tmp_path / "found.geojson"
    code = main(
        [
            "search",
            "--provider",
            "theia",
            "--url",
            theia.root_url,
            "--collections",
            "SENTINEL2",
            "--bbox=3.0,43.0,4.0,44.5",
            "--cloud-max",
            "60",
            "--out",
            str(found),
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    ids = {f["id"] for f in json.loads(found.read_text())["features"]}
    expected = {p.identifier for p in theia.products if p.cloud_cover <= 60 and p.bbox[0] < 4.0}
    assert ids == expected and ids

    out = tmp_path / "out"
    argv = [
        "download",
        str(found),
        "--url",
        theia.root_url,
        "--members",
        "*_FRE_B4.tif,*_FRE_B8.tif",
        "-o",
        str(out),
    ]
    assert main(argv) == 3
    assert "scene-picker login theia" in capsys.readouterr().err
    assert not list(out.rglob("*.tif"))

    assert login(monkeypatch, PASSWORD) == 0
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    for product in (p for p in theia.products if p.identifier in ids):
        with zipfile.ZipFile(io.BytesIO(product.archive)) as zf:
            for band in ("B4", "B8"):
                name = f"{product.identifier}/{product.identifier}_FRE_{band}.tif"
                assert (out / product.identifier / name).read_bytes() == zf.read(name)


def test_a_refused_password_is_a_credentials_error(theia, tmp_path, capsys, monkeypatch):
    assert login(monkeypatch, "wrong-password") == 0  # stored as typed: checked when used
    product = theia.products[0]
    code = main(
        [
            "download",
            "--provider",
            "theia",
            "--url",
            theia.root_url,
            "--id",
            product.identifier,
            "--members",
            "*_MTD_ALL.xml",
            "-o",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 3, err
    assert "wrong-password" not in err
    assert login(monkeypatch, PASSWORD) == 0
