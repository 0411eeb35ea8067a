"""What the window does beyond its core wiring (ui/main_window.py is at its size limit): "Send now"
on a waiting text, the send limits its note names, File › Templates…, internal notes, Mark as
unread, and the keyboard shortcuts window (Ctrl+/).

``wire(window)`` is called once the window is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desk.engine import window_ops
from desk.messaging import notes, templates
from desk.read import queries, waiting
from desk.store import models as m
from ui import modem_banner, staff_actions, staff_assign, staff_presence
from ui.staff_actions import author

if TYPE_CHECKING:  # the window imports this module to build itself
    from ui.main_window import MainWindow
    from ui.template_editor import TemplateEditor


def wire(w: MainWindow) -> None:
    modem_banner.install(w)
    staff_actions.install(w)
    staff_assign.install(w)
    staff_presence.install(w)
    apply_limits(w)
    w.thread.delegate.now = w.engine.clock.now
    # settings and templates may change in the settings dialog or with `textdesk config` /
    # `textdesk templates` in another process: read them again every few seconds
    w.thread.waiting_timer.timeout.connect(lambda: apply_limits(w))
    w.thread.waiting_timer.timeout.connect(lambda: apply_reply_settings(w))
    w.thread.sendNowRequested.connect(lambda message_id: send_now(w, message_id))
    w.thread.noteDeleteRequested.connect(lambda note_id: delete_note(w, note_id))


def apply_limits(w: MainWindow) -> None:
    """The send limits a held text's note names, from the settings (again after they change)."""
    s = w.settings.snapshot()
    limits = waiting.Limits(s.rate_per_minute, s.rate_per_minute_staff, s.rate_per_day)
    if w.thread.delegate.set_limits(limits):
        w.thread.view.doItemsLayout()


def apply_reply_settings(w: MainWindow) -> None:
    """The reply box follows the signature, the send key and the templates as they are now,
    whoever changed them (the settings dialog, `textdesk config`, `textdesk templates`)."""
    s = w.settings.snapshot()
    composer = w.thread.composer
    if composer.signature != s.signature:
        composer.set_signature(s.signature)
    key = str(s.get("send_key"))
    if composer.edit.send_key != key:
        composer.set_send_key(key)
    rows = templates.templates()
    if rows != composer._templates:
        composer.set_templates(rows)


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
    staff = author(w)
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
        from ui.template_editor import TemplateEditor  # when File › Templates… is first opened

        editor = TemplateEditor(w.engine, w.bridge, w)
        editor.changed.connect(lambda: w.thread.composer.set_templates(templates.templates()))
        editor.destroyed.connect(lambda *_: _editors.pop(id(w), None))
        _editors[id(w)] = editor
    editor.show()
    editor.raise_()
    editor.activateWindow()
    return editor


# --- internal notes, mark unread -------------------------------------------------------------


def add_note(w: MainWindow, text: str | None = None) -> None:
    """Conversation › Add internal note…: kept in the thread for staff, never sent. ``text``
    given: without asking (tests, scripts)."""
    row = w.thread.conversation
    if row is None:
        return
    if text is None:
        text, ok = QInputDialog.getMultiLineText(
            w,
            "Internal note",
            f"A note for staff about {row.title(w.country)}. It shows in the thread and is "
            "never sent to the customer:",
        )
        if not ok or not text.strip():
            return
    staff = author(w)
    w._call(
        w.engine.call(notes.add_note, row.id, text, staff=staff, clock=w.engine.clock),
        "Note added (not sent).",
        lambda _id: _reload_thread(w, row.id),
    )


def delete_note(w: MainWindow, note_id: int) -> None:
    answer = QMessageBox.question(w, "Delete note?", "Delete this internal note?")
    if answer != QMessageBox.StandardButton.Yes:
        return
    cid = w.current_id()
    w._call(
        w.engine.call(notes.delete_note, note_id),
        "Note deleted.",
        lambda _r: _reload_thread(w, cid),
    )


def _reload_thread(w: MainWindow, conversation_id: int | None) -> None:
    if conversation_id is not None and w.current_id() == conversation_id:
        w.thread.model.load(conversation_id)
        w.thread.scroll_to_bottom()


def mark_unread(w: MainWindow) -> None:
    """Conversation › Mark as unread: back to the list with it unread, to come back to later
    (the thread closes, or opening it would mark it read again)."""
    row = w.thread.conversation
    if row is None:
        return

    def done(_ok: object) -> None:
        if w.current_id() == row.id:
            w.open_conversation(None)
        w.list.refresh(row.id)
        w.update_counts()

    w._call(w.engine.call(window_ops.mark_unread, row.id), "Marked as unread.", done)


# --- keyboard shortcuts (Ctrl+/) --------------------------------------------------------------

TYPING_KEYS = (
    ("Enter", "send the reply (or Ctrl+Enter, by the send_key setting)"),
    ("Shift+Enter", "new line in the reply"),
    ("/name, then Enter or Tab", "insert a template; Up/Down pick among the matches"),
    ("Alt+Up / Alt+Down", "previous / next conversation"),
    ("Menu key or right click", "copy a text, send a waiting one now, delete a note"),
)


def shortcuts_text(w: MainWindow) -> str:
    """Every menu action with a shortcut, then the keys of the reply box, one per line."""
    lines = []
    seen: set[str] = set()
    for action in w.actions():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        name = action.text().replace("&", "").rstrip("…").strip()
        if key and name and key not in seen:
            seen.add(key)
            lines.append(f"{key}\t{name}")
    lines += [f"{key}\t{what}" for key, what in TYPING_KEYS]
    return "\n".join(lines)


def show_shortcuts(w: MainWindow) -> QDialog:
    """Help › Keyboard shortcuts (Ctrl+/): a window that lists them, closed with Escape."""
    dlg = QDialog(w)
    dlg.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(dlg)
    rows = [line.split("\t", 1) for line in shortcuts_text(w).splitlines()]
    table.setColumnCount(2)
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(["Keys", "What they do"])
    for n, (key, what) in enumerate(rows):
        table.setItem(n, 0, QTableWidgetItem(key))
        table.setItem(n, 1, QTableWidgetItem(what))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    close = QPushButton("Close", dlg)
    close.clicked.connect(dlg.accept)
    layout = QVBoxLayout(dlg)
    layout.addWidget(table, 1)
    layout.addWidget(close)
    screen = dlg.screen().availableGeometry()
    dlg.resize(min(620, screen.width() - 16), min(560, screen.height() - 40))
    dlg.open()
    return dlg
