"""Test-session set-up shared by every test.

- Makes the repository root importable as the package ``scene_picker`` (a symlink under
  ``build/pkgroot``), as QGIS would see the installed plugin folder.
- Gives QGIS, keyring and XDG a private temporary home, offscreen Qt and Debian's PROJ data, before
  pytest-qgis starts its ``QgsApplication``.
- Selects an in-memory keyring backend (``tests/support/memory_keyring.py``) so no test touches a real
  keyring and none silently uses the null backend.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
PKG_PARENT = ROOT / "build" / "pkgroot"

_link = PKG_PARENT / "scene_picker"
if not _link.is_symlink():
    PKG_PARENT.mkdir(parents=True, exist_ok=True)
    _link.symlink_to(ROOT, target_is_directory=True)
for _p in (str(PKG_PARENT), str(TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

_home = Path(tempfile.mkdtemp(prefix="scene-picker-test-home-"))
_runtime = _home / "runtime"
_runtime.mkdir(mode=0o700)
for _var, _sub in (
    ("XDG_CACHE_HOME", "cache"),
    ("XDG_DATA_HOME", "data"),
    ("XDG_CONFIG_HOME", "config"),
):
    (_home / _sub).mkdir()
    os.environ[_var] = str(_home / _sub)
os.environ["XDG_RUNTIME_DIR"] = str(_runtime)
os.environ["HOME"] = str(_home)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PROJ_DATA", "/usr/share/proj")
os.environ["PYTHON_KEYRING_BACKEND"] = "support.memory_keyring.MemoryKeyring"
# Loopback servers must never be reached through a proxy from the environment.
# Loopback nginx, fault proxies and their session fixtures, shared by every test module.
pytest_plugins = ["support.fixtures_engine", "support.processing_fixtures", "support.pds_labels"]

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
