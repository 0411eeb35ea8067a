"""The window's size and place, kept per profile, and a first size that fits the screen.

The window opens where staff left it, at the size they gave it (and the width they gave the
conversation list), read from ``window.ini`` in the profile's data folder. The first time, or
when the saved place no longer fits (a smaller screen now), it takes at most 1280×800 of the
screen's free area, so on a 1366×768 screen the status bar with the modem state is on screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings, QTimer
from PySide6.QtWidgets import QMainWindow, QSplitter

PREFERRED = (1280, 800)
FRAME = 40  # room for the title bar and frame the window manager adds


def settings_for(data_dir: Path) -> QSettings:
    return QSettings(str(data_dir / "window.ini"), QSettings.Format.IniFormat)


def fit(window: QMainWindow) -> QRect:
    """``window``'s place when it fits its screen's free area; else as much of it as fits,
    centred."""
    screen = window.screen()
    free = screen.availableGeometry() if screen is not None else QRect(0, 0, *PREFERRED)
    room_w, room_h = max(free.width(), 1), max(free.height() - FRAME, 1)
    g = window.geometry()
    w, h = min(g.width(), room_w), min(g.height(), room_h)
    if (w, h) == (g.width(), g.height()) and free.contains(g):
        return g
    x = free.left() + (free.width() - w) // 2
    y = free.top() + FRAME // 2 + (room_h - h) // 2
    return QRect(x, y, w, h)


def restore(window: QMainWindow, splitter: QSplitter, store: QSettings) -> bool:
    """Put the window back where it was; True when a saved place was used."""
    geometry = store.value("geometry")
    used = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
    if not used:
        window.resize(*PREFERRED)
    window.setGeometry(fit(window))
    width = store.value("list_width")
    if width is not None and str(width).isdigit():
        # After the window is laid out at its restored size, so the splitter knows its width.
        QTimer.singleShot(0, lambda: _list_width(splitter, int(str(width))))
    return bool(used)


def _list_width(splitter: QSplitter, width: int) -> None:
    sizes = splitter.sizes()
    total = sum(sizes[:2])
    list_width = min(width, max(total - 360, 260))
    splitter.setSizes([list_width, max(total - list_width, 360), *sizes[2:]])


def save(window: QMainWindow, splitter: QSplitter, store: QSettings) -> None:
    store.setValue("geometry", window.saveGeometry())
    store.setValue("list_width", splitter.sizes()[0])
    store.sync()
