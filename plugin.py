"""QGIS entry point: the toolbar button and Web-menu entry that toggle the Scene Picker dock.

Everything this class adds to the QGIS window (actions, menu entries, the dock, the translator and
every signal connection) is recorded and removed again by :meth:`ScenePickerPlugin.unload`.

Downloads running when QGIS quits (``aboutToQuit``) or the plugin unloads are saved as interrupted and
resume at the next start, which the message bar announces with a button opening the Downloads tab.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, Qt, QTranslator
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QPushButton

try:
    from qgis.PyQt.QtGui import QAction  # Qt6 (QGIS 4)
except ImportError:
    from qgis.PyQt.QtWidgets import QAction  # Qt5

PLUGIN_DIR = Path(__file__).resolve().parent
MENU_NAME = "Scene Picker"  # translated at use


class ScenePickerPlugin:
    """The object QGIS creates through ``classFactory``."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.action: QAction | None = None
        self.dock = None  # the ScenePickerDock (ui/dock.py), imported once its packages are known present
        self.missing: list[str] | None = None  # Python packages this QGIS lacks (ui/dependencies.py)
        self.translator: QTranslator | None = None
        self._connections: list[tuple[object, object]] = []
        self.processing_provider = None
        self._install_translator()

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("ScenePickerPlugin", text)

    # -- QGIS life cycle -------------------------------------------------------------------------
    def initProcessing(self) -> None:  # noqa: N802 - QGIS API
        """Add the "Scene Picker" Processing provider (search and download algorithms)."""
        if self.processing_provider is None and not self._lacks_shapely():
            from .ui.processing_provider import ScenePickerProcessingProvider

            self.processing_provider = ScenePickerProcessingProvider()
            QgsApplication.processingRegistry().addProvider(self.processing_provider)

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        self._check_packages()
        from .ui.auth_store import apply_store_setting

        apply_store_setting()  # the system keyring, or QGIS's authentication database (Settings)
        from .core.credentials import choose_backend

        choose_backend()  # here on the main thread: tasks that read the keyring later must not pick it
        self.initProcessing()
        main_window = self.iface.mainWindow()
        if not self._lacks_shapely():
            from .ui.dock import ScenePickerDock

            self.dock = ScenePickerDock(main_window)
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
            self.dock.hide()

        self.action = QAction(
            QIcon(str(PLUGIN_DIR / "icons" / "scene_picker.png")),
            self.tr("Scene Picker"),
            main_window,
        )
        self.action.setObjectName("ScenePickerToggleAction")
        self.action.setCheckable(True)
        self.action.setToolTip(self.tr("Show or hide the Scene Picker panel"))
        self._connect(self.action.toggled, self._on_action_toggled)
        if self.dock is not None:
            self._connect(self.dock.visibilityChanged, self._on_dock_visibility_changed)
        else:
            self.action.setEnabled(False)
            self.action.setToolTip(
                self.tr("Scene Picker needs the Python package shapely (see the message bar)")
            )

        self.iface.addWebToolBarIcon(self.action)
        self.iface.addPluginToWebMenu(self.tr(MENU_NAME), self.action)
        # QGIS quitting: interrupt the downloads (saved to resume) before their threads are torn down
        self._connect(QgsApplication.instance().aboutToQuit, self._on_about_to_quit)
        self._announce_resumed()

    def unload(self) -> None:
        if self.processing_provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.processing_provider)
            self.processing_provider = None
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):  # already gone with its object
                pass
        self._connections.clear()
        if self.action is not None:
            self.iface.removePluginWebMenu(self.tr(MENU_NAME), self.action)
            self.iface.removeWebToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.dock is not None:
            self.dock.close_panel()
            self.iface.removeDockWidget(self.dock)
            self.dock.setParent(None)
            self.dock.deleteLater()
            self.dock = None
        if self.translator is not None:
            QCoreApplication.removeTranslator(self.translator)
            self.translator = None

    # -- internals -------------------------------------------------------------------------------
    def _check_packages(self) -> None:
        """One message bar entry when shapely, pyproj or keyring is missing (Debian's qgis lacks them)."""
        from .ui.dependencies import missing_message
        from .ui.messages import notify

        if self._lacking():
            notify(
                self.iface,
                self.tr("Scene Picker"),
                missing_message(self.missing),
                Qgis.MessageLevel.Warning,
                duration=0,
            )

    def _lacking(self) -> list[str]:
        if self.missing is None:  # QGIS may call initProcessing before initGui
            from .ui.dependencies import missing_packages

            self.missing = missing_packages()
        return self.missing

    def _lacks_shapely(self) -> bool:
        return "shapely" in self._lacking()

    def _connect(self, signal, slot) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def _on_action_toggled(self, checked: bool) -> None:
        if self.dock is not None and self.dock.isUserVisible() != checked:
            self.dock.setUserVisible(checked)

    def _on_dock_visibility_changed(self, _visible: bool) -> None:
        if self.action is not None and self.dock is not None:
            user_visible = self.dock.isUserVisible()
            if self.action.isChecked() != user_visible:
                self.action.setChecked(user_visible)

    def _install_translator(self) -> None:
        locale = str(QgsSettings().value("locale/userLocale", "") or "")[:2]
        qm_file = PLUGIN_DIR / "i18n" / f"scene_picker_{locale}.qm"
        if locale and qm_file.exists():
            translator = QTranslator()
            if translator.load(str(qm_file)):
                QCoreApplication.installTranslator(translator)
                self.translator = translator

    # -- downloads that outlive a session -------------------------------------------------------
    def show_downloads(self) -> None:
        """Show the dock on its Downloads tab."""
        from .ui.dock import TAB_DOWNLOADS

        if self.dock is not None:
            self.dock.setUserVisible(True)
            self.dock.tabs.setCurrentIndex(TAB_DOWNLOADS)

    def _on_about_to_quit(self) -> None:
        if self.dock is not None and self.dock.downloads is not None:
            self.dock.downloads.shutdown()

    def _announce_resumed(self) -> None:
        """Downloads of the last session resume: say so, with a button that shows them."""
        downloads = self.dock.downloads if self.dock is not None else None
        count = len(downloads.resumed) if downloads is not None else 0
        if not count:
            return
        bar = self.iface.messageBar()
        message = bar.createMessage(
            self.tr("Scene Picker"), self.tr("{} download(s) from the last session resume.").format(count)
        )
        button = QPushButton(self.tr("Show downloads"), message)
        button.setObjectName("ScenePickerShowDownloads")
        button.clicked.connect(self.show_downloads)
        message.layout().addWidget(button)
        bar.pushWidget(message, Qgis.MessageLevel.Info, 0)
