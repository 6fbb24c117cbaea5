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
from scene_picker.core.errors import UsageError
from scene_picker.providers.spec import CredentialSpec
from scene_picker.ui import settings
from scene_picker.ui.providers_info import ProviderInfo
from scene_picker.ui.settings_dialog import SettingsDialog

from support.ui_wait import clear_plugin_settings, private_qgis_settings

pytestmark = pytest.mark.qgis

SECRET = "s3cr3t-Pa55word-for-test-5"
PROVIDERS = [
    ProviderInfo("stac", "STAC API"),
    ProviderInfo(
        "cdse",
        "Copernicus Data Space",
        ("sentinel-2",),
        credentials=CredentialSpec("password", "username/password"),
    ),
    ProviderInfo("planet", "Planet", ("planetscope",), credentials=CredentialSpec("api_key", "api key")),
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


def test_query_form_badges_follow_the_keyring(qgis_new_project):
    from scene_picker.core.credentials import delete_credentials, store_credentials
    from scene_picker.ui.query_form import QueryForm

    delete_credentials("planet")
    form = QueryForm(PROVIDERS)
    assert form.badge_of("stac") == "not-needed"
    assert form.badge_of("planet") == "missing"
    assert "credentials missing" in form._item("planet").text()
    # a narrow dock may cut the item text: the tooltip names the provider and its badge in full
    assert form._item("planet").toolTip().splitlines()[1].startswith("credentials missing: ")
    store_credentials("planet", "", "pl-key-123")
    form.refresh_badges()
    assert form.badge_of("planet") == "ok"
    assert "credentials ok" in form._item("planet").text()
    delete_credentials("planet")


def test_query_form_builds_the_query_and_remembers_it(qgis_new_project):
    import datetime as dt

    from qgis.PyQt.QtCore import QDate, QDateTime, QTime

    from scene_picker.ui.query_form import QueryForm

    form = QueryForm(PROVIDERS)
    form.set_checked("cdse")
    form.set_scope("cdse", collections="SENTINEL-2", platforms="sentinel-2a, sentinel-2b")
    form.set_dates(
        QDateTime(QDate(2024, 3, 1), QTime(0, 0), Qt.TimeSpec.UTC),
        QDateTime(QDate(2024, 3, 31), QTime(23, 59), Qt.TimeSpec.UTC),
    )
    form.set_cloud_range(5, 60)
    form.max_spin.setValue(42)
    form.extras_edit.setText('processingLevel=2A; orbit=[1, 2]; name="x"')
    query = form.build_query("POLYGON((1 43, 2 43, 2 44, 1 44, 1 43))")
    assert query.start == dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    assert query.end == dt.datetime(2024, 3, 31, 23, 59, 59, 999000, tzinfo=dt.timezone.utc)
    assert (query.cloud_min, query.cloud_max, query.max_results) == (5.0, 60.0, 42)
    assert query.extras == {"processingLevel": "2A", "orbit": [1, 2], "name": "x"}
    assert query.aoi.bounds == (1.0, 43.0, 2.0, 44.0)
    assert form.scope("cdse") == (("SENTINEL-2",), ("sentinel-2a", "sentinel-2b"))
    form.save_state()

    again = QueryForm(PROVIDERS)
    assert again.checked_providers() == ["cdse"]
    assert again.scope("cdse") == (("SENTINEL-2",), ("sentinel-2a", "sentinel-2b"))
    assert again.build_query(None).extras == query.extras
    assert again.cloud_range() == (5.0, 60.0)

    from scene_picker.core.errors import UsageError

    again.extras_edit.setText("no equals sign")
    with pytest.raises(UsageError):
        again.build_query(None)


def test_test_login_against_terrascope_emulator(qgis_new_project, log_lines):
    """The "Test login" button signs in (OpenID password grant) in a QgsTask; a refused password is
    reported in the dialog without the secret."""
    from scene_picker.core.credentials import delete_credentials
    from scene_picker.ui.providers_info import available_providers

    from support.terrascope_emulator import NDVI, TerrascopeEmulator, make_product
    from support.ui_wait import check_test_login

    user, good, bad = "vito-user", "right-Pa55-word", "wrong-Pa55-word"
    with TerrascopeEmulator([make_product(NDVI, 0)], users={user: good}) as emulator:
        dialog = SettingsDialog(available_providers())
        dialog.show()
        dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("terrascope"))
        assert dialog.username_edit.isEnabled() and dialog.signup_label.text()
        dialog.endpoint_edit.setText(emulator.base_url)
        dialog.options_form.fields["token_url"].setText(emulator.token_url)
        dialog.save_settings()

        dialog.username_edit.setText(user)
        check_test_login(dialog, bad, good)
        assert emulator.grants["password"] >= 1
        dialog.reject()
    delete_credentials("terrascope")
    assert not any(good in line or bad in line for line in log_lines)

    # the option fields are the spec's: no field takes a secret, a value that carries one is refused
    dialog = SettingsDialog(available_providers())
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("terrascope"))
    assert "password" not in dialog.options_form.fields and "username" not in dialog.options_form.fields
    dialog.options_form.fields["token_url"].setText(f"https://vito-user:{good}@127.0.0.1:9/token")
    dialog.save_settings()
    assert good not in settings.read_setting("providers/terrascope/options", "", str)
    assert "credential" in dialog.login_label.text()
    dialog.reject()


