"""A QGIS-like main window for plugin tests.

pytest-qgis's ``QgisInterface`` stubs the menu, toolbar and dock methods (they do nothing), so a test
could not see what a plugin leaves behind. :class:`MainWindowIface` implements those methods the way
QGIS's own ``QgisApp`` does — a real "&Web" menu with one sub-menu per plugin, a real "Web Toolbar",
real dock areas — on a real ``QMainWindow``, and keeps everything else from pytest-qgis.
"""

from __future__ import annotations

from pytest_qgis.qgis_interface import QgisInterface
from qgis.PyQt.QtWidgets import QAction, QDockWidget, QMainWindow, QMenu, QToolBar

WEB_MENU_TITLE = "&Web"


class MainWindowIface(QgisInterface):
    def __init__(self, canvas, message_bar) -> None:
        self.window = QMainWindow()
        super().__init__(canvas, message_bar, self.window)
        self.web_toolbar = QToolBar("Web Toolbar", self.window)
        self.web_toolbar.setObjectName("mWebToolBar")
        self.window.addToolBar(self.web_toolbar)

    # -- menus ---------------------------------------------------------------------------------------
    def web_menu(self, create: bool = False) -> QMenu | None:
        for action in self.window.menuBar().actions():
            if action.menu() is not None and action.menu().title() == WEB_MENU_TITLE:
                return action.menu()
        return self.window.menuBar().addMenu(WEB_MENU_TITLE) if create else None

    def addPluginToWebMenu(self, name: str, action: QAction) -> None:
        menu = self.web_menu(create=True)
        sub = next((a.menu() for a in menu.actions() if a.menu() and a.menu().title() == name), None)
        if sub is None:
            sub = menu.addMenu(name)
        sub.addAction(action)

    def removePluginWebMenu(self, name: str, action: QAction) -> None:
        menu = self.web_menu()
        if menu is None:
            return
        for entry in menu.actions():
            sub = entry.menu()
            if sub is not None and sub.title() == name:
                sub.removeAction(action)
                if not sub.actions():
                    menu.removeAction(entry)
        if not menu.actions():
            self.window.menuBar().removeAction(menu.menuAction())

    # -- toolbars and docks --------------------------------------------------------------------------
    def addWebToolBarIcon(self, action: QAction) -> None:
        self.web_toolbar.addAction(action)

    def removeWebToolBarIcon(self, action: QAction) -> None:
        self.web_toolbar.removeAction(action)

    def addToolBarIcon(self, action: QAction) -> None:
        self.web_toolbar.addAction(action)

    def removeToolBarIcon(self, action: QAction) -> None:
        self.web_toolbar.removeAction(action)

    def addDockWidget(self, area, dock_widget: QDockWidget) -> None:
        self.window.addDockWidget(area, dock_widget)

    def removeDockWidget(self, dock_widget: QDockWidget) -> None:
        self.window.removeDockWidget(dock_widget)
