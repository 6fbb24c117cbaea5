"""Qt6 / QGIS 4 readiness of the plugin's Qt code (plugin.py, __init__.py, ui/), checked without a Qt6 QGIS.

No Qt6 build of QGIS is packaged, so this stands in for running on one:
- every Qt name the code uses (classes, methods, fully scoped enums such as ``Qt.AlignmentFlag.AlignLeft``,
  methods of Qt base classes called through ``self``) must resolve in a pip-installed PyQt6, looked up in a
  subprocess (PyQt6 is never loaded beside QGIS's PyQt5); this catches unscoped enums, classes that moved
  module (QAction: QtWidgets → QtGui), removed classes (QRegExp, QDesktopWidget, ``qApp``) and ``QVariant``
  field types outside the pre-3.38 branch of ui/field_types.py;
- rule breaks resolution cannot see: ``exec_``, ``qgis.PyQt.Qt``, PyQt5 imported directly, ``resources_rc``;
- the QGIS names used must not be deprecated in the running QGIS: methods whose every overload carries
  ``.. deprecated::`` in the bindings' docstrings (QGIS 3.40 marks the QGIS 4 removals this way) and enums
  that are aliases of an enum moved elsewhere (``QgsMapLayerProxyModel.Filter`` → ``Qgis.LayerFilter``).
Code the version in question never runs is skipped (see :mod:`support.qt_names`).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap

from qgis.core import Qgis

from support.qt_names import Use, collect

QGIS4 = 40000  # the version the Qt6 check assumes: branches for older QGIS are skipped

# Run in a subprocess: [[module, [chain...], where], ...] on stdin -> unresolved ones with a hint on stdout.
RESOLVER = textwrap.dedent(
    """
    import enum, importlib, json, sys

    MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg", "QtXml", "QtSql", "QtPrintSupport")

    def hint(owner, name, depth, chain):
        if depth == 0:
            for m in MODULES:
                if hasattr(importlib.import_module("PyQt6." + m), name):
                    return f"moved to {m} in Qt6"
            return "removed from Qt6"
        for attr in dir(owner):
            kind = getattr(owner, attr, None)
            if isinstance(kind, type) and issubclass(kind, enum.Enum) and name in kind.__members__:
                return "scope the enum: " + ".".join([*chain[:depth], attr, name])
        return "removed from Qt6"

    failures = []
    for module, chain, where in json.load(sys.stdin):
        try:
            obj = importlib.import_module("PyQt6." + module)
        except ImportError:
            failures.append([where, ".".join(chain), f"no module PyQt6.{module}"])
            continue
        for depth, name in enumerate(chain):
            if not hasattr(obj, name):
                failures.append([where, ".".join(chain), hint(obj, name, depth, chain)])
                break
            obj = getattr(obj, name)
    json.dump(failures, sys.stdout)
    """
)


def resolve_in_pyqt6(uses: list[Use]) -> list[str]:
    # found, never imported beside QGIS's PyQt5 (the resolver imports it in a subprocess)
    assert importlib.util.find_spec("PyQt6"), "dev/requirements-test.txt installs PyQt6 for this check"
    payload = sorted({(u.module, u.chain, u.where) for u in uses if u.is_qt})
    result = subprocess.run(
        [sys.executable, "-c", RESOLVER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [f"{where}: {name}: {why}" for where, name, why in json.loads(result.stdout)]


def test_every_qt_name_resolves_in_pyqt6():
    uses, problems = collect(QGIS4)
    assert {u.module for u in uses if u.is_qt} >= {"QtCore", "QtWidgets"}  # the walk found the Qt code
    assert not problems + resolve_in_pyqt6(uses), "\n".join(problems + resolve_in_pyqt6(uses))


def test_the_checker_catches_what_qt6_breaks(tmp_path):
    """The checks above report the Qt5-only spellings QGIS's own migration script looks for."""
    from support import qt_names

    source = tmp_path / "old_style.py"
    source.write_text(
        textwrap.dedent(
            """
            from qgis.core import Qgis
            from qgis.PyQt.QtCore import Qt, QRegExp, QVariant
            from qgis.PyQt.QtWidgets import QAction, QDialog, QMessageBox

            class Old(QDialog):
                def run(self):
                    self.exec_()
                    self.setAlignment(Qt.AlignLeft)
                    QMessageBox.Yes
                    return QVariant.String if Qgis.versionInt() >= 33800 else QVariant.String
            """
        )
    )
    qt_names.ROOT = tmp_path  # relative paths in the report
    try:
        uses, problems = collect(QGIS4, [source])
    finally:
        qt_names.ROOT = type(source)(__file__).resolve().parents[1]
    found = "\n".join(problems + resolve_in_pyqt6(uses))
    assert "exec_() is gone" in found
    assert "QRegExp: removed" in found
    assert "QAction: moved to QtGui in Qt6" in found
    assert "Qt.AlignLeft: scope the enum: Qt.AlignmentFlag.AlignLeft" in found
    assert "QMessageBox.Yes: scope the enum: QMessageBox.StandardButton.Yes" in found
    assert found.count("QVariant.String") == 1  # only the branch QGIS 4 runs
    assert "QDialog.setAlignment" in found  # a method through self that Qt6's QDialog lacks


def _all_overloads_deprecated(name: str, doc: str) -> bool:
    parts = [p for p in re.split(rf"(?m)^(?={re.escape(name)}\()", doc) if p.strip()]
    return bool(parts) and all(".. deprecated::" in p for p in parts)


def deprecated_qgis_uses(uses: list[Use]) -> list[str]:
    import importlib

    found = set()
    for use in (u for u in uses if not u.is_qt):
        obj = importlib.import_module(use.module)
        for depth, name in enumerate(use.chain):
            obj = getattr(obj, name, None)
            if obj is None:
                # only a name reached through self may legitimately be the plugin's own
                assert use.via_self, f"{use.where}: {use.dotted} is not in {use.module}"
                break
            qualname = getattr(obj, "__qualname__", "") if isinstance(obj, type) else ""
            here = ".".join(use.chain[max(0, depth - 1) : depth + 1])
            if qualname.startswith("Qg") and "." in qualname and qualname != here:
                found.add(f"{use.where}: {use.dotted}: {here} is an alias of {qualname} (moved; use that)")
        else:
            doc = getattr(obj, "__doc__", None) or ""
            if callable(obj) and not isinstance(obj, type) and _all_overloads_deprecated(use.chain[-1], doc):
                found.add(f"{use.where}: {use.dotted} is deprecated in QGIS {Qgis.version()}")
    return sorted(found)


def test_no_deprecated_qgis_name_in_the_running_qgis():
    uses, problems = collect(Qgis.versionInt())
    assert any(not u.is_qt for u in uses)
    assert not problems, problems
    found = deprecated_qgis_uses(uses)
    assert not found, "\n".join(found)
