"""Sizes that follow the text: a dialog as wide and tall as ``columns`` average characters and
``lines`` text lines of its own font (so it grows with 200 % text), never beyond the screen it is
on (1366×768 included), never smaller than what its layout needs."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

SCREEN_SHARE = 0.92  # of the available screen, leaving the taskbar and the window frame room


def fit_to_text(widget: QWidget, columns: int, lines: int) -> None:
    fm = widget.fontMetrics()
    hint = widget.sizeHint()
    width = max(hint.width(), fm.averageCharWidth() * columns)
    height = max(hint.height(), fm.lineSpacing() * lines)
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        room = screen.availableGeometry()
        width = min(width, int(room.width() * SCREEN_SHARE))
        height = min(height, int(room.height() * SCREEN_SHARE))
    widget.resize(width, height)
