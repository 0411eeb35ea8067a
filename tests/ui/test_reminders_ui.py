"""The Reminders page, the reminder editor and the import dialog, offscreen, against a real Engine
(core thread, SQLite file) talking to the virtual modem on a real pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from desk.base import events
from desk.base.clock import FakeClock, utc
from desk.base.events import ModemState
from desk.base.paths import resolve_profile
from desk.engine.api import Engine
from desk.messaging.contacts import contact_for_number
from desk.reminders import appointments
from desk.reminders.manage import create_reminder
from desk.reminders.recurrence import Rule, parse_every
from desk.store.db import close_database, open_database
from desk.store.models import Appointment, Message, Reminder, ReminderRun
from desk.store.settings import Settings
from modem.sim import VirtualModem
from ui.import_dialog import ImportDialog
from ui.reminder_editor import ReminderEditor
from ui.reminders_view import RemindersView

pytestmark = pytest.mark.gui

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tue 10:00 in New York
ANN = "+12025550143"
BOB = "+12025550188"
WAIT = 30_000


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    vm = VirtualModem(report_delay=0.05)
    vm.start()
    profile = resolve_profile(tmp_path / "profile")
    profile.ensure()
    open_database(profile.db_path)
    s = Settings()
    s.set("timezone", "America/New_York")
    s.set("shop_name", "Smile Dental")
    s.set("rate_per_minute", 60)
    ann = contact_for_number(ANN, clock=FakeClock(NOW))
    ann.name = "Ann Lee"
    ann.save()
    close_database()
    eng = Engine(profile, port=vm.device, clock=FakeClock(NOW), mode="test", interval=0.05)
    ready: list[bool] = []
    eng.subscribe(
        lambda e: (
            ready.append(True)
            if isinstance(e, events.ModemStatusChanged) and e.status.state == ModemState.READY
            else None
        )
    )
    eng.start()
    eng.modem = vm
    eng.ready = ready
    try:
        yield eng
    finally:
        eng.stop()
        vm.stop()
        close_database()


def on_core(engine: Engine, fn, *args, **kwargs):
    return engine.call(fn, *args, **kwargs).result(timeout=30)


def reminder(engine: Engine, at: datetime, text: str = "Hi {first_name}", **kw) -> Reminder:
    return on_core(
        engine,
        create_reminder,
        recipients=kw.pop("recipients", [ANN]),
        text=text,
        at=at,
        settings=engine.settings,
        clock=engine.clock,
        **kw,
    )


def groups(view: RemindersView) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current: list[str] = []
    model = view.upcoming_model
    for i, row in enumerate(model.rows):
        if row.heading:
            current = out.setdefault(row.cells[0], [])
        else:
            current.append(model.cell(i, 2))
    return out


def history(view: RemindersView, row: int, col: int) -> str:
    return view.history_model.cell(row, col)


def appt_cell(view: RemindersView, row: int, col: int) -> str:
    return view.appointments_model.cell(row, col)


def test_upcoming_is_grouped_by_day_and_shows_repeats_and_quiet_hours(qtbot, engine):
    reminder(engine, NOW + timedelta(hours=1), "today one")
    reminder(engine, NOW + timedelta(days=1), "tomorrow one", every=parse_every("week"))
    reminder(engine, NOW + timedelta(days=3), "this week one")
    reminder(engine, NOW + timedelta(days=30, hours=12), "later one at night")  # 22:00 local
    view = RemindersView(engine)
    qtbot.addWidget(view)
    assert groups(view) == {
        "Today": ["today one"],
        "Tomorrow": ["tomorrow one"],
        "This week": ["this week one"],
        "Later": ["later one at night"],
    }
    m = view.upcoming_model
    assert [m.cell(3, c) for c in (0, 1, 3)] == [
        "Wed 2 Dec 10:00 AM",
        "Ann Lee",
        "every week on Wed",
    ]
    assert m.cell(7, 4).startswith("waits for quiet hours")
    assert view.upcoming.columnSpan(0, 0) == 5  # the "Today" heading spans the row
    assert not view.send_button.isEnabled()
    view.upcoming.selectRow(0)  # a heading: nothing to act on
    assert view.selected_reminder() is None


def test_send_now_goes_through_the_modem_and_shows_in_history(qtbot, engine):
    r = reminder(engine, NOW + timedelta(days=2), "Hi {first_name}, see you Thursday")
    view = RemindersView(engine)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: bool(engine.ready), timeout=60_000)
    assert view.select_reminder(r.id)
    assert view.send_button.isEnabled()
    view.send_button.click()
    qtbot.waitUntil(lambda: view.history_model.rowCount() == 1, timeout=WAIT)
    assert history(view, 0, 1) == "Ann Lee"
    # The modem really sends it; the page follows the message's state through the bridge.
    qtbot.waitUntil(lambda: history(view, 0, 2) in ("Sent", "Delivered"), timeout=60_000)
    sent = Message.get(Message.source == "reminder")
    assert sent.body == "Hi Ann, see you Thursday"
    assert Reminder.get_by_id(r.id).state == "done"
    assert groups(view) == {}


def test_cancel_from_the_page(qtbot, engine):
    r = reminder(engine, NOW + timedelta(days=2), "to cancel", every=parse_every("month"))
    view = RemindersView(engine)
    qtbot.addWidget(view)
    view.select_reminder(r.id)
    view.cancel_selected(confirm=False)
    qtbot.waitUntil(lambda: groups(view) == {}, timeout=WAIT)
    assert Reminder.get_by_id(r.id).state == "cancelled"
    assert view.status.text() == "Reminder cancelled"


def test_appointment_reply_from_the_customer_shows_as_confirmed(qtbot, engine):
    contact = contact_for_number(ANN, clock=engine.clock)
    appt = on_core(
        engine,
        appointments.create_appointment,
        contact,
        NOW + timedelta(days=3),
        settings=engine.settings,
        clock=engine.clock,
        service="cleaning",
    )
    view = RemindersView(engine)
    qtbot.addWidget(view)
    assert view.appointments_model.rowCount() == 1
    assert appt_cell(view, 0, 3) == "Waiting for reply"
    assert appt_cell(view, 0, 4) == "2"
    first = min(appt.reminders, key=lambda r: r.next_at)
    view.select_reminder(first.id)
    view.send_selected()
    qtbot.waitUntil(lambda: view.history_model.rowCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(engine.ready), timeout=60_000)
    engine.modem.deliver(ANN, "Yes! 👍")
    qtbot.waitUntil(lambda: appt_cell(view, 0, 3) == "Confirmed", timeout=60_000)
    assert appt_cell(view, 0, 5) == "Yes! 👍"
    assert Appointment.get_by_id(appt.id).state == "confirmed"


def test_mark_an_appointment_cancelled_by_hand(qtbot, engine):
    contact = contact_for_number(ANN, clock=engine.clock)
    on_core(
        engine,
        appointments.create_appointment,
        contact,
        NOW + timedelta(days=3),
        settings=engine.settings,
        clock=engine.clock,
    )
    view = RemindersView(engine)
    qtbot.addWidget(view)
    view.appointments.selectRow(0)
    assert view.cancel_appt_button.isEnabled()
    assert view.selected_appointment() == Appointment.get().id
    view.cancel_appt_button.click()
    qtbot.waitUntil(lambda: appt_cell(view, 0, 3) == "Cancelled", timeout=WAIT)
    assert groups(view) == {}  # its reminders are gone from upcoming


# --- the editor -------------------------------------------------------------------------------


def editor(view: RemindersView, reminder_id: int | None = None) -> ReminderEditor:
    dialog = view.editor(reminder_id)
    return dialog


def test_editor_preview_counts_and_creates_a_weekly_reminder(qtbot, engine):
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = editor(view)
    qtbot.addWidget(dlg)
    dlg.search.setText("Ann")
    assert dlg.found.count() == 1
    dlg.add_typed()
    dlg.search.setText("(202) 555-0188")
    dlg.found.clear()
    dlg.add_typed()
    assert dlg.recipients() == [1, "+12025550188"]
    dlg.text.setPlainText("Hi {first_name}, {shop} here on {date} at {time}")
    dlg.set_local_time(datetime(2026, 12, 3, 9, 30))
    assert dlg.preview.text() == "Hi Ann, Smile Dental here on Thu 3 Dec at 9:30 AM"
    assert dlg.count.text().startswith("1 SMS · ")
    dlg.text.setPlainText("Hi {first_name} 😀 {oops}")
    assert dlg.count.text().startswith("1 SMS")
    assert "Unicode" in dlg.count.text() and "{oops}" in dlg.count.text()
    dlg.text.setPlainText("Weekly tip for {first_name}")
    dlg.repeat.setCurrentIndex(2)  # Weekly
    dlg.days[0].setChecked(True)
    dlg.days[3].setChecked(True)
    dlg.end_count.setChecked(True)
    dlg.times.setValue(4)
    with qtbot.waitSignal(dlg.saved, timeout=WAIT):
        dlg.save()
    r = Reminder.select().order_by(Reminder.id.desc()).first()
    rule = Rule.from_json(r.recurrence)
    assert (rule.freq, rule.days, rule.count) == ("weekly", (0, 3), 4)
    assert utc(r.next_at) == datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # Thu 09:30 local
    assert len(list(r.recipients)) == 2
    # The list shows the text as the first recipient (Ann, contact 1) will read it.
    qtbot.waitUntil(lambda: "Weekly tip for Ann" in str(groups(view)), timeout=WAIT)


def test_editor_shows_core_errors_and_stays_open(qtbot, engine):
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = editor(view)
    qtbot.addWidget(dlg)
    dlg.open()
    dlg.search.setText("12")
    dlg.found.clear()
    dlg.add_typed()  # not a number: refused at once, beside the field, and not added
    assert "not a phone number" in dlg.error.text()
    assert dlg.chosen.count() == 0 and dlg.search.text() == "12"
    dlg.text.setPlainText("hello")
    dlg.save()
    qtbot.waitUntil(lambda: "no recipients" in dlg.error.text(), timeout=WAIT)


def test_editor_edits_an_existing_reminder(qtbot, engine):
    r = reminder(engine, NOW + timedelta(days=2), "old text", every=parse_every("month"))
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = editor(view, r.id)
    qtbot.addWidget(dlg)
    assert dlg.text.toPlainText() == "old text"
    assert dlg.repeat.currentData() == "monthly"
    assert dlg.recipients() == [1]
    assert dlg.local_time() == datetime(2026, 12, 3, 10, 0)
    dlg.text.setPlainText("new text")
    dlg.set_local_time(datetime(2026, 12, 5, 11, 0))
    with qtbot.waitSignal(dlg.saved, timeout=WAIT):
        dlg.save()
    r = Reminder.get_by_id(r.id)
    assert r.text == "new text"
    assert utc(r.next_at) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)
    assert Rule.from_json(r.recurrence).freq == "monthly"


def test_editor_creates_an_appointment_with_offsets(qtbot, engine):
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = editor(view)
    qtbot.addWidget(dlg)
    dlg.search.setText("Ann")
    dlg.add_typed()
    dlg.appointment.setChecked(True)
    assert "Reply C to confirm" in dlg.text.toPlainText()
    dlg.service.setText("cleaning")
    dlg.offsets.setText("24h,1h")
    dlg.set_local_time(datetime(2026, 12, 10, 9, 0))
    assert "cleaning appointment on Thu 10 Dec at 9:00 AM" in dlg.preview.text()
    with qtbot.waitSignal(dlg.saved, timeout=WAIT):
        dlg.save()
    appt = Appointment.get()
    assert appt.service == "cleaning"
    assert sorted(r.offset_minutes for r in appt.reminders) == [60, 1440]
    qtbot.waitUntil(lambda: view.appointments_model.rowCount() == 1, timeout=WAIT)


# --- the import dialog ------------------------------------------------------------------------


def big_csv(path: Path, good: int) -> None:
    lines = ["Patient;Mobile;Date;Time;Treatment"]
    for i in range(good):
        lines.append(f"P{i};+1202555{1000 + i:04d};12/{10 + i % 15}/2026;{8 + i % 4}:15 AM;check")
    lines.insert(3, "Broken;12;12/10/2026;9:00;")
    lines.insert(5, "Old;2025550199;01/01/2020;9:00;")
    lines.insert(7, "NoTime;2025550198;12/11/2026;;")
    path.write_bytes("\n".join(lines).encode("cp1252"))


def test_import_dialog_previews_in_a_worker_and_imports_once(qtbot, engine, tmp_path):
    path = tmp_path / "bookings.csv"
    big_csv(path, 2000)
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = view.import_dialog()
    qtbot.addWidget(dlg)
    progress: list[int] = []
    dlg.progress.valueChanged.connect(progress.append)
    dlg.load(str(path))
    qtbot.waitUntil(lambda: dlg.preview is not None, timeout=60_000)
    assert len(progress) > 3 and progress[-1] == 1000
    assert dlg.model.rowCount() == 2003
    assert "2000 appointment(s) to create, 0 already imported, 3 row(s) rejected" in (
        dlg.summary.text()
    )
    rejected = [i for i in range(dlg.model.rowCount()) if dlg.row_status(i) == "Rejected"]
    assert len(rejected) == 3
    reasons = [dlg.model.cell(i, 6) for i in rejected]
    assert reasons[0].startswith("bad number")
    assert reasons[1].startswith("date in the past")
    assert reasons[2] == "missing time"
    index = dlg.model.index(rejected[0], 0)
    assert dlg.model.data(index, Qt.ItemDataRole.ForegroundRole).color().name() == "#b00020"
    assert dlg.model.data(index, Qt.ItemDataRole.ToolTipRole).startswith("bad number")
    assert dlg.import_button.isEnabled()
    with qtbot.waitSignal(dlg.imported, timeout=60_000):
        dlg.import_button.click()
    assert dlg.import_result is not None and len(dlg.import_result.created) == 2000
    assert Appointment.select().count() == 2000
    # The same file again: nothing new to create.
    dlg.load(str(path))
    qtbot.waitUntil(lambda: dlg.preview is not None, timeout=60_000)
    assert "0 appointment(s) to create, 2000 already imported" in dlg.summary.text()
    assert not dlg.import_button.isEnabled()
    assert dlg.row_status(0) == "Already imported"


def test_import_dialog_reports_an_unreadable_file(qtbot, engine, tmp_path):
    dlg = ImportDialog(engine, RemindersView(engine).bridge)
    qtbot.addWidget(dlg)
    dlg.load(str(tmp_path / "missing.csv"))
    qtbot.waitUntil(lambda: "Could not read the file" in dlg.summary.text(), timeout=WAIT)
    assert dlg.preview is None and not dlg.import_button.isEnabled()


def test_runs_are_recorded_for_skips_too(qtbot, engine):
    contact = contact_for_number(BOB, clock=engine.clock)
    contact.opted_out = True
    contact.save()
    r = reminder(engine, NOW + timedelta(days=1), "x", recipients=[BOB])
    view = RemindersView(engine)
    qtbot.addWidget(view)
    view.select_reminder(r.id)
    view.send_selected()
    qtbot.waitUntil(lambda: view.history_model.rowCount() == 1, timeout=WAIT)
    assert history(view, 0, 2) == "Skipped"
    assert history(view, 0, 3) == "opted out"
    assert ReminderRun.get().state == "skipped"


def test_editor_says_when_each_recipient_gets_it_and_warns_of_one_after_the_appointment(
    qtbot, engine
):
    """Quiet hours are the customer's (08:00-21:00): a reminder an hour before a 7:30
    appointment could only go at 08:00, after it; the editor says so before saving."""
    view = RemindersView(engine)
    qtbot.addWidget(view)
    dlg = editor(view)
    qtbot.addWidget(dlg)
    dlg.search.setText("Ann")
    dlg.add_typed()
    dlg.appointment.setChecked(True)
    dlg.offsets.setText("24h,1h")
    dlg.set_local_time(datetime(2026, 12, 10, 7, 30))
    note = dlg.deferral.text()
    assert note.splitlines() == [
        "Quiet hours: the 1d reminder to Ann Lee waits until Wed 09 Dec 08:00.",
        "⚠ Quiet hours: the 1h reminder to Ann Lee could only go at Thu 10 Dec 08:00, after the "
        "appointment starts. Choose other reminder times.",
    ]
    dlg.set_local_time(datetime(2026, 12, 10, 8, 30))
    assert (
        dlg.deferral.text()
        == "Quiet hours: the 1h reminder to Ann Lee waits until Thu 10 Dec 08:00."
    )
    dlg.set_local_time(datetime(2026, 12, 10, 11, 0))
    assert dlg.deferral.text() == ""
