"""Drafts per conversation, through the real window, engine and virtual modem: text typed for one
customer never follows to the next, Enter sends to the customer the reply box names, and drafts
are kept across a restart (in the database) and erased with the customer."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desk.base.events import ModemState
from desk.messaging.outbox import sign
from desk.read import queries
from desk.store import drafts
from tests.ui.conftest import Desk
from ui import session

MARIA, JAMES, PRIYA = "+12025550101", "+12025550102", "+12025550103"


def _open(desk: Desk, number: str) -> int:
    cid = queries.conversation_for_number(number)
    assert cid is not None
    assert desk.window.list.select(cid)
    desk.wait(lambda: desk.window.current_id() == cid)
    return cid


def test_a_draft_stays_with_its_conversation_and_enter_sends_to_the_one_named(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    c = w.thread.composer
    maria = _open(desk, MARIA)
    assert c.recipient.text().startswith("Reply to Maria Lopez")
    assert "to Maria" in c.hint.text()
    qtbot.keyClicks(c.edit, "Parking is round the back")

    james = _open(desk, JAMES)
    assert c.text() == "", "Maria's text must not follow to James"
    assert c.recipient.text().startswith("Reply to James O'Connor")
    qtbot.keyClicks(c.edit, "10am is booked")

    _open(desk, MARIA)
    assert c.text() == "Parking is round the back"
    assert c.recipient.text().startswith("Reply to Maria Lopez")
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    signed = sign("Parking is round the back", w.settings.get("signature"))
    desk.wait(lambda: any(e.get("text") == signed for e in desk.submitted))
    assert [e["to"] for e in desk.submitted if e.get("text") == signed] == [MARIA]
    desk.wait(lambda: c.text() == "")
    desk.wait(lambda: drafts.load_draft(maria) == "")

    _open(desk, JAMES)
    assert c.text() == "10am is booked", "James's draft was kept, not sent"
    desk.wait(lambda: drafts.load_draft(james) == "10am is booked")
    assert not any(e.get("to") == JAMES for e in desk.submitted)


def test_drafts_survive_a_restart(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    priya = _open(desk, PRIYA)
    qtbot.keyClicks(w.thread.composer.edit, "Come at 2pm, we will fix it")
    _open(desk, JAMES)  # leaving Priya stores her draft
    desk.wait(lambda: drafts.load_draft(priya) == "Come at 2pm, we will fix it")
    qtbot.keyClicks(w.thread.composer.edit, "Typed just before closing")
    james = w.current_id()
    profile = desk.session.profile
    desk.session.close()  # closing the window stores the draft in the box too

    again = session.start(profile, virtual=True, customer=False, demo_data=False)
    try:
        qtbot.addWidget(again.window)
        again.window.show()
        qtbot.waitUntil(lambda: again.engine.modem_status.state == ModemState.READY, timeout=30000)
        w2 = again.window
        assert w2.list.select(priya)
        assert w2.thread.composer.text() == "Come at 2pm, we will fix it"
        assert w2.list.select(james)
        assert w2.thread.composer.text() == "Typed just before closing"
    finally:
        again.close()


def test_erasing_a_customer_erases_their_draft(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    priya = _open(desk, PRIYA)
    qtbot.keyClicks(w.thread.composer.edit, "Your aligner is here")
    w.drafts.flush()
    desk.wait(lambda: drafts.load_draft(priya) == "Your aligner is here")
    contact_id = queries.contact_for_conversation(priya)
    assert contact_id is not None
    w.erase_contact(contact_id)
    desk.wait(lambda: queries.conversation_row(priya) is None)
    desk.wait(lambda: w.current_id() is None)
    assert drafts.load_draft(priya) == ""
    assert w.thread.composer.text() == ""
    assert w.list.highlighted_id() is None
