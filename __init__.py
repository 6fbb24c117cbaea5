"""Scene Picker: QGIS entry point (``classFactory``) and the importable ``scene_picker`` package.

Importing this package never imports QGIS or Qt, so ``scene_picker.core``, ``scene_picker.providers``
and ``scene_picker.cli`` work headless; only :func:`classFactory` pulls in the Qt side.
"""

from .__version__ import __version__

__all__ = ["__version__", "classFactory"]


def classFactory(iface):  # noqa: N802 - name fixed by QGIS
    """Called by QGIS to create the plugin instance."""
    from .plugin import ScenePickerPlugin

    return ScenePickerPlugin(iface)
