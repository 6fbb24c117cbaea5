"""A read-only keyring backend that serves accounts from environment variables (cluster workers, CI).

Select it with ``PYTHON_KEYRING_BACKEND=scene_picker.core.env_keyring.EnvironmentKeyring``; then the
account of provider ``NAME`` is ``SCENE_PICKER_<NAME>_USERNAME`` (may be empty or unset for key-only
providers) and ``SCENE_PICKER_<NAME>_SECRET`` (password, API key or token), ``<NAME>`` upper-cased with
every other character than A-Z and 0-9 turned into ``_`` (``cdse-2`` → ``SCENE_PICKER_CDSE_2_SECRET``).
Nothing is ever written: ``scene-picker login`` refuses with the keyring's error.
"""

from __future__ import annotations

import os
import re
from typing import Optional

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError

from .credentials import _USERNAME_ENTRY, SERVICE_PREFIX


def variable(provider: str, what: str) -> str:
    """``variable("cdse-2", "SECRET")`` → ``"SCENE_PICKER_CDSE_2_SECRET"``."""
    return f"SCENE_PICKER_{re.sub('[^A-Z0-9]', '_', provider.upper())}_{what}"


class EnvironmentKeyring(KeyringBackend):
    """Accounts from ``SCENE_PICKER_<PROVIDER>_USERNAME`` / ``_SECRET`` (see the module docstring)."""

    priority = 1

    def get_password(self, service: str, username: str) -> Optional[str]:
        prefix = SERVICE_PREFIX + ":"
        if not service.startswith(prefix):
            return None
        provider = service[len(prefix) :]
        secret = os.environ.get(variable(provider, "SECRET"))
        if secret is None:
            return None
        user = os.environ.get(variable(provider, "USERNAME"), "")
        if username == _USERNAME_ENTRY:
            return user
        return secret if username == (user or _USERNAME_ENTRY + "key") else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("credentials come from SCENE_PICKER_* environment variables here")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("credentials come from SCENE_PICKER_* environment variables here")
