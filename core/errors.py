"""The exception hierarchy shared by core, providers, the CLI and the UI.

Every error the user can meet is a :class:`ScenePickerError` subclass whose message says what happened
and what to do. Messages never contain secrets (tokens, passwords, keys): code that builds one from a
server answer must pass it through :func:`scene_picker.core.redact.redact` first.
"""

from __future__ import annotations


class ScenePickerError(Exception):
    """Base of every error Scene Picker raises on purpose."""

    #: Exit code of the ``scene-picker`` command when this error ends it.
    exit_code: int = 1
