"""The Scene Picker Processing provider registered in the headless QGIS for a test module."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def provider(qgis_processing):
    """Scene Picker's Processing provider, added to the registry unless the plugin already did."""
    from qgis.core import QgsApplication

    from scene_picker.ui.processing_provider import PROVIDER_ID, ScenePickerProcessingProvider

    registry = QgsApplication.processingRegistry()
    added = None
    if registry.providerById(PROVIDER_ID) is None:
        added = ScenePickerProcessingProvider()
        assert registry.addProvider(added)
    yield registry.providerById(PROVIDER_ID)
    if added is not None:
        registry.removeProvider(added)
