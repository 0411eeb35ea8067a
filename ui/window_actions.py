"""What the window does beyond its core wiring (ui/main_window.py is at its size limit): "Send now"
on a waiting text, the send limits its note names, and File › Templates….

``wire(window)`` is called once the window is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from desk.messaging import templates
from desk.read import queries, waiting
from desk.store import models as m
from ui.template_editor import TemplateEditor

if TYPE_CHECKING:  # the window imports this module to build itself
    from ui.main_window import MainWindow


def wire(w: MainWindow) -> None:
    apply_limits(w)
    w.thread.delegate.now = w.engine.clock.now
    # settings may change in the settings dialog or with `textdesk config`: read them again
    w.thread.waiting_timer.timeout.connect(lambda: apply_limits(w))
    w.thread.sendNowRequested.connect(lambda message_id: send_now(w, message_id))


def apply_limits(w: MainWindow) -> None:
    """The send limits a held text's note names, from the settings (again after they change)."""
    s = w.settings.snapshot()
    limits = waiting.Limits(s.rate_per_minute, s.rate_per_minute_staff, s.rate_per_day)
    if w.thread.delegate.set_limits(limits):
        w.thread.view.doItemsLayout()


def send_now(w: MainWindow, message_id: int) -> None:
    """ "Send now" on a waiting text's bubble: past its hold at once; during the customer's quiet
    hours only once staff confirm (it is a text at night for them)."""
    row = queries.message_row(message_id)
    if row is None or row.state != m.QUEUED:
        return
    wait = waiting.why_waiting(
        row, now=w.engine.clock.now(), zone=w.zone, limits=w.thread.delegate.limits
    )
    if wait is None or not wait.can_send_now:
        return
    if wait.reason == m.HELD_QUIET_HOURS:
        answer = QMessageBox.question(
            w,
            "Send during quiet hours?",
            "It is quiet hours for this customer: the text would reach them now rather than "
            f"{wait.words.split('goes at ')[-1].rstrip('.')}.\nSend it now?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
    staff = w.settings.get("staff_name") or None
    w._call(
        w.engine.send_now(message_id, staff=staff),
        "Sending now.",
        lambda _r: w._reread(message_id),
    )


_editors: dict[int, TemplateEditor] = {}


def open_templates(w: MainWindow) -> TemplateEditor:
    """File › Templates…: one editor per window, brought forward when open; what it writes
    reaches the reply box's template list at once."""
    editor = _editors.get(id(w))
    if editor is None:
        editor = TemplateEditor(w.engine, w.bridge, w)
        editor.changed.connect(lambda: w.thread.composer.set_templates(templates.templates()))
        editor.destroyed.connect(lambda *_: _editors.pop(id(w), None))
        _editors[id(w)] = editor
    editor.show()
    editor.raise_()
    editor.activateWindow()
    return editor
