"""The French translation (i18n/scene_picker_fr.ts) is complete, keeps every placeholder, and the .qm
that lrelease builds from it translates the plugin's real widgets in a running (headless) QGIS."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from conftest import ROOT

TS_FILE = ROOT / "i18n" / "scene_picker_fr.ts"

# {} / {0} / {name} / {:.4f} (str.format), %1 / %L1 (Qt arg), %n (Qt plural count)
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%L?\d+|%n")
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*")
ACCELERATOR = re.compile(r"&(?=[^&\s])")


def ts_messages() -> list[tuple[str, str, ET.Element]]:
    """(context, source, translation element) of every message of the .ts file."""
    out = []
    for context in ET.parse(TS_FILE).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            out.append((name, message.findtext("source") or "", message.find("translation")))
    return out


def translations() -> dict[tuple[str, str], str]:
    return {(context, source): element.text or "" for context, source, element in ts_messages()}


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    messages = ts_messages()
    assert len(messages) > 100, "the .ts file lost its messages"
    problems = []
    for context, source, element in messages:
        where = f"{context}: {source!r}"
        if element is None or element.get("type") in ("unfinished", "vanished", "obsolete"):
            problems.append(f"{where} is unfinished")
            continue
        text = element.text or ""
        if not text.strip():
            problems.append(f"{where} has an empty translation")
            continue
        for label, pattern in (("placeholders", PLACEHOLDER), ("HTML tags", HTML_TAG)):
            if Counter(pattern.findall(source)) != Counter(pattern.findall(text)):
                problems.append(f"{where}: {label} differ in {text!r}")
        if len(ACCELERATOR.findall(source)) != len(ACCELERATOR.findall(text)):
            problems.append(f"{where}: the & accelerator is lost or doubled in {text!r}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def french(qgis_app, tmp_path):
    """The French .qm built by lrelease from the committed .ts, installed for one test."""
    from qgis.PyQt.QtCore import QCoreApplication, QTranslator

    lrelease = shutil.which("lrelease")
    assert lrelease, "lrelease (qttools5-dev-tools, dev/install-system-deps.sh) is not on PATH"
    qm = tmp_path / "scene_picker_fr.qm"
    run = subprocess.run(
        [lrelease, str(TS_FILE), "-qm", str(qm)], capture_output=True, text=True, timeout=60, check=True
    )
    assert " 0 unfinished" in run.stdout, run.stdout
    translator = QTranslator()
    assert translator.load(str(qm)), f"QTranslator cannot load {qm}"
    assert QCoreApplication.installTranslator(translator)
    try:
        yield translator
    finally:
        QCoreApplication.removeTranslator(translator)


def test_the_built_qm_translates_lookups_and_real_widgets(french) -> None:
    from qgis.PyQt.QtCore import QCoreApplication

    from scene_picker.ui.providers_info import STATUS_MISSING
    from scene_picker.ui.queue_panel import QueuePanel
    from scene_picker.ui.settings_dialog import status_text

    table = translations()
    for context, source, expected in (
        ("ScenePickerDock", "Area of interest", "Zone d'intérêt"),
        (
            "SettingsDialog",
            "Stored in the system keyring.",
            "Enregistré dans le trousseau de clés du système.",
        ),
        ("DownloadScenesAlgorithm", "Scene {} of {}: {}", "Scène {} sur {} : {}"),
    ):
        assert table[(context, source)] == expected
        assert QCoreApplication.translate(context, source) == expected

    # the widgets' own tr() contexts match the ones pylupdate5 wrote
    panel = QueuePanel()
    try:
        header = panel.tree.headerItem()
        assert [header.text(column) for column in range(5)] == [
            table[("QueuePanel", source)] for source in ("Scene", "State", "Progress", "Speed", "ETA")
        ]
        assert header.text(0) == "Scène"
        assert panel.cancel_button.text() == "Annuler"
        assert panel._state_text("cancelling") == "annulation…"
    finally:
        panel.deleteLater()
    assert (
        status_text(STATUS_MISSING)
        == table[("SettingsDialog", "credentials missing")]
        == "identifiants manquants"
    )


def test_without_the_translator_the_source_text_is_back(qgis_app) -> None:
    from qgis.PyQt.QtCore import QCoreApplication

    assert QCoreApplication.translate("ScenePickerDock", "Area of interest") == "Area of interest"


def test_the_ts_file_holds_every_visible_string_of_the_sources(tmp_path) -> None:
    """pylupdate5 over plugin.py and ui/ (what ``make i18n`` scans) finds no message the .ts lacks: a
    string added with ``self.tr()`` but never translated would show in English in a French QGIS."""
    pylupdate = shutil.which("pylupdate5")
    assert pylupdate, "pylupdate5 (pyqt5-dev-tools, installed by dev/install-system-deps.sh) is missing"
    scanned = tmp_path / "scan.ts"
    sources = [str(ROOT / "plugin.py")] + sorted(str(p) for p in (ROOT / "ui").rglob("*.py"))
    subprocess.run([pylupdate, "-noobsolete", *sources, "-ts", str(scanned)], check=True, capture_output=True)
    found = {
        (context.findtext("name") or "", message.findtext("source") or "")
        for context in ET.parse(scanned).getroot().iter("context")
        for message in context.iter("message")
    }
    missing = sorted(found - set(translations()))
    assert not missing, f"not in {TS_FILE.name} (run `make i18n`): {missing}"
