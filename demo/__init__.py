"""The embedded demo (development material, not shipped in the plugin zip).

``generate`` writes a small static STAC catalog of synthetic Sentinel-2-like scenes, ``server`` serves it
over a range-capable loopback HTTP server, ``run_demo`` ties both to the plugin's engine and QGIS.
"""
