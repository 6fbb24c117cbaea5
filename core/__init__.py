"""Pure-Python core of Scene Picker: domain, download engine, remote zips, auth, queue.

Nothing under ``core/`` may import QGIS or any Qt binding (a test enforces it).
"""
