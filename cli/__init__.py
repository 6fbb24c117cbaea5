"""The ``scene-picker`` command line: pure Python, no QGIS."""
