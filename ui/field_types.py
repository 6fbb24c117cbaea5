"""Attribute field types for QgsField that work on every supported QGIS.

QGIS 3.38 moved QgsField to ``QMetaType.Type`` (the only kind a Qt6 build has: PyQt6 has no
``QVariant.Type``); QGIS 3.22-3.36 takes ``QVariant.Type`` only. The plugin names field types here and
nowhere else.
"""

from __future__ import annotations

from typing import Any, Iterable

from qgis.core import QgsField, QgsFields
from qgis.PyQt.QtCore import QMetaType

from .compat import QGIS_VERSION

if QGIS_VERSION >= 33800:
    STRING = QMetaType.Type.QString
    DOUBLE = QMetaType.Type.Double
    BOOL = QMetaType.Type.Bool
    DATETIME = QMetaType.Type.QDateTime
    LONGLONG = QMetaType.Type.LongLong
else:
    from qgis.PyQt.QtCore import QVariant

    STRING = QVariant.Type.String
    DOUBLE = QVariant.Type.Double
    BOOL = QVariant.Type.Bool
    DATETIME = QVariant.Type.DateTime
    LONGLONG = QVariant.Type.LongLong


def qgs_fields(table: Iterable[tuple[str, Any]]) -> QgsFields:
    """The :class:`QgsFields` of a table of ``(name, type)`` pairs (types from this module)."""
    fields = QgsFields()
    for name, kind in table:
        fields.append(QgsField(name, kind))
    return fields
