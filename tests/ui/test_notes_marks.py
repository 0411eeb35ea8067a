"""Internal notes, copy, mark as unread, the needs-attention filter and the shortcuts window,
through the real window, engine and virtual modem (issue 13, item 6)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QTableWidget

from desk.read import queries
from tests.ui.conftest import Desk
from ui import window_actions

JAMES = "+12025550102"


def _action(desk: Desk, shortcut: str) -> Any:
    return next(a for a in desk.window.actions() if a.shortcut().toString() == shortcut)


def _open(desk: Desk, number: str) -> int:
    cid = queries.conversation_for_number(number)
    assert cid is not None and desk.window.list.select(cid)
    desk.wait(lambda: desk.window.current_id() == cid)
    return cid


def test_an_internal_note_shows_in_the_thread_unmistakably_and_is_never_sent(desk: Desk) -> None:
    w = desk.window
    _open(desk, JAMES)
    sent_before = len(desk.submitted)
    window_actions.add_note(w, "Prefers a call after 5; deposit paid.")
    desk.wait(
        lambda: (
            [n.body for n in w.thread.model.notes()] == ["Prefers a call after 5; deposit paid."]
        )
    )
    note = w.thread.model.notes()[0]
    row = w.thread.model.rowCount() - 1
    index = w.thread.model.index(row, 0)
    assert "never sent to the customer" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert w.thread.delegate.note_head(note).startswith("INTERNAL NOTE")
    assert w.thread.delegate.note_head(note).endswith("· not sent")
    desk.drain()
    assert len(desk.submitted) == sent_before
    assert queries.conversation_row(w.current_id()).preview != note.body  # not a text
    menu = [a.text() for a in w.thread.item_menu(note).actions()]
    assert menu == ["Copy text", "Delete note"]


def test_copy_a_text_from_its_menu(desk: Desk) -> None:
    w = desk.window
    _open(desk, JAMES)
    message = w.thread.model.messages()[-1]
    menu = w.thread.item_menu(message)
    next(a for a in menu.actions() if a.text() == "Copy text").trigger()
    assert QApplication.clipboard().text() == message.body


def test_mark_as_unread_closes_the_thread_and_counts_it_unread(desk: Desk) -> None:
    w = desk.window
    cid = _open(desk, JAMES)
    desk.wait(lambda: queries.conversation_row(cid).unread == 0)
    before = queries.counts().unread_messages
    _action(desk, "Ctrl+Shift+U").trigger()
    desk.wait(lambda: queries.conversation_row(cid).unread == 1)
    desk.wait(lambda: w.current_id() is None and w.unread_total == before + 1)
    w.list.set_filter("unread")
    assert w.list.model.row_of(cid) is not None


def test_the_needs_attention_filter_and_the_shortcuts_window(desk: Desk) -> None:
    w = desk.window
    _action(desk, "Ctrl+4").trigger()
    assert w.list.model.filter == "attention"
    shown = {
        w.list.model.index(i, 0).data(Qt.ItemDataRole.UserRole + 2)
        for i in range(w.list.model.rowCount())
    }
    assert {queries.conversation_for_number(n) for n in ("+12025550106", "+12025550107")} <= shown
    assert w.list.filter_buttons["attention"].text().startswith("Attention (")

    _action(desk, "Ctrl+/").trigger()
    dlg = desk.wait(
        lambda: next(
            (
                d
                for d in w.findChildren(QDialog)
                if d.isVisible() and d.windowTitle() == "Keyboard shortcuts"
            ),
            None,
        )
    )
    table = dlg.findChild(QTableWidget)
    keys = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert keys["Ctrl+N"] == "New conversation" and keys["Ctrl+/"] == "Keyboard shortcuts"
    assert "Add internal note" in keys.values() and "Shift+Enter" in keys


def test_the_appointment_a_reply_confirmed_is_said_under_it(desk: Desk) -> None:
    from datetime import timedelta

    from desk.reminders import appointments
    from desk.store import models as m

    w = desk.window
    cid = _open(desk, JAMES)
    e = w.engine
    starts = e.clock.now() + timedelta(days=2)

    def booked() -> int:
        contact = m.Contact.get(m.Contact.number == JAMES)
        appt = appointments.create_appointment(contact, starts, settings=e.settings,
                                               clock=e.clock, service="check-up")  # fmt: skip
        reminder = min(appt.reminders, key=lambda r: r.next_at)
        m.ReminderRun.create(
            reminder=reminder,
            contact=contact,
            due_at=e.clock.now(),
            state="queued",
            created_at=e.clock.now(),
        )  # fmt: skip (sent)
        return int(appt.id)

    appt = desk.result(e.call(booked))
    desk.vm.control({"cmd": "deliver", "from": JAMES, "text": "Yes"})
    desk.wait(lambda: m.Appointment.get_by_id(appt).state == "confirmed")
    reply = desk.wait(lambda: next((r for r in w.thread.model.messages() if r.body == "Yes"), None))
    local = starts.astimezone(w.zone)
    expected = f"→ confirmed: check-up, {local:%a} {local.day} {local:%b} {local:%H:%M}"
    desk.wait(lambda: w.thread.delegate.layout(reply, w.thread.view.font()).note_text == expected)
    assert w.current_id() == cid
