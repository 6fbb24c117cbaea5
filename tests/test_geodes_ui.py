"""GEODES in the plugin's settings dialog: listed, an API-key account (no user name), and its "Test login"
checks the key against the GEODES emulator in the background, without the key reaching any text."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication

from scene_picker.core.credentials import delete_credentials, load_credentials
from scene_picker.ui.providers_info import available_providers
from scene_picker.ui.settings_dialog import SettingsDialog

from support.geodes_emulator import GeodesEmulator, default_catalogue
from support.ui_wait import check_test_login, clear_plugin_settings, private_qgis_settings

pytestmark = pytest.mark.qgis

GOOD, BAD = "geodes-ui-key-5a1c", "geodes-ui-wrong-9d2e"


@pytest.fixture(autouse=True)
def no_leftover_settings(tmp_path):
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        yield
        clear_plugin_settings()
    delete_credentials("geodes")


def test_geodes_is_listed_with_an_api_key_and_its_login_test_checks_the_key(qgis_new_project):
    lines: list[str] = []

    def collect(message, tag, _level):
        lines.append(f"{tag}: {message}")

    QgsApplication.messageLog().messageReceived.connect(collect)
    infos = {i.name: i for i in available_providers()}
    assert "geodes" in infos and "theia" not in infos
    assert infos["geodes"].credentials.kind == "api_key"
    with GeodesEmulator(
        default_catalogue({"THEIA_REFLECTANCE_SENTINEL2_L2A": 2}), api_keys=(GOOD,)
    ) as emulator:
        dialog = SettingsDialog(available_providers())
        dialog.show()
        dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("geodes"))
        assert not dialog.username_edit.isEnabled() and dialog.signup_label.text()
        dialog.endpoint_edit.setText(emulator.root_url)
        dialog.save_settings()

        check_test_login(dialog, BAD, GOOD)
        assert load_credentials("geodes").secret == GOOD
        keys = {key for _server, _method, _path, key in emulator.key_log}
        dialog.reject()
    QgsApplication.messageLog().messageReceived.disconnect(collect)
    assert keys == {BAD, GOOD}
    assert not any(GOOD in line or BAD in line for line in lines)
