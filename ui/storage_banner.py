"""The red banner for storage trouble: the disk is full, or the database cannot be written.

The core says it once per episode (``StorageTrouble``: texts wait on the SIM meanwhile, nothing is
lost) and says when it is over (``StorageRecovered``). The banner sits above the tabs, so it shows
whatever page staff are on, and goes away by itself when saving works again: no restart, no
button to press.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from ui import log_trouble

B = TypeVar("B", bound=QWidget)

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class StorageBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storageTrouble")
        self.setStyleSheet(
            "#storageTrouble { background: #b3261e; border-radius: 4px; }"
            "#storageTrouble QLabel { color: white; font-weight: bold; padding: 6px; }"
        )
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Storage problem")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.text, 1)
        self.hide()

    def show_trouble(self, text: str) -> None:
        self.text.setText(text)
        self.show()

    def clear(self) -> None:
        self.text.clear()
        self.hide()


def above_pages(window: QMainWindow, make: Callable[[QWidget], B]) -> B:
    """A banner ``make(parent)`` put above the window's central widget (the pages), full width:
    the one way the window's banners (storage, modem) are placed."""
    central = window.takeCentralWidget()
    assert central is not None, "install the banner after the window has its central widget"
    holder = QWidget(window)
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    banner = make(holder)
    layout.addWidget(banner)
    layout.addWidget(central, 1)
    window.setCentralWidget(holder)
    return banner


def install(window: MainWindow) -> StorageBanner:
    """Put the banner above the window's central widget and connect it to the core's events."""
    banner = above_pages(window, StorageBanner)
    window.bridge.storageTrouble.connect(banner.show_trouble)
    window.bridge.storageRecovered.connect(banner.clear)
    log_trouble.attach(banner)  # the log file cannot be written either: said here too
    return banner
