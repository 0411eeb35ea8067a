"""File › Automatic answers… and Show › How quickly we answer…: the two owner pages on the
window's engine (settings saved on the core thread, figures counted off the GUI thread)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.automations_page import AutomationsPage
from ui.contacts_dialog import ContactsImportDialog
from ui.insight_page import InsightPage
from ui.settings_action import save_from_window
from ui.staff_actions import author

if TYPE_CHECKING:  # the window imports this module through ui.menus
    from ui.main_window import MainWindow


def open_automations(w: MainWindow) -> AutomationsPage:
    def save(changes: dict[str, str], done: Callable[[str | None], None]) -> None:
        save_from_window(w, changes, done)

    page = AutomationsPage(
        w.settings.all(),
        call=w.engine.call,
        when_done=w.bridge.when_done,
        clock=w.engine.clock,
        save=save,
        who=lambda: author(w),
        parent=w,
    )
    page.open()
    return page


def open_insight(w: MainWindow) -> InsightPage:
    today = w.engine.clock.now().astimezone(w.settings.shop_zone()).date()
    page = InsightPage(w.settings, today=today, parent=w)
    page.resize(w.width() * 9 // 10, w.height() * 9 // 10)
    page.open()
    return page


def open_contacts_import(w: MainWindow) -> ContactsImportDialog:
    dlg = ContactsImportDialog(
        w.engine,
        w.bridge,
        country=str(w.settings.get("default_country")),
        clock=w.engine.clock,
        who=lambda: author(w),
        parent=w,
    )
    dlg.open()
    return dlg
