"""The Python packages the plugin needs beside QGIS (shapely, pyproj, keyring): which are missing, what
that turns off, and how to install them on this platform. Debian's and Ubuntu's ``qgis`` package does not
pull them in; OSGeo4W and the macOS installer may lack keyring.

Checked once at start-up (``plugin.initGui``): the plugin still loads, names what is missing in one
message bar entry, and turns off only what needs it (shapely: the dock and Processing; pyproj: areas in
another CRS than EPSG:4326; keyring: the system keyring as credential store).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from qgis.PyQt.QtCore import QCoreApplication

PACKAGES = ("shapely", "pyproj", "keyring")
MACOS_PYTHON = "/Applications/QGIS.app/Contents/MacOS/bin/python3"
DEBIAN_PACKAGES = {"shapely": "python3-shapely", "pyproj": "python3-pyproj", "keyring": "python3-keyring"}


def missing_packages() -> list[str]:
    """The packages of :data:`PACKAGES` that are absent (shapely, which the dock imports at once, is
    imported: a broken install counts as missing; the others are only looked up, to keep start-up fast)."""
    missing = []
    for name in PACKAGES:
        try:
            if name == "shapely":
                importlib.import_module("shapely.geometry")
            elif importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def this_platform() -> str:
    """ "debian" (Debian, Ubuntu and derivatives), "windows", "macos" or "linux"."""
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "debian" if os.path.exists("/etc/debian_version") else "linux"


def install_hint(missing: list[str], platform: str | None = None) -> str:
    """How to install ``missing`` on ``platform`` (default: this one), in one line."""
    platform = platform or this_platform()
    names = " ".join(missing)
    if platform == "debian":
        return QCoreApplication.translate("Dependencies", "in a terminal: sudo apt install {}").format(
            " ".join(DEBIAN_PACKAGES[name] for name in missing)
        )
    if platform == "windows":
        return QCoreApplication.translate(
            "Dependencies", "in the OSGeo4W Shell: python -m pip install {}"
        ).format(names)
    if platform == "macos":
        return QCoreApplication.translate("Dependencies", "in a terminal: {} -m pip install {}").format(
            MACOS_PYTHON, names
        )
    return QCoreApplication.translate(
        "Dependencies", "with the Python of QGIS: python3 -m pip install --user {}"
    ).format(names)


def missing_message(missing: list[str], platform: str | None = None) -> str:
    """One message: what is missing, how to install it, and what stays off until then."""
    effects = {
        "shapely": QCoreApplication.translate("Dependencies", "searching and downloading are off"),
        "pyproj": QCoreApplication.translate(
            "Dependencies", "areas of interest in another CRS than EPSG:4326 are refused"
        ),
        "keyring": QCoreApplication.translate(
            "Dependencies", "accounts can only be kept in the QGIS authentication database (Settings)"
        ),
    }
    parts = (
        QCoreApplication.translate("Dependencies", "Missing Python package(s): {}.").format(
            ", ".join(missing)
        ),
        QCoreApplication.translate("Dependencies", "Install them {}, then restart QGIS.").format(
            install_hint(missing, platform)
        ),
        QCoreApplication.translate("Dependencies", "Until then {}.").format(
            "; ".join(effects[name] for name in missing)
        ),
    )
    return " ".join(parts)