def test_opens_on_the_given_provider_and_shows_the_real_output_folder():
    dialog = SettingsDialog(PROVIDERS, provider="planet")
    assert dialog.current_provider().name == "planet"
    assert dialog.secret_edit.isEnabled() and dialog.test_button.text() == "Test login"
    default = settings.output_dir()
    assert default and dialog.output_widget.filePath() == default
    dialog.accept()  # the shown default is not pinned as a choice
    assert settings.read_setting(settings.OUTPUT_DIR, "", str) == ""
    dialog = SettingsDialog(PROVIDERS, provider="stac")
    assert dialog.current_provider().name == "stac" and dialog.test_button.text() == "Test connection"
    dialog.reject()


def test_catalog_url_and_token_in_the_search_form(qgis_new_project):
    """The form's catalog URL is the provider's URL setting, recently used URLs fill its drop-down, and
    the bearer token goes to the credential store and into the provider's requests, never to QgsSettings."""
    from scene_picker.ui.providers_info import make_provider, provider_options
    from scene_picker.ui.query_form import QueryForm

    form = QueryForm(PROVIDERS, read_keyring=False)
    form.set_checked("stac", True)
    form.provider_list.setCurrentItem(form._item("cdse"))
    assert form.catalog.url_combo.isHidden() and form.catalog.token_box.isHidden()
    form.provider_list.setCurrentItem(form._item("stac"))
    assert not form.catalog.url_combo.isHidden() and not form.catalog.token_box.isHidden()
    for url in ("http://127.0.0.1:9/a", "http://127.0.0.1:9/b"):
        form.catalog.set_url(url)
        form.remember_urls()
    assert provider_options("stac")["url"] == "http://127.0.0.1:9/b"
    form.provider_list.setCurrentItem(form._item("cdse"))
    form.provider_list.setCurrentItem(form._item("stac"))
    combo = form.catalog.url_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "http://127.0.0.1:9/b",
        "http://127.0.0.1:9/a",
    ]
    assert combo.currentText() == "http://127.0.0.1:9/b"

    QTest.keyClicks(form.catalog.token_edit, SECRET)
    assert form.catalog.save_token()
    assert form.catalog.token_edit.text() == ""
    assert load_credentials("stac").secret == SECRET
    provider = make_provider("stac")
    bearer = {"Authorization": f"Bearer {SECRET}"}
    assert provider.http.auth.headers_for("http://127.0.0.1:9/b/search") == bearer
    assert provider.http.auth.headers_for("http://elsewhere.example/search") == {}
    provider.http.close()
    qsettings = QgsSettings()
    qsettings.sync()
    with open(qsettings.fileName(), encoding="utf-8") as handle:
        assert SECRET not in handle.read()
    form.catalog.forget_token()
    assert load_credentials("stac") is None

    with pytest.raises(UsageError, match="token field"):  # a credential in the URL is refused
        form.catalog.set_url("http://user:pw@127.0.0.1:9/c")
    with pytest.raises(UsageError):
        form.remember_urls()
    assert provider_options("stac")["url"] == "http://127.0.0.1:9/b"

    # a query without a credential is no secret, even where a re-encoding would change it ("/", a bare flag)
    plain = "http://127.0.0.1:9/d?collections=sentinel/l2a&flag"
    form.catalog.set_url(plain)
    form.remember_urls()
    assert provider_options("stac")["url"] == plain
    form.provider_list.setCurrentItem(form._item("cdse"))
    form.provider_list.setCurrentItem(form._item("stac"))
    assert form.catalog.url_combo.itemText(0) == plain


