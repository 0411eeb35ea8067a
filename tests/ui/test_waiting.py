"""A text that waits says why in its bubble, through the real window, engine and virtual modem:
the modem's own answer when it refused a part for now (the core retries later), and the modem's
state when it cannot send at all."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desk.base.events import ModemState
from desk.read import queries
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
    assert "The network is out of order." in note and "Trying again automatically" in note
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
