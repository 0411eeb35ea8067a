"""A text that waits says why in its bubble, through the real window, engine and virtual modem:
the modem's own answer when it refused a part for now (the core retries later), and the modem's
state when it cannot send at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from desk.base.events import ModemState
from desk.engine import window_ops
from desk.messaging import outbox
from desk.read import queries, waiting
from desk.store import models as m
from tests.ui.conftest import Desk

JAMES = "+12025550102"


def _bubble_note(desk: Desk, message_id: int) -> str:
    w = desk.window
    item = next(r for r in w.thread.model.messages() if r.id == message_id)
    note: str = w.thread.delegate.layout(item, w.thread.view.font()).note_text
    return note


def _send(desk: Desk, qtbot: Any, text: str) -> int:
    w = desk.window
    cid = queries.conversation_for_number(JAMES)
    assert cid is not None and w.list.select(cid)
    qtbot.keyClicks(w.thread.composer.edit, text)
    qtbot.keyClick(w.thread.composer.edit, Qt.Key.Key_Return)
    found: int = desk.wait(
        lambda: next((r.id for r in w.thread.model.messages() if r.body.startswith(text)), None)
    )
    return found


def test_a_modem_error_the_core_retries_is_said_in_the_bubble(desk: Desk, qtbot: Any) -> None:
    desk.vm.control({"cmd": "cms_error", "code": 38, "count": 1})
    message_id = _send(desk, qtbot, "Saturday 10am is yours")
    desk.wait(lambda: (r := queries.message_row(message_id)) and r.state == m.QUEUED and r.error)
    desk.wait(lambda: _bubble_note(desk, message_id).startswith("Waiting: "))
    note = _bubble_note(desk, message_id)
    assert note.startswith("Waiting: the modem answered error 38 (The network is out of order)")
    assert ", retrying at " in note
    assert not any(e.get("to") == JAMES for e in desk.submitted)


def test_a_text_waiting_for_the_modem_says_so_in_the_bubble(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    desk.vm.control({"cmd": "lose_network"})
    desk.wait(lambda: w.engine.modem_status.state == ModemState.NO_NETWORK)
    message_id = _send(desk, qtbot, "We open at 9")
    desk.wait(lambda: "no mobile network" in _bubble_note(desk, message_id))
    row = queries.message_row(message_id)
    assert row is not None and row.state == m.QUEUED
    desk.vm.control({"cmd": "restore_network"})
    desk.wait(lambda: any(e.get("to") == JAMES for e in desk.submitted))
    desk.wait(lambda: _bubble_note(desk, message_id) == "")


def _click_bubble_button(desk: Desk, qtbot: Any, message_id: int, action: str) -> None:
    """A real mouse click on the button painted under the bubble."""
    t = desk.window.thread
    row = t.model.row_of(message_id)
    assert row is not None
    index = t.model.index(row, 0)
    t.view.scrollTo(index)
    item = next(r for r in t.model.messages() if r.id == message_id)
    rect = t.delegate.button_rect(item, t.view.font(), action)
    assert rect is not None, f"no {action} button on the bubble"
    top = t.view.visualRect(index).top()
    at = QPoint(int(rect.center().x()), int(rect.center().y()) + top)
    qtbot.mouseClick(t.view.viewport(), Qt.MouseButton.LeftButton, pos=at)


def _settings(desk: Desk, **values: str) -> None:
    w = desk.window
    desk.result(w.engine.call(window_ops.save_settings, values, settings=w.settings,
                              clock=w.engine.clock))  # fmt: skip


def test_a_reply_held_by_the_limit_says_which_and_until_when_and_send_now_sends_it(
    desk: Desk, qtbot: Any
) -> None:
    _settings(desk, rate_per_minute="1", rate_per_minute_staff="1")
    first = _send(desk, qtbot, "Your crown is ready")
    desk.wait(lambda: any(e.get("to") == JAMES for e in desk.submitted))
    second = _send(desk, qtbot, "Pick it up any time")
    desk.wait(lambda: "1-a-minute limit" in _bubble_note(desk, second))
    note = _bubble_note(desk, second)
    assert note.startswith("Waiting: held by the 1-a-minute limit, goes at ")
    assert first != second and queries.message_row(second).held_reason == m.HELD_RATE_MINUTE

    _click_bubble_button(desk, qtbot, second, "send_now")
    desk.wait(lambda: sum(e.get("to") == JAMES for e in desk.submitted) == 2)
    desk.wait(lambda: _bubble_note(desk, second) == "")
    audit = m.AuditLog.get(m.AuditLog.action == "send_now")
    assert f"message {second}" in audit.detail and "rate_minute" in audit.detail


def test_a_reminder_held_for_quiet_hours_says_until_when_and_asks_before_sending(
    desk: Desk, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.window
    now = w.engine.clock.now().astimezone(w.settings.shop_zone())
    start = now + timedelta(hours=2)  # automated texts may go only two to three hours from now
    _settings(desk, quiet_hours=f"{start:%H}:00-{(start + timedelta(hours=1)):%H}:00",
              timezone=str(w.settings.get("timezone") or "Europe/London"))  # fmt: skip
    cid = queries.conversation_for_number(JAMES)
    assert cid is not None
    contact = queries.contact_for_conversation(cid)
    # the customer lives on the shop's clock (else the note says their time too)
    desk.result(w.engine.call(m.Contact.update(timezone=str(w.settings.shop_zone())).where(
        m.Contact.id == contact).execute))  # fmt: skip
    assert w.list.select(cid)
    reminder = desk.result(w.engine.call(outbox.queue_message, JAMES, "See you tomorrow at 9",
                                         source="reminder", automated=True, settings=w.settings,
                                         clock=w.engine.clock)).id  # fmt: skip
    desk.wait(lambda: reminder in [r.id for r in w.thread.model.messages()])
    desk.wait(lambda: "quiet hours" in _bubble_note(desk, reminder), timeout=10)
    opens = waiting.clock_words(w.zone, now)(start.replace(minute=0, second=0))
    assert (
        _bubble_note(desk, reminder)
        == f"Waiting: quiet hours for automated texts, goes at {opens}."
    )
    asked: list[str] = []

    def answer(_parent: Any, title: str, text: str, *a: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    _click_bubble_button(desk, qtbot, reminder, "send_now")
    assert len(asked) == 1 and f"{start:%H}:00" in asked[0]
    assert queries.message_row(reminder).state == m.QUEUED  # said no: still held
    _click_bubble_button(desk, qtbot, reminder, "send_now")
    desk.wait(lambda: any(e.get("text", "").startswith("See you tomorrow") for e in desk.submitted))


def test_a_modem_without_network_shows_a_banner_with_the_waiting_texts_gone_when_back(
    desk: Desk, qtbot: Any
) -> None:
    from ui.modem_banner import ModemBanner

    w = desk.window
    banner = w.findChild(ModemBanner)
    assert banner is not None and not banner.isVisible()
    desk.vm.control({"cmd": "lose_network"})
    desk.wait(lambda: banner.isVisible())
    assert banner.text.text().startswith("The modem has no mobile network.")
    _send(desk, qtbot, "See you at 3")
    desk.wait(lambda: "waiting; it goes as soon as the modem can send" in banner.text.text())
    assert banner.geometry().top() < w.tabs.geometry().top() + w.tabs.height()  # above the pages
    desk.vm.control({"cmd": "restore_network"})
    desk.wait(lambda: not banner.isVisible())
