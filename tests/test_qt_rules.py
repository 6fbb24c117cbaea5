"""The QGIS-side code (plugin.py, ui/) keeps the Qt5/Qt6 rules: fully scoped enums
(``Qt.AlignmentFlag.AlignLeft``, never ``Qt.AlignLeft``), ``exec()`` not ``exec_()``,
Qt only through ``qgis.PyQt``, no modal message box.

Enum accesses are resolved against the real QGIS and Qt modules, so a scoped name that does not exist on
this QGIS (3.22) fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from qgis.core import Qgis

from support.qt_names import version_test

pytestmark = pytest.mark.qgis

ROOT = Path(__file__).resolve().parents[1]
QGIS_FILES = sorted([ROOT / "plugin.py", *(ROOT / "ui").glob("*.py")])


def _modules() -> list:
    import qgis.core
    import qgis.gui
    from qgis.PyQt import QtCore, QtGui, QtNetwork, QtWidgets

    return [qgis.core, qgis.gui, QtCore, QtGui, QtWidgets, QtNetwork]


def _chain(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def enum_problems(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: what`` for each unscoped enum value or missing scoped name in ``source``."""
    modules = _modules()
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    not_run = set()  # the branch this QGIS does not take of `if QGIS_VERSION >= N` (ui/compat.py)
    for node in ast.walk(tree):
        taken = version_test(node.test, Qgis.versionInt()) if isinstance(node, ast.If) else None
        if taken is not None:
            skipped = node.orelse if taken else node.body
            not_run.update(n for statement in skipped for n in ast.walk(statement))
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or isinstance(parents.get(node), ast.Attribute):
            continue
        if node in not_run:
            continue
        chain = _chain(node)
        if not chain or len(chain) < 2:
            continue
        root = next((getattr(m, chain[0]) for m in modules if hasattr(m, chain[0])), None)
        if not isinstance(root, type):
            continue
        obj = root
        for part in chain[1:]:
            if not hasattr(obj, part):
                if part[:1].isupper():
                    problems.append(f"{filename}:{node.lineno}: no such name {'.'.join(chain)}")
                break
            obj = getattr(obj, part)
        else:
            if len(chain) == 2 and isinstance(obj, int) and not isinstance(obj, (bool, type)):
                problems.append(f"{filename}:{node.lineno}: unscoped enum {'.'.join(chain)}")
    return problems


def test_the_checker_finds_unscoped_and_missing_enums():
    source = (
        "from qgis.PyQt.QtCore import Qt\nfrom qgis.core import Qgis, QgsTask\n"
        "a = Qt.AlignLeft\nb = Qgis.Info\nc = QgsTask.CanCancel\nd = Qt.AlignmentFlag.AlignLeftt\n"
        "e = Qt.AlignmentFlag.AlignLeft | Qt.ItemDataRole.UserRole\nf = Qgis.MessageLevel.Info\n"
    )
    problems = enum_problems(source)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "unscoped enum Qt.AlignLeft",
        "unscoped enum Qgis.Info",
        "unscoped enum QgsTask.CanCancel",
        "no such name Qt.AlignmentFlag.AlignLeftt",
    ]


@pytest.mark.parametrize("path", QGIS_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_qgis_code_uses_scoped_enums_and_qt6_safe_calls(path):
    source = path.read_text(encoding="utf-8")
    name = str(path.relative_to(ROOT))
    assert enum_problems(source, name) == []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr != "exec_", f"{name}:{node.lineno}: exec_() (use exec())"
            assert not (
                isinstance(node.value, ast.Name) and node.value.id == "QMessageBox"
            ), f"{name}:{node.lineno}: a modal QMessageBox (use the message bar)"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for module in names:
                assert module.split(".")[0] not in (
                    "PyQt5",
                    "PyQt6",
                    "PySide2",
                    "PySide6",
                ), f"{name}:{node.lineno}: imports {module} (use qgis.PyQt)"


def test_field_types_come_from_one_module():
    """QgsField types differ between QGIS 3.22 (QVariant.Type) and 3.38+/Qt6 (QMetaType.Type): only
    ui/field_types.py names them, and its types build valid fields on this QGIS."""
    from qgis.core import QgsField

    from scene_picker.ui import field_types

    for path in QGIS_FILES:
        if path.name == "field_types.py":
            continue
        assert "QVariant.Type" not in path.read_text(encoding="utf-8"), path.name
    from qgis.PyQt.QtCore import QMetaType

    for kind, expected in (
        (field_types.STRING, "QString"),
        (field_types.DOUBLE, "double"),
        (field_types.BOOL, "bool"),
        (field_types.DATETIME, "QDateTime"),
        (field_types.LONGLONG, "qlonglong"),
    ):
        assert QMetaType.typeName(int(QgsField("f", kind).type())) == expected
