"""Catalog providers behind one common interface; pure Python, no QGIS or Qt (a test enforces it)."""
