"""``textdesk remind / reminders / import-appointments`` through desk.cli.main.main on a real profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.base.clock import utc
from desk.cli.main import main
from desk.cli.reminders import WhenError, parse_when
from desk.reminders.recurrence import Rule
from desk.store.db import close_database
from desk.store.models import Appointment, Reminder, ReminderRecipient

NY = ZoneInfo("America/New_York")


@pytest.fixture
def run(tmp_path, capsys):
    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--profile", str(tmp_path / "p"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, _, _ = invoke("config", "timezone", "America/New_York")
    assert code == 0
    yield invoke
    close_database()


def test_parse_when():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_when("+2h", now=now, tz=NY) == now + timedelta(hours=2)
    assert parse_when("+30m", now=now, tz=NY) == now + timedelta(minutes=30)
    assert parse_when("+3d", now=now, tz=NY) == now + timedelta(days=3)
    assert parse_when("+1w", now=now, tz=NY) == now + timedelta(weeks=1)
    assert parse_when("2026-12-01T09:30", now=now, tz=NY) == datetime(
        2026, 12, 1, 14, 30, tzinfo=UTC
    )
    assert parse_when("2026-12-01 09:30", now=now, tz=NY).hour == 14
    assert parse_when("2026-12-01T09:30Z", now=now, tz=NY).hour == 9
    assert parse_when("2026-12-02", now=now, tz=NY) == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    # A time that does not exist (spring forward) becomes the first real minute after.
    assert parse_when("2027-03-14T02:30", now=now, tz=NY) == datetime(2027, 3, 14, 7, tzinfo=UTC)
    with pytest.raises(WhenError, match="not understood"):
        parse_when("next tuesday", now=now, tz=NY)


def test_remind_one_off_and_recurring(run):
    code, out, err = run("remind", "2025550143", "Your", "car", "is", "ready", "--at", "+2h")
    assert (code, err) == (0, "")
    assert out.startswith("reminder 1 scheduled for ")
    r = Reminder.get_by_id(1)
    assert r.text == "Your car is ready" and r.recurrence is None
    assert abs(utc(r.next_at) - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=5)
    code, out, err = run(
        "remind",
        "2025550143, +1 202 555 0188",
        "Recall: time for your check-up",
        "--at",
        "2030-08-31T09:30",
        "--every",
        "6 months",
        "--count",
        "4",
    )
    assert code == 0, err
    assert "every 6 months, 4 times, to 2 recipients" in out
    r = Reminder.get_by_id(2)
    assert utc(r.next_at) == datetime(2030, 8, 31, 13, 30, tzinfo=UTC)
    assert Rule.from_json(r.recurrence).count == 4
    assert ReminderRecipient.select().where(ReminderRecipient.reminder == 2).count() == 2
    code, out, _ = run("reminders")
    assert code == 0
    assert "Today:" in out and "Later:" in out
    assert "every 6 months, 4 times" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["remind", "2025550143", "x", "--at", "2020-01-01T09:00"], "already passed"),
        (["remind", "12", "x", "--at", "+1h"], "not a phone number"),
        (["remind", "2025550143", "x", "--at", "soon"], "not understood"),
        (["remind", "2025550143", "x", "--at", "+1h", "--every", "fortnight"], "not understood"),
        (["remind", "2025550143", "x", "--at", "+1h", "--until", "2030-01-01"], "need a repeat"),
        (["reminders", "--cancel", "99"], "not scheduled"),
    ],
)
def test_errors_are_one_line_and_exit_1(run, argv, message):
    code, _out, err = run(*argv)
    assert code == 1
    assert message in err and err.count("\n") == 1
    assert Reminder.select().count() == 0


def test_usage_error_exits_2(run):
    code, _, err = run("remind", "2025550143", "x")
    assert code == 2 and "--at" in err


def test_cancel(run):
    run("remind", "2025550143", "x", "--at", "+1d")
    code, out, _ = run("reminders", "--cancel", "1")
    assert code == 0 and "cancelled" in out
    assert Reminder.get_by_id(1).state == "cancelled"
    assert "no upcoming reminders" in run("reminders")[1]


def test_import_appointments_dry_run_then_twice(run, tmp_path):
    csv_file = tmp_path / "bookings.csv"
    csv_file.write_bytes(
        "\ufeffCustomer;Cell;Date;Time;Service\n"
        "Ann Lee;202-555-0143;12/01/2030;9:30 AM;cleaning\n"
        "Bob;12;12/01/2030;10:00;\n"
        "Cy;2025550188;12/01/2019;10:00;\n"
        "Di;2025550199;;10:00;\n".encode()
    )
    code, out, _ = run("import-appointments", str(csv_file), "--dry-run")
    assert code == 0
    assert "1 to create, 0 already imported, 3 rejected" in out
    assert "line    2: Ann Lee, +12025550143, Sun 1 Dec 9:30 AM  cleaning" in out
    assert "line    3: bad number" in out
    assert "line    4: date in the past" in out
    assert "line    5: missing date" in out
    assert "dry run: nothing created" in out
    assert Appointment.select().count() == 0
    code, out, _ = run("import-appointments", str(csv_file))
    assert code == 0 and "created 1 appointment(s)" in out
    code, out, _ = run("import-appointments", str(csv_file))
    assert "0 to create, 1 already imported" in out and "created 0 appointment(s)" in out
    assert Appointment.select().count() == 1
    code, out, _ = run("reminders", "--appointments")
    assert "Ann Lee" in out and "pending" in out and "2 reminder(s) to go" in out


def test_import_missing_file_is_one_line(run, tmp_path):
    code, _, err = run("import-appointments", str(tmp_path / "nope.csv"))
    assert code == 1 and "nope.csv" in err
