"""One marker per meaning in the conversation list, each cleared when its cause is, through the
real window, engine and virtual modem: "Not sent" goes when the text is resent and goes out (Done
does not hide it), "Not sure it went" when it is marked as sent, "Asked to stop" when the
customer is opted out, "Reschedule" when the appointment is moved; none stands in for another."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from desk.read import queries
from desk.reminders import appointments
from desk.store import models as m
from tests.ui.conftest import Desk
from ui.conversation_delegate import ConversationDelegate
from ui.conversation_model import Marks, MarksRole, RowRole

UNCERTAIN, FAILED, JAMES = "+12025550106", "+12025550107", "+12025550102"


def _markers(desk: Desk, number: str) -> list[str]:
    """The marker pills the list paints for ``number``'s conversation, as their words."""
    model = desk.window.list.model
    cid = queries.conversation_for_number(number)
    assert cid is not None
    model.refresh(cid)
    row = model.row_of(cid)
    assert row is not None
    index = model.index(row, 0)
    marks = index.data(MarksRole)
    assert isinstance(marks, Marks)
    return [text for text, _c in ConversationDelegate._markers(index.data(RowRole), marks)]


def test_not_sent_is_cleared_by_a_resend_that_goes_out_and_not_hidden_by_done(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    assert "Not sent" in _markers(desk, FAILED)
    assert "Asked to stop" not in _markers(desk, FAILED)
    cid = queries.conversation_for_number(FAILED)
    assert cid is not None and w.list.select(cid)
    w.toggle_status()  # Done: the failure is still there, and so is its marker
    desk.wait(lambda: (r := queries.conversation_row(cid)) is not None and r.status == "done")
    assert "Not sent" in _markers(desk, FAILED) and "Done" in _markers(desk, FAILED)
    w.thread.banner_resend.click()
    desk.wait(lambda: any(e.get("to") == FAILED for e in desk.submitted))
    desk.wait(lambda: "Not sent" not in _markers(desk, FAILED))


def test_not_sent_is_cleared_by_it_went_out(desk: Desk) -> None:
    w = desk.window
    assert _markers(desk, UNCERTAIN)[:1] == ["Not sure it went"]
    cid = queries.conversation_for_number(UNCERTAIN)
    assert cid is not None and w.list.select(cid)
    w.thread.banner_wentout.click()
    desk.wait(lambda: "Not sure it went" not in _markers(desk, UNCERTAIN))
    assert "Not sent" not in _markers(desk, UNCERTAIN)
    row = queries.conversation_row(cid)
    assert row is not None and row.status == "open", "no Done needed"


def test_asked_to_stop_is_its_own_marker_cleared_by_opting_out(desk: Desk) -> None:
    w = desk.window
    assert _markers(desk, JAMES) == []
    desk.vm.control({"cmd": "deliver", "from": JAMES, "text": "Please stop texting me"})
    desk.wait(lambda: "Asked to stop" in _markers(desk, JAMES))
    assert "Not sent" not in _markers(desk, JAMES)
    cid = queries.conversation_for_number(JAMES)
    assert cid is not None and w.list.select(cid)
    assert w.thread.banner.isVisible()
    assert "asked in a text to stop" in w.thread.banner_text.text()
    assert "Please stop texting me" in w.thread.banner_text.text()
    assert w.thread.banner_details.isVisible() and not w.thread.banner_resend.isVisible()
    w.thread.banner_details.click()
    assert w.contact.isVisible(), "the opt-out is one click away"
    contact = queries.contact_for_conversation(cid)
    assert contact is not None
    w.set_opt_out(contact, True)
    desk.wait(lambda: "Opted out" in _markers(desk, JAMES))
    assert "Asked to stop" not in _markers(desk, JAMES)
    desk.wait(lambda: not w.thread.banner.isVisible())


def test_reschedule_is_its_own_marker_cleared_when_the_appointment_is_moved(desk: Desk) -> None:
    w = desk.window
    e = desk.engine
    clock = e.clock
    cid = queries.conversation_for_number(JAMES)
    contact = queries.contact_for_conversation(cid) if cid else None
    assert contact is not None
    when = clock.now() + timedelta(days=3)
    made = desk.result(
        e.call(
            lambda: (
                appointments.create_appointment(
                    m.Contact.get_by_id(contact), when, settings=e.settings, clock=clock
                ).id
            )
        )
    )
    desk.result(e.call(appointments.set_state, made, appointments.RESCHEDULE, clock=clock))
    w.tabs.setCurrentWidget(w.reminders)  # staff looked at the appointments, and came back
    w.tabs.setCurrentIndex(0)
    assert "Reschedule" in _markers(desk, JAMES)
    assert "Not sent" not in _markers(desk, JAMES)
    desk.result(
        e.call(
            appointments.reschedule_appointment,
            made,
            when + timedelta(days=7),
            settings=e.settings,
            clock=clock,
        )
    )
    w.tabs.setCurrentWidget(w.reminders)
    w.tabs.setCurrentIndex(0)
    assert "Reschedule" not in _markers(desk, JAMES)
