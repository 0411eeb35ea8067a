"""Tray icon, desktop notification on an incoming message (click opens the thread), optional sound."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from ui import resources


class Notifier(QObject):
    openConversation = Signal(int)
    showWindow = Signal()
    quitRequested = Signal()

    def __init__(self, icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.enabled = True
        self.sound = False
        self.last_conversation: int | None = None
        self.sent: list[tuple[str, str, int]] = []  # (title, text, conversation id), for tests
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("TextDesk")
            menu = QMenu(parent)
            menu.addAction("Show TextDesk").triggered.connect(self.showWindow)
            menu.addAction("Quit TextDesk").triggered.connect(self.quitRequested)
            self.tray.setContextMenu(menu)
            self.tray.activated.connect(self._activated)
            self.tray.messageClicked.connect(self._clicked)
            self.tray.show()

    def set_unread(self, unread: int) -> None:
        if self.tray is not None:
            self.tray.setToolTip(f"TextDesk — {unread} unread" if unread else "TextDesk")

    def notify(self, title: str, text: str, conversation_id: int) -> None:
        self.last_conversation = conversation_id
        self.sent.append((title, text, conversation_id))
        if self.enabled and self.tray is not None and self.tray.supportsMessages():
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        elif self.enabled:
            QApplication.alert(self.parent() if isinstance(self.parent(), QWidget) else None)  # type: ignore[arg-type]
        if self.sound:
            self.play()

    @staticmethod
    def play() -> None:
        wav = resources.path("notify.wav")
        for player in ("paplay", "aplay", "afplay"):
            exe = shutil.which(player)
            if exe and wav.exists():
                QProcess.startDetached(exe, [str(wav)])
                return
        QApplication.beep()

    def _clicked(self) -> None:
        if self.last_conversation is not None:
            self.openConversation.emit(self.last_conversation)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.showWindow.emit()
