"""Test 5 of the dock issue: credentials typed in the settings dialog land in the keyring (the in-memory
test backend) and never in QgsSettings, the project file or the message log."""

from __future__ import annotations

import zipfile

import keyring
import pytest
from qgis.core import QgsApplication, QgsProject, QgsSettings, QgsVectorLayer
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest

from scene_picker.core.credentials import load_credentials, service_name
from scene_picker.ui import settings
from scene_picker.ui.providers_info import ProviderInfo
from scene_picker.ui.settings_dialog import SettingsDialog

from support.ui_wait import clear_plugin_settings, private_qgis_settings

pytestmark = pytest.mark.qgis

SECRET = "s3cr3t-Pa55word-for-test-5"
PROVIDERS = [
    ProviderInfo("stac", "STAC API"),
    ProviderInfo("cdse", "Copernicus Data Space", ("sentinel-2",), "username/password"),
    ProviderInfo("planet", "Planet", ("planetscope",), "api key"),
]


@pytest.fixture(autouse=True)
def no_leftover_settings(tmp_path):
    with private_qgis_settings(tmp_path / "qgis-settings"):
        clear_plugin_settings()
        yield
        clear_plugin_settings()


@pytest.fixture()
def log_lines():
    lines: list[str] = []

    def collect(message, tag, _level):
        lines.append(f"{tag}: {message}")

    QgsApplication.messageLog().messageReceived.connect(collect)
    yield lines
    QgsApplication.messageLog().messageReceived.disconnect(collect)


def test_credentials_go_to_keyring_only(tmp_path, qgis_new_project, log_lines):
    dialog = SettingsDialog(PROVIDERS)
    dialog.show()
    dialog.provider_combo.setCurrentIndex(1)
    assert dialog.status_label.text() == "credentials missing"
    QTest.keyClicks(dialog.username_edit, "alice@example.org")
    QTest.keyClicks(dialog.secret_edit, SECRET)
    assert dialog.secret_edit.text() == SECRET
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    creds = load_credentials("cdse")
    assert creds is not None and creds.username == "alice@example.org" and creds.secret == SECRET
    assert keyring.get_password(service_name("cdse"), "alice@example.org") == SECRET
    assert dialog.status_label.text() == "credentials stored"
    assert dialog.secret_edit.text() == ""  # not left lying in the widget
    assert SECRET not in repr(creds)

    # the non-secret settings of the dialog are saved to QgsSettings...
    out = tmp_path / "downloads"
    dialog.output_widget.setFilePath(str(out))
    dialog.workers_spin.setValue(5)
    dialog.endpoint_edit.setText("http://127.0.0.1:9/stac")
    dialog.accept()
    assert settings.named_setting(settings.WORKERS) == 5
    assert settings.output_dir() == str(out)

    # ...and the secret is nowhere in the settings file
    qsettings = QgsSettings()
    qsettings.sync()
    ini = QgsSettings().fileName()
    text = open(ini, encoding="utf-8", errors="replace").read()
    assert "scene_picker" in text and "workers=5" in text  # we did read the right file
    assert SECRET not in text
    for key in qsettings.allKeys():
        assert SECRET not in str(qsettings.value(key))

    # a saved project holds no trace of it either
    project = QgsProject.instance()
    project.addMapLayer(QgsVectorLayer("Point?crs=EPSG:4326", "pts", "memory"))
    qgz = tmp_path / "project.qgz"
    assert project.write(str(qgz))
    with zipfile.ZipFile(qgz) as archive:
        for member in archive.namelist():
            assert SECRET.encode() not in archive.read(member)
    assert not any(SECRET in line for line in log_lines)

    # forgetting removes it from the keyring
    dialog.provider_combo.setCurrentIndex(1)
    QTest.mouseClick(dialog.forget_button, Qt.MouseButton.LeftButton)
    assert load_credentials("cdse") is None
    assert dialog.status_label.text() == "credentials missing"


def test_url_with_user_info_is_refused_as_endpoint(qgis_new_project):
    dialog = SettingsDialog(PROVIDERS)
    dialog.provider_combo.setCurrentIndex(0)
    dialog.endpoint_edit.setText("http://bob:hunter22@127.0.0.1:9/stac")
    dialog.save_settings()
    stored = settings.read_setting("providers/stac/url", "", str)
    assert "hunter22" not in stored
    assert "hunter22" not in dialog.endpoint_edit.text()
    dialog.reject()
