"""``make package`` builds an installable plugin zip; ``pip install .`` gives a working command."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, TESTS

DEV_ONLY = (
    "tests/",
    "bench/",
    "dev/",
    "demo/",
    ".ci/",
    ".git",
    "__pycache__",
    ".pyc",
    "Makefile",
    "pyproject.toml",
)

LOAD_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    # pytest-qgis's interface class must be defined before the QgsApplication exists (as under pytest).
    from pytest_qgis.mock_qgis_classes import MockMessageBar
    from support.qgis_shell import MainWindowIface
    from qgis.core import QgsApplication
    from qgis.gui import QgsMapCanvas
    app = QgsApplication([], True)
    app.initQgis()
    import qgis.utils

    canvas = QgsMapCanvas()
    iface = MainWindowIface(canvas, MockMessageBar())
    qgis.utils.iface = iface
    qgis.utils.plugin_paths = [{plugins!r}]
    sys.path.insert(0, {plugins!r})  # QGIS puts its plugin folders on sys.path at start-up
    qgis.utils.updateAvailablePlugins()
    assert "scene_picker" in qgis.utils.available_plugins, qgis.utils.available_plugins
    assert qgis.utils.loadPlugin("scene_picker")
    assert qgis.utils.startPlugin("scene_picker")
    import scene_picker
    assert scene_picker.__file__.startswith({plugins!r}), scene_picker.__file__
    assert qgis.utils.unloadPlugin("scene_picker")
    print("loaded", scene_picker.__version__)
    """
)


@pytest.fixture(scope="module")
def plugin_zip() -> Path:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "package"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (zip_line,) = [line for line in result.stdout.splitlines() if line.startswith("dist/scene_picker-")]
    zip_path = ROOT / zip_line.strip()
    assert zip_path.is_file(), result.stdout
    return zip_path


def test_package_holds_one_top_folder_and_no_dev_files(plugin_zip):
    with zipfile.ZipFile(plugin_zip) as archive:
        names = archive.namelist()
    assert {n.split("/")[0] for n in names} == {"scene_picker"}
    assert "scene_picker/metadata.txt" in names
    assert "scene_picker/__init__.py" in names
    assert "scene_picker/i18n/scene_picker_fr.qm" in names
    offenders = [n for n in names if any(marker in n for marker in DEV_ONLY)]
    assert offenders == []


def test_packaged_plugin_loads_in_qgis(plugin_zip, tmp_path):
    plugins_dir = tmp_path / "plugins"
    with zipfile.ZipFile(plugin_zip) as archive:
        archive.extractall(plugins_dir)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = LOAD_SCRIPT.format(tests=str(TESTS), plugins=str(plugins_dir))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded" in result.stdout


@pytest.mark.slow
def test_pip_install_into_fresh_venv_gives_working_command(tmp_path):
    """A venv without QGIS (no system site-packages): ``pip install .`` then ``scene-picker --version``."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip"]
    src = tmp_path / "src"
    subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], check=True, capture_output=True
    )  # the repo is a git checkout
    # Copy the working tree (tracked and untracked-but-not-ignored files) so uncommitted work is tested too.
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for rel in filter(None, (f.decode() for f in files)):
        if not (ROOT / rel).is_file():
            continue
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / rel).read_bytes())
    result = subprocess.run([*pip, "install", "-q", str(src)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    command = env_dir / "bin" / "scene-picker"
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    from scene_picker import __version__

    assert version.stdout.strip() == f"scene-picker {__version__}"
    helped = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "usage: scene-picker" in helped.stdout
    as_module = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "scene_picker", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert as_module.stdout.strip() == f"scene-picker {__version__}"
    no_qgis = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import qgis"], capture_output=True, timeout=60
    )
    assert no_qgis.returncode != 0, "the fresh venv must not see QGIS"
