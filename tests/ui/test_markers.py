"""One marker per meaning in the conversation list, each cleared when its cause is, through the
real window, engine and virtual modem: "Not sent" goes when the text is resent and goes out (Done
does not hide it), "Not sure it went" when it is marked as sent, "Asked to stop" when the
customer is opted out, "Reschedule" when the appointment is moved, "Reminder not sent" when staff
have dealt with it; none stands in for another, the "Needs attention" filter holds exactly the
conversations with one, and they outlast a restart only while their cause does (issue 13
item 10)."""

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
    listed, marked = _flagged(desk)
    assert cid in listed and listed == marked, "Done hides no failure from the filter either"
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


def _flagged(desk: Desk) -> tuple[set[int], set[int]]:
    """(the conversations the Needs attention filter holds, those whose row shows a marker
    for a cause): the two must be the same set."""
    attention_words = {
        "Not sent",
        "Not sure it went",
        "Asked to stop",
        "Reschedule",
        "Reminder not sent",
        "Needs attention",
    }
    model = desk.window.list.model
    model.set_filter("all")
    marked = set()
    for n in range(model.rowCount()):
        index = model.index(n, 0)
        row, marks = index.data(RowRole), index.data(MarksRole)
        if set(t for t, _c in ConversationDelegate._markers(row, marks)) & attention_words:
            marked.add(row.id)
    model.set_filter("attention")
    listed = {model.id_at(n) for n in range(model.rowCount())}
    model.set_filter("all")
    assert queries.counts().attention == len(listed)
    return {i for i in listed if i is not None}, marked


def test_a_reminder_too_late_for_its_appointment_is_said_until_staff_have_dealt_with_it(
    desk: Desk,
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from desk.base.clock import FakeClock
    from desk.reminders.scheduler import Scheduler

    w, e = desk.window, desk.engine
    cid = queries.conversation_for_number(JAMES)
    contact = queries.contact_for_conversation(cid) if cid else None
    assert cid is not None and contact is not None
    day = (e.clock.now() + timedelta(days=3)).date()
    # 08:00 in Washington, where the customer's number is; reminder 2 h before, in quiet hours
    starts = datetime(day.year, day.month, day.day, 8, 0, tzinfo=ZoneInfo("America/New_York"))

    def book_and_tick() -> None:
        e.settings.set("quiet_hours", "08:00-21:00")
        clock = FakeClock(starts - timedelta(hours=3))
        appointments.create_appointment(
            m.Contact.get_by_id(contact), starts, settings=e.settings, clock=clock, offsets=[120]
        )
        clock.set(starts - timedelta(hours=2))  # due 06:00, held to 08:00: the appointment
        Scheduler(settings=e.settings, clock=clock).tick()

    desk.result(e.call(book_and_tick))
    w.tabs.setCurrentWidget(w.reminders)
    w.tabs.setCurrentIndex(0)
    desk.wait(lambda: "Reminder not sent" in _markers(desk, JAMES))
    listed, marked = _flagged(desk)
    assert cid in listed and listed == marked
    assert w.list.select(cid)
    assert w.thread.banner.isVisible() and w.thread.banner_dismiss.isVisible()
    text = w.thread.banner_text.text()
    assert text.startswith("Reminder not sent for the appointment on") and "quiet hours" in text
    assert not w.thread.banner_resend.isVisible()
    assert "Reminder not sent" in _markers(desk, JAMES), "opening it is not dealing with it"
    w.thread.banner_dismiss.click()
    desk.wait(lambda: "Reminder not sent" not in _markers(desk, JAMES))
    desk.wait(lambda: not w.thread.banner.isVisible())
    listed, marked = _flagged(desk)
    assert cid not in listed and listed == marked


def test_markers_outlast_a_restart_only_while_their_cause_does(qtbot: Any, tmp_path: Any) -> None:
    from desk.base.events import ModemState
    from desk.base.paths import resolve_profile
    from desk.store.db import close_database
    from ui import session

    profile = resolve_profile(tmp_path / "profile").ensure()

    def run(demo: bool) -> tuple[Any, Desk]:
        s = session.start(profile, virtual=True, customer=False, demo_data=demo)
        qtbot.addWidget(s.window)
        s.window.show()
        d = Desk(s, qtbot)
        d.wait(lambda: s.engine.modem_status.state == ModemState.READY, timeout=30)
        return s, d

    s, d = run(True)
    try:
        assert "Not sent" in _markers(d, FAILED) and "Not sure it went" in _markers(d, UNCERTAIN)
        listed, marked = _flagged(d)
        assert listed == marked
        failed = queries.conversation_for_number(FAILED)
        assert failed is not None and d.window.list.select(failed)
        d.window.thread.banner_resend.click()
        d.wait(lambda: any(e.get("to") == FAILED for e in d.submitted))
        d.vm.control({"cmd": "deliver", "from": JAMES, "text": "Please stop texting me"})
        d.wait(lambda: "Asked to stop" in _markers(d, JAMES))
    finally:
        s.close()
        close_database()
    s, d = run(False)
    try:
        assert "Not sent" not in _markers(d, FAILED), "resent and gone: no marker after a restart"
        assert "Asked to stop" in _markers(d, JAMES), "still waiting for a decision"
        assert "Not sure it went" in _markers(d, UNCERTAIN)
        listed, marked = _flagged(d)
        assert listed == marked and failed not in listed
    finally:
        s.close()
        close_database()
