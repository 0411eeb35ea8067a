"""Closing the window does not stop TextDesk: texts keep arriving and reminders keep going out.

The window goes to the tray (or, on a desktop without a tray, is minimised), and the first time
that happens it says so, once per profile: where to find it again and that File › Quit stops it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox, QSystemTrayIcon

from ui.notifier import Notifier

TOLD_KEY = "told_keeps_running"
TITLE = "TextDesk is still running"


def notice(in_tray: bool) -> str:
    where = "the TextDesk icon in the tray" if in_tray else "the taskbar"
    return (
        "Texts keep arriving and reminders keep going out while the window is closed. "
        f"Open it again from {where}. To stop TextDesk, use File › Quit (Ctrl+Q)."
    )


class QuitWatch(QObject):
    """Notes that the application was asked to quit (File › Quit, the tray, the session ending),
    so the close events Qt then sends the windows close them instead of putting them away."""

    def __init__(self, on_quit: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_quit = on_quit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit and watched is QCoreApplication.instance():
            self._on_quit()
        return False


class KeepRunning:
    def __init__(self, window: QMainWindow, notifier: Notifier, store: QSettings) -> None:
        self.window = window
        self.notifier = notifier
        self.store = store
        self.said: list[str] = []  # what was told (for tests and the log)
        self._box: QMessageBox | None = None
        self.quitting = False
        app = QCoreApplication.instance()
        self._watch = QuitWatch(self._quit_asked, window)
        if app is not None:
            app.installEventFilter(self._watch)

    def _quit_asked(self) -> None:
        self.quitting = True

    def put_away(self) -> None:
        """Hide the window to the tray (minimise it without one); tell staff the first time."""
        tray = self.notifier.tray
        in_tray = tray is not None and tray.isVisible()
        if not self.store.value(TOLD_KEY, False, type=bool):
            self.store.setValue(TOLD_KEY, True)
            self.store.sync()
            text = notice(in_tray)
            self.said.append(text)
            if in_tray and tray is not None and tray.supportsMessages():
                tray.showMessage(TITLE, text, QSystemTrayIcon.MessageIcon.Information, 10000)
            else:
                box = self._box = QMessageBox(QMessageBox.Icon.Information, TITLE, text)
                box.setWindowIcon(self.window.windowIcon())
                box.setWindowModality(Qt.WindowModality.NonModal)
                box.show()
        if in_tray:
            self.window.hide()
        else:
            self.window.showMinimized()
