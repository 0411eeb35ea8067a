"""Whose name goes on what a dialog of the window records (a reminder's created-by, an import's
reminders, the audit line of a settings change): whoever signed in at that window's counter
(ui.staff_actions.author, as replies and notes get it), else the ``staff_name`` setting as
before staff existed. Asked when the thing is saved, so a switch of staff meanwhile counts."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desk.store.settings import SettingsReader
from ui.staff_actions import author


def author_for(widget: QWidget | None, settings: SettingsReader) -> str | None:
    """The signed-in name at ``widget``'s main window (walking up its parents), else the
    ``staff_name`` setting of ``settings`` (a dialog on its own, outside any window)."""
    from ui.main_window import MainWindow  # the window imports the dialogs that ask this

    node = widget
    while node is not None:
        if isinstance(node, MainWindow):
            return author(node)
        node = node.parentWidget()
    return settings.get("staff_name") or None
