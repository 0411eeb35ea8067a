"""The window's menus and keyboard shortcuts (Ctrl+N new, Ctrl+F search, Ctrl+D done, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from ui import resources, staff_actions, window_actions

if TYPE_CHECKING:  # the window imports this module to build itself
    from ui.main_window import MainWindow


def _action(
    w: QWidget, text: str, shortcut: str | None, slot: Callable[[], object], menu: QMenu
) -> QAction:
    act = QAction(text, w)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(slot)
    menu.addAction(act)
    w.addAction(act)
    return act


def build(w: MainWindow) -> None:
    """The menu bar; every action also works by its shortcut anywhere in the window."""
    bar = w.menuBar()
    f = bar.addMenu("&File")
    w.act_new = _action(w, "&New conversation…", "Ctrl+N", w.new_conversation, f)
    w.act_new.setIcon(resources.icon("new.svg"))
    _action(w, "&Export conversation…", "Ctrl+E", w.export_current, f)
    _action(w, "&Settings…", "Ctrl+,", w.open_settings, f).setIcon(resources.icon("settings.svg"))
    _action(w, "&Automatic answers…", None, lambda: _open_automations(w), f)
    _action(w, "&Import contacts…", None, lambda: _open_contacts_import(w), f)
    _action(w, "Export c&ontacts…", None, lambda: _export_contacts(w), f)
    f.addSeparator()
    _action(w, "&Back up now…", None, lambda: _backup_now(w), f)
    _action(w, "&Restore from a backup…", None, lambda: _restore_from(w), f)
    _action(w, "&Templates…", None, lambda: window_actions.open_templates(w), f)
    f.addSeparator()
    _action(w, "S&witch staff…", None, lambda: staff_actions.ask(w), f)
    _action(w, "S&taff…", None, lambda: staff_actions.open_staff(w), f)
    f.addSeparator()
    w.act_quit = _action(w, "&Quit TextDesk", "Ctrl+Q", w.quit_app, f)
    w.act_quit.setToolTip("Stop TextDesk: no texts are received and no reminders go out")
    c = bar.addMenu("&Conversation")
    _action(w, "&Search", "Ctrl+F", w.focus_search, c)
    _action(w, "Mark &done / reopen", "Ctrl+D", w.toggle_status, c)
    _action(w, "&Reply", "Ctrl+R", w.thread.composer.edit.setFocus, c)
    _action(w, "&Next conversation", "Alt+Down", lambda: w.list.step(1), c)
    _action(w, "&Previous conversation", "Alt+Up", lambda: w.list.step(-1), c)
    _action(w, "Customer &details", "Ctrl+I", w.toggle_contact, c)
    c.addSeparator()
    _action(w, "Add internal &note…", "Ctrl+Shift+N", lambda: window_actions.add_note(w), c)
    _action(w, "Mark as &unread", "Ctrl+Shift+U", lambda: window_actions.mark_unread(w), c)
    v = bar.addMenu("&Show")
    _action(w, "&All conversations", "Ctrl+1", lambda: w.list.set_filter("all"), v)
    _action(w, "&Unread only", "Ctrl+U", w.toggle_unread, v)
    _action(w, "&Open only", "Ctrl+2", lambda: w.list.set_filter("open"), v)
    _action(w, "&Call back", "Ctrl+3", lambda: w.list.set_filter("callback"), v)
    _action(w, "&Needs attention", "Ctrl+4", lambda: w.list.set_filter("attention"), v)
    v.addSeparator()
    _action(w, "&How quickly we answer…", None, lambda: _open_insight(w), v)
    m = bar.addMenu("&Modem")
    _action(w, "SIM &balance", None, w.ask_balance, m)
    _action(w, "Enter SIM &PIN…", None, w.ask_pin, m)
    h = bar.addMenu("&Help")
    _action(w, "&Keyboard shortcuts", "Ctrl+/", lambda: window_actions.show_shortcuts(w), h)
    _action(w, "&Where are the logs?", None, lambda: show_log_path(w), h)
    _action(w, "Save &modem log…", None, lambda: _save_modem_log(w), h)
    _action(w, "&About TextDesk", None, lambda: about(w), h)


# The dialogs and pages behind these menu items are imported when one is first opened, not to
# show the window (start-up time, issue 15).


def _open_automations(w: MainWindow) -> None:
    from ui import automation_actions

    automation_actions.open_automations(w)


def _open_contacts_import(w: MainWindow) -> None:
    from ui import automation_actions

    automation_actions.open_contacts_import(w)


def _open_insight(w: MainWindow) -> None:
    from ui import automation_actions

    automation_actions.open_insight(w)


def _export_contacts(w: MainWindow) -> None:
    from ui import contacts_dialog

    contacts_dialog.export_contacts(w)


def _backup_now(w: MainWindow) -> None:
    from ui import backup_actions

    backup_actions.backup_now(w)


def _restore_from(w: MainWindow) -> None:
    from ui import backup_actions

    backup_actions.restore_from(w)


def _save_modem_log(w: MainWindow) -> None:
    from ui import modem_log_action

    modem_log_action.save_from_window(w)


def show_log_path(w: MainWindow) -> None:
    QMessageBox.information(w, "Logs", f"TextDesk writes its log to:\n{w.log_path}")


def about(w: MainWindow) -> None:
    QMessageBox.about(
        w, "About TextDesk", "TextDesk — customer service by SMS from the counter PC."
    )
