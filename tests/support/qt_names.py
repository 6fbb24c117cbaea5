"""The Qt and QGIS names the plugin's Qt code uses, found statically (AST) for the Qt6 readiness test.

:func:`collect` walks ``plugin.py``, ``__init__.py`` and ``ui/`` and returns every use of a name imported
from ``qgis.PyQt.*`` or ``qgis.core/gui/analysis`` as a dotted chain (``Qt.AlignmentFlag.AlignLeft``,
``QMessageBox.StandardButton.Yes``, ``QgsProject.instance``), plus chains through variables and ``self``
whose class is known (``self.combo = QgsMapLayerComboBox()`` → ``QgsMapLayerComboBox.setFilters``; ``self.x``
in a subclass of a Qt/QGIS class → the base class's ``x``), and the rule breaks no resolution can see
(``exec_``, ``qgis.PyQt.Qt``, direct PyQt5 imports, compiled resources).

Code a given QGIS version never runs is skipped: the branch not taken of ``if QGIS_VERSION >= N`` (also
``Qgis.versionInt()``, ``Qgis.QGIS_VERSION_INT``), and ``except ImportError`` fallbacks (Qt5 spellings tried
after the Qt6 one).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
QT_PREFIX = "qgis.PyQt."
QGIS_MODULES = ("qgis.core", "qgis.gui", "qgis.analysis")
SIGNAL_METHODS = ("connect", "disconnect", "emit")
VERSION_NAMES = ("QGIS_VERSION", "QGIS_VERSION_INT", "versionInt")


@dataclass(frozen=True)
class Use:
    """``chain`` looked up in ``module`` ("QtCore"… for Qt, "qgis.core"… for QGIS), at ``where``."""

    module: str
    chain: tuple[str, ...]
    where: str
    via_self: bool = False  # found through ``self`` in a subclass: may be the plugin's own attribute

    @property
    def is_qt(self) -> bool:
        return not self.module.startswith("qgis.")

    @property
    def dotted(self) -> str:
        return ".".join(self.chain)


def plugin_qt_sources() -> list[Path]:
    return [ROOT / "__init__.py", ROOT / "plugin.py", *sorted((ROOT / "ui").rglob("*.py"))]


def collect(version: int, paths: Optional[list[Path]] = None) -> tuple[list[Use], list[str]]:
    """Uses and rule breaks in ``paths`` (default :func:`plugin_qt_sources`) as QGIS ``version`` runs them."""
    uses: list[Use] = []
    problems: list[str] = []
    for path in paths or plugin_qt_sources():
        walker = _Walker(path.relative_to(ROOT).as_posix(), version)
        walker.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        uses.extend(walker.uses)
        problems.extend(walker.problems)
    return uses, problems


def version_test(test: ast.expr, version: int) -> Optional[bool]:
    """The value of ``<QGIS version> <op> <int>`` for ``version``; None for any other condition."""
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Constant)
    ):
        return None
    left = test.left.func if isinstance(test.left, ast.Call) else test.left
    name = left.attr if isinstance(left, ast.Attribute) else getattr(left, "id", None)
    bound = test.comparators[0].value
    if name not in VERSION_NAMES or not isinstance(bound, int):
        return None
    ops = {
        ast.GtE: version >= bound,
        ast.Gt: version > bound,
        ast.Lt: version < bound,
        ast.LtE: version <= bound,
    }
    return ops.get(type(test.ops[0]))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names)


class _Walker(ast.NodeVisitor):
    def __init__(self, path: str, version: int) -> None:
        self.path = path
        self.version = version
        self.uses: list[Use] = []
        self.problems: list[str] = []
        self.bound: dict[str, tuple[str, tuple[str, ...]]] = {}  # local name -> (module, chain)
        self.typed: dict[str, tuple[str, tuple[str, ...]]] = {}  # "x" / "self.x" -> class it holds
        self.classes: list[tuple[Optional[tuple[str, tuple[str, ...]]], set[str]]] = []

    def _where(self, node: ast.AST) -> str:
        return f"{self.path}:{getattr(node, 'lineno', 0)}"

    def _add(self, module: str, chain: tuple[str, ...], node: ast.AST, via_self: bool = False) -> None:
        while len(chain) > 1 and chain[-1] in SIGNAL_METHODS:  # methods of a bound signal, not the class
            chain = chain[:-1]
        self.uses.append(Use(module, chain, self._where(node), via_self))

    # -- code a QGIS version never runs
    def visit_If(self, node: ast.If) -> None:
        taken = version_test(node.test, self.version)
        if taken is None:
            self.generic_visit(node)
            return
        for statement in node.body if taken else node.orelse:
            self.visit(statement)

    def visit_Try(self, node: ast.Try) -> None:
        for statement in [*node.body, *node.orelse, *node.finalbody]:
            self.visit(statement)
        for handler in node.handlers:
            if not _catches_import_error(handler):
                self.visit(handler)

    # -- imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._check_module(module, node)
        for alias in node.names:
            local = alias.asname or alias.name
            if alias.name == "resources_rc":
                self.problems.append(
                    f"{self._where(node)}: compiled resources (resources_rc) are gone in Qt6"
                )
            if module == "qgis.PyQt":
                self.bound[local] = (alias.name, ())
            elif module.startswith(QT_PREFIX):
                self.bound[local] = (module[len(QT_PREFIX) :], (alias.name,))
                self._add(module[len(QT_PREFIX) :], (alias.name,), node)
            elif module in QGIS_MODULES:
                self.bound[local] = (module, (alias.name,))
                self._add(module, (alias.name,), node)

    def _check_module(self, module: str, node: ast.AST) -> None:
        if module == "qgis.PyQt.Qt":
            self.problems.append(
                f"{self._where(node)}: qgis.PyQt.Qt does not exist with Qt6: import from QtCore…"
            )
        elif module.split(".")[0] in ("PyQt5", "PyQt6", "sip"):
            self.problems.append(f"{self._where(node)}: import {module} through qgis.PyQt instead")

    # -- classes: self.x resolved on the Qt/QGIS base class
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        base = next(
            (self.bound[b.id] for b in node.bases if isinstance(b, ast.Name) and b.id in self.bound), None
        )
        own = {n.name for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for n in ast.walk(node):
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                own.add(n.attr)
            elif isinstance(n, ast.Assign):
                own.update(t.id for t in n.targets if isinstance(t, ast.Name))
        self.classes.append((base, own))
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name == "exec_":
            self.problems.append(f"{self._where(node)}: exec_ is gone in PyQt6: name it exec")
        outer = self.typed
        self.typed = {k: v for k, v in outer.items() if k.startswith("self.")}  # locals are per function
        self.generic_visit(node)
        self.typed = {**outer, **{k: v for k, v in self.typed.items() if k.startswith("self.")}}

    def visit_Assign(self, node: ast.Assign) -> None:
        # x = QgsSomething(...) / self.x = QSomething(...): remember the class for x.method chains
        value = node.value
        known = (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.bound
        )
        for target in node.targets:
            key = ast.unparse(target)
            if known and (isinstance(target, ast.Name) or key.startswith("self.")):
                self.typed[key] = self.bound[value.func.id]  # type: ignore[union-attr]
            else:
                self.typed.pop(key, None)  # rebound to something else
        self.generic_visit(node)

    # -- names and dotted chains
    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain: list[str] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            chain.insert(0, current.attr)
            current = current.value
        if "exec_" in chain:
            self.problems.append(f"{self._where(node)}: exec_() is gone in PyQt6: call exec()")
        if not isinstance(current, ast.Name):
            self.visit(current)
            return
        if isinstance(node.ctx, ast.Store):  # x.field = …: an instance's data member, not the class's
            return
        root = current.id
        if root in self.bound:
            module, prefix = self.bound[root]
            self._add(module, prefix + tuple(chain), node)
        elif f"{root}.{chain[0]}" in self.typed and len(chain) > 1:
            module, prefix = self.typed[f"{root}.{chain[0]}"]
            self._add(module, prefix + tuple(chain[1:]), node)
        elif root in self.typed:
            module, prefix = self.typed[root]
            self._add(module, prefix + tuple(chain), node)
        elif root == "self" and self.classes:
            base, own = self.classes[-1]
            if base is not None and chain[0] not in own:
                self._add(base[0], base[1] + (chain[0],), node, via_self=True)
