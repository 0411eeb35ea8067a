"""Emoji are drawn from the system's colour emoji font, not as empty boxes (issue 13 item 17):
the running window's font names the colour emoji families after its text family."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import Desk
from ui import theme


def test_the_window_font_falls_back_to_the_colour_emoji_fonts(desk: Desk) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    families = app.font().families()
    for name in ("Noto Color Emoji", "Segoe UI Emoji", "Apple Color Emoji"):
        assert name in families
    assert families[0] not in theme.EMOJI_FAMILIES, "the text family comes first"
    assert "Noto Color Emoji" in desk.window.thread.composer.font().families()
    substitutes = {f.casefold() for f in QFont.substitutes(families[0])}  # Qt keeps them lower-case
    assert {f.casefold() for f in theme.EMOJI_FAMILIES} <= substitutes
    assert QFontInfo(app.font()).family()  # still resolves to a real font
    theme.use_emoji_fonts(app)  # again: no family twice
    assert app.font().families().count("Noto Color Emoji") == 1
