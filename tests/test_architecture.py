"""core/, providers/ and cli/ never import QGIS or Qt: checked statically and by a real import; ui/ and
cli/ are siblings over the service layer; no product module grows past :data:`MAX_MODULE_LINES`."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PKG_PARENT, ROOT

PURE_PACKAGES = ("core", "providers", "catalogs", "cli")
FORBIDDEN_ROOTS = {
    "qgis",
    "PyQt4",
    "PyQt5",
    "PyQt6",
    "PySide",
    "PySide2",
    "PySide6",
    "sip",
    "shiboken2",
    "shiboken6",
}


def forbidden_imports(path: Path) -> list[str]:
    """Every import of a QGIS/Qt module in ``path``, wherever it stands (top level or in a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN_ROOTS]
    return found


def pure_modules() -> list[Path]:
    return sorted(p for pkg in PURE_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_checker_detects_a_qgis_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    from qgis.PyQt.QtCore import QObject\n    import PyQt5\n")
    assert len(forbidden_imports(bad)) == 2


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_qgis_or_qt(path):
    assert forbidden_imports(path) == []


BLOCKER = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    FORBIDDEN = {forbidden!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in FORBIDDEN:
                raise ImportError(f"blocked import of {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())
    import scene_picker
    for pkg_name in {packages!r}:
        pkg = importlib.import_module("scene_picker." + pkg_name)
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
    assert not leaked, leaked
    print("ok")
    """
)


def test_pure_packages_import_with_qgis_and_qt_blocked():
    code = BLOCKER.format(forbidden=sorted(FORBIDDEN_ROOTS), packages=list(PURE_PACKAGES))
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=str(PKG_PARENT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


# -- the faces meet the catalogs through the service layer --------------------------------------------
#: Face modules still building providers on their own, to convert once their rewrites land (#13).
PENDING_SERVICE_LAYER: set[str] = set()


def imported_modules(path: Path, package: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """``(line, module)`` of every relative import in ``path``, resolved against the package root
    (``from ..providers.registry import x`` in ``ui/a.py`` → ``providers.registry``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = package or path.parent.relative_to(ROOT).parts
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            parts = [*base, *(node.module.split(".") if node.module else [])]
            names = ([".".join(parts)] if node.module else []) + [
                ".".join([*parts, a.name]) for a in node.names
            ]
            found += [(node.lineno, name) for name in names]
    return found


def face_modules() -> list[Path]:
    return sorted(p for face in ("ui", "cli") for p in (ROOT / face).rglob("*.py"))


@pytest.mark.parametrize("path", face_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_faces_are_siblings_over_the_service_layer(path):
    """ui/ never imports cli/ (nor cli/ ui/); both build providers through ``catalogs``, not the registry."""
    face = path.relative_to(ROOT).parts[0]
    other = {"ui": "cli", "cli": "ui"}[face]
    bad = [f"{line} {name}" for line, name in imported_modules(path) if name.split(".")[0] == other]
    if str(path.relative_to(ROOT)) not in PENDING_SERVICE_LAYER:
        bad += [f"{line} {name}" for line, name in imported_modules(path) if name == "providers.registry"]
    assert bad == []


def test_the_import_resolver_sees_a_face_crossing(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from ..cli.download import build_provider\nfrom ..providers import registry\n")
    names = {n for _, n in imported_modules(module, ("ui",))}
    assert {"cli.download", "providers.registry"} <= names


#: Small modules: a product module longer than this is split by what it owns.
MAX_MODULE_LINES = 500


def product_modules() -> list[Path]:
    entry = [ROOT / "plugin.py", ROOT / "__init__.py"]
    return entry + sorted(p for pkg in (*PURE_PACKAGES, "ui") for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_product_module_stays_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)}: {lines} lines; split it by what it owns"
