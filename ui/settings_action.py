"""File › Settings…: the settings dialog on the window's engine. Settings are saved on the core
thread (window_ops.save_settings); passwords go to this computer's password store
(ui.modem_setup.Keyring), and the modem link restarts when one changed so it logs in with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desk.engine import window_ops
from ui.modem_work import Keyring
from ui.settings_dialog import SettingsDialog
from ui.staff_actions import author

if TYPE_CHECKING:  # the window imports this module
    from ui.main_window import MainWindow


def save_from_window(
    w: MainWindow, changes: dict[str, str], done: Callable[[str | None], None]
) -> None:
    """Save settings typed in one of the window's dialogs on the core thread (audited with who
    is at the counter); ``done(None)`` or ``done(error)`` on the GUI thread, and the window takes
    the new values at once."""

    def saved(_result: Any) -> None:
        done(None)
        w._apply_settings()
        w.update_counts()

    fut = w.engine.call(
        window_ops.save_settings,
        changes,
        settings=w.settings,
        clock=w.engine.clock,
        staff=author(w),
    )
    w.bridge.when_done(fut, saved, lambda e: done(str(e)))


def open_settings(w: MainWindow) -> None:
    def apply(changes: dict[str, str], done: Callable[[str | None], None]) -> None:
        save_from_window(w, changes, done)

    st = w.engine.modem_status
    connected = " · ".join(x for x in (st.port, st.manufacturer, st.model) if x) or None
    dlg = SettingsDialog(
        w.settings.all(),
        apply=apply,
        connected=connected,
        secret_store=Keyring(),
        restart_link=w.engine.restart_modem,
        parent=w,
    )
    dlg.exec()
