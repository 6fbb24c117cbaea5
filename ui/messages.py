"""User messages: short ones on the QGIS message bar, details in the message log (tag "Scene Picker").

Every text passes through :func:`scene_picker.core.redact.redact` first, so no secret reaches the screen
or the log; network errors never open a modal box.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsMessageLog

from ..core.redact import redact

LOG_TAG = "Scene Picker"


def log(message: str, level: Qgis.MessageLevel = Qgis.MessageLevel.Info) -> None:
    """Write a (redacted) line to the "Scene Picker" tab of the message log."""
    QgsMessageLog.logMessage(redact(message), LOG_TAG, level)


def notify(
    iface,
    title: str,
    text: str,
    level: Qgis.MessageLevel = Qgis.MessageLevel.Info,
    details: str | None = None,
    duration: int = 6,
) -> None:
    """A short message on the message bar (when there is one) and the details in the log."""
    text = redact(text)
    log(f"{title}: {text}" + (f"\n{details}" if details else ""), level)
    bar = iface.messageBar() if iface is not None else None
    if bar is not None:
        bar.pushMessage(title, text, level, duration)