def test_accounts_in_the_qgis_authentication_database(tmp_path, qgis_new_project, log_lines):
    """No system keyring (the fail backend, as on Linux without a Secret Service): the user keeps the
    accounts in QGIS's authentication database instead; they never reach QgsSettings or the log, and
    the keyring stays the default."""
    from keyring.backends.fail import Keyring as FailKeyring

    from scene_picker.core.credentials import active_store, use_store
    from scene_picker.ui.auth_store import CONFIG_PREFIX, apply_store_setting

    manager = QgsApplication.authManager()
    assert manager.setMasterPassword("master-of-test", True)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        assert apply_store_setting() == "keyring" and active_store() is None  # the default
        dialog = SettingsDialog(PROVIDERS, provider="cdse")
        dialog.show()
        assert dialog.status_label.text() == "no keyring available"
        dialog.store_combo.setCurrentIndex(dialog.store_combo.findData("qgis"))
        assert dialog.status_label.text() == "credentials missing"
        QTest.keyClicks(dialog.username_edit, "alice@example.org")
        QTest.keyClicks(dialog.secret_edit, SECRET)
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.login_label.text() == "Stored in the QGIS authentication database."
        assert dialog.status_label.text() == "credentials stored"
        creds = load_credentials("cdse")  # what the providers read, from any thread
        assert creds is not None and creds.username == "alice@example.org" and creds.secret == SECRET
        names = [c.name() for c in manager.availableAuthMethodConfigs().values()]
        assert names.count(CONFIG_PREFIX + "cdse") == 1
        QTest.keyClicks(dialog.secret_edit, SECRET + "-2")  # replacing keeps one config per provider
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        names = [c.name() for c in manager.availableAuthMethodConfigs().values()]
        assert names.count(CONFIG_PREFIX + "cdse") == 1 and load_credentials("cdse").secret == SECRET + "-2"
        dialog.accept()

        qsettings = QgsSettings()
        qsettings.sync()
        with open(qsettings.fileName(), encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        assert "store=qgis" in text and SECRET not in text
        assert not any(SECRET in line for line in log_lines)

        dialog = SettingsDialog(PROVIDERS, provider="cdse")  # the choice is kept
        dialog.show()
        assert (
            dialog.store_combo.currentData() == "qgis" and dialog.username_edit.text() == "alice@example.org"
        )
        QTest.mouseClick(dialog.forget_button, Qt.MouseButton.LeftButton)
        assert load_credentials("cdse") is None
        assert CONFIG_PREFIX + "cdse" not in [c.name() for c in manager.availableAuthMethodConfigs().values()]
        dialog.store_combo.setCurrentIndex(dialog.store_combo.findData("keyring"))
        assert active_store() is None
        dialog.reject()
    finally:
        keyring.set_keyring(previous)
        use_store(None)


def test_option_fields_come_from_the_provider_spec(qgis_new_project):
    from scene_picker.catalogs import provider_spec
    from scene_picker.ui.providers_info import available_providers, make_provider, provider_options

    dialog = SettingsDialog(available_providers())
    for name in ("cdse", "terrascope", "stac"):
        dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData(name))
        expected = [o.name for o in provider_spec(name).options if o.name != "url"]
        assert list(dialog.options_form.fields) == expected
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("terrascope"))
    api = dialog.options_form.fields["api"]
    api.setCurrentIndex(api.findData("stac"))
    dialog.save_settings()
    assert provider_options("terrascope")["api"] == "stac" and make_provider("terrascope").api == "stac"

    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("cdse"))
    dialog.options_form.fields["slice_days"].setText("soon")
    dialog.save_settings()
    assert "takes a float" in dialog.login_label.text()
    assert "slice_days" not in settings.read_setting("providers/cdse/options", "", str)
    dialog.options_form.fields["slice_days"].setText("3")
    dialog.save_settings()
    assert make_provider("cdse").slice_length.days == 3
    dialog.reject()
