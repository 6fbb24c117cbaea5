"""What the Scene Picker Processing algorithms share: their base class (group, icon, translation,
cancellation token from the feedback, provider instances) and the provider choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import QgsProcessingAlgorithm, QgsProcessingFeedback
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..catalogs import list_providers
from ..core.cancel import CancelToken
from ..providers.base import Provider

ICON = Path(__file__).resolve().parents[1] / "icons" / "scene_picker.png"


def provider_names() -> list[str]:
    """Registered provider names, sorted (the choices of the "Provider" parameter)."""
    return [info.name for info in list_providers()]


def provider_options(url: str | None) -> dict[str, Any]:
    """Options for :func:`~scene_picker.catalogs.build_provider` from the algorithm's parameters (no
    secrets)."""
    url = (url or "").strip()
    return {"url": url} if url else {}


class ScenePickerAlgorithm(QgsProcessingAlgorithm):
    """Base of the Scene Picker algorithms."""

    def __init__(self) -> None:
        super().__init__()
        self._providers: dict[tuple[str, tuple[tuple[str, Any], ...]], Provider] = {}

    def tr(self, text: str) -> str:
        # The class name is the context pylupdate5 gives ``self.tr("…")`` calls in that class.
        return QCoreApplication.translate(type(self).__name__, text)

    def createInstance(self) -> ScenePickerAlgorithm:
        return type(self)()

    def group(self) -> str:
        return ""

    def groupId(self) -> str:
        return ""

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    @staticmethod
    def cancel_token(feedback: QgsProcessingFeedback | None) -> CancelToken:
        """A token cancelled when the user cancels the algorithm (polls ``feedback.isCanceled``)."""
        if feedback is None:
            return CancelToken()
        return CancelToken.from_callable(feedback.isCanceled)

    def provider_instance(self, name: str, options: dict[str, Any]) -> Provider:
        """One provider instance per name and options for the whole run: configured like the dock's
        (settings' endpoint and options, QGIS proxy, rate limits) when no option is given, else built
        with the settings' options overridden by ``options`` (e.g. the algorithm's catalog URL)."""
        key = (name, tuple(sorted(options.items())))
        if key not in self._providers:
            from .providers_info import make_provider
            from .providers_info import provider_options as configured_options

            if options:
                from ..catalogs import build_provider
                from .network import network_config

                self._providers[key] = build_provider(
                    name, {**configured_options(name), **options}, network_config()
                )
            else:
                self._providers[key] = make_provider(name)
        return self._providers[key]

    def processAlgorithm(self, parameters, context, feedback) -> dict[str, Any]:  # noqa: N802 - QGIS API
        """Runs :meth:`process`, then closes the providers' HTTP sessions, whatever happened."""
        try:
            return self.process(parameters, context, feedback)
        finally:
            self.close_providers()

    def process(self, parameters, context, feedback) -> dict[str, Any]:
        """The algorithm's work (what ``processAlgorithm`` is in QGIS's API)."""
        raise NotImplementedError

    def close_providers(self) -> None:
        """Close the HTTP sessions of the providers this run used (call when the run ends)."""
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            provider.close()
