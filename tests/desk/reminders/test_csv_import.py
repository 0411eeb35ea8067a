"""CSV import of appointments: formats booking systems export, broken rows, idempotency."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk.base.clock import FakeClock
from desk.reminders.csv_import import import_rows, mark_existing, preview_file
from desk.reminders.csv_parse import (
    QUOTE_OPEN,
    FieldError,
    parse,
    parse_date,
    parse_datetime,
    parse_time,
)
from desk.store.db import close_database, open_database
from desk.store.models import Appointment, Contact, Reminder
from desk.store.settings import Settings

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("2026-12-01", "US", date(2026, 12, 1)),
        ("2026/12/01", "GB", date(2026, 12, 1)),
        ("12/01/2026", "US", date(2026, 12, 1)),
        ("01/12/2026", "GB", date(2026, 12, 1)),
        ("01/12/2026", "DE", date(2026, 12, 1)),
        ("25/12/2026", "US", date(2026, 12, 25)),  # unambiguous either way
        ("12/25/2026", "GB", date(2026, 12, 25)),
        ("01.12.2026", "US", date(2026, 12, 1)),  # dots: day first
        ("1 Dec 2026", "US", date(2026, 12, 1)),
        ("Dec 1, 2026", "GB", date(2026, 12, 1)),
        ("Tuesday, December 1st, 2026", "US", date(2026, 12, 1)),
        ("01-Dec-26", "US", date(2026, 12, 1)),
        ("2026 Dec 1", "US", date(2026, 12, 1)),
        ("20261201", "US", date(2026, 12, 1)),
    ],
)
def test_dates(text, country, expected):
    assert parse_date(text, country=country) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:30", time(9, 30)),
        ("9:30", time(9, 30)),
        ("9:30 AM", time(9, 30)),
        ("9:30pm", time(21, 30)),
        ("12:15 PM", time(12, 15)),
        ("12:15 a.m.", time(0, 15)),
        ("0930", time(9, 30)),
        ("930", time(9, 30)),
        ("9am", time(9, 0)),
        ("9 PM", time(21, 0)),
        ("21h30", time(21, 30)),
        ("9.30", time(9, 30)),
        ("09:30:00", time(9, 30)),
    ],
)
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9", "13pm", "soon", "", "12:61", "2400"])
def test_bad_times(text):
    with pytest.raises(FieldError):
        parse_time(text)


@pytest.mark.parametrize("text", ["2026-13-01", "31/31/2026", "Foo 1 2026", "1 Dec", "tomorrow"])
def test_bad_dates(text):
    with pytest.raises(FieldError, match="not understood"):
        parse_date(text, country="US")


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 09:30",
        "2026-12-01T09:30:00",
        "12/01/2026 9:30 AM",
        "Tuesday, December 1, 2026 at 9:30 am",
        "2026-12-01T14:30:00Z",
        "2026-12-01T09:30:00-05:00",
    ],
)
def test_combined_datetime(text):
    assert parse_datetime(text, country="US", tz=NY) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


BOOKING_EXPORT = (
    "Patient;Mobile;Appointment Date;Time;Treatment;Notes\r\n"
    "Ann Lee;(202) 555-0143;12/01/2026;9:30 AM;cleaning;\r\n"
    "Bob Ray;202 555 0188;1 Dec 2026;0930;;bring x-rays\r\n"
    "Carl;12;2026-12-01;09:30;;\r\n"
    "Dora;2025550199;2025-01-01;09:30;;\r\n"
    "Eve;2025550111;someday;09:30;;\r\n"
    ";2025550112;2026-12-02;10:00;;\r\n"
    "\r\n"
    "Fay;2025550113;Dec 3, 2026;;x;\r\n"
    "Ann Lee;(202) 555-0143;12/01/2026;09:30;cleaning;\r\n"
    'Gus "the mechanic";2025550114;2026-12-04;2pm;"oil, filters";"two\r\nlines"\r\n'
)


def test_a_booking_export_with_broken_rows_reports_every_row():
    p = parse(BOOKING_EXPORT.encode("utf-8-sig"), country="US", tz=NY, now=NOW)
    assert p.encoding == "utf-8-sig" and p.delimiter == ";"
    assert [(r.line, r.name, r.phone) for r in p.rows] == [
        (2, "Ann Lee", "+12025550143"),
        (3, "Bob Ray", "+12025550188"),
        (12, 'Gus "the mechanic"', "+12025550114"),
    ]
    assert p.rows[0].service == "cleaning" and p.rows[1].note == "bring x-rays"
    assert p.rows[2].service == "oil, filters" and p.rows[2].note == "two lines"
    reasons = {r.line: r.reason for r in p.rejected}
    assert reasons[4].startswith("bad number")
    assert reasons[5].startswith("date in the past")
    assert reasons[6] == "date “someday” not understood"
    assert reasons[7] == "missing name"
    assert reasons[9] == "missing time"
    assert reasons[10] == "same phone and time as line 2"
    assert len(reasons) == 6


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(encoding, delimiter):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["Customer", "Cell", "Date", "Time", "Service"])
    w.writerow(["Zoë Müller", "+1 202 555 0143", "2026-12-01", "09:30", "Haircut, long"])
    w.writerow(["José", "202-555-0188", "12/02/2026", "10:15 PM", "Café visit"])
    p = parse(buf.getvalue().encode(encoding), country="US", tz=NY, now=NOW)
    assert [r.name for r in p.rows] == ["Zoë Müller", "José"]
    assert p.rows[0].service == "Haircut, long" and p.rows[1].service == "Café visit"
    assert p.rows[1].starts_at == datetime(2026, 12, 3, 3, 15, tzinfo=UTC)
    assert p.rejected == []


def test_no_header_and_a_combined_datetime_column_and_first_last_names():
    plain = "Ann,2025550143,2026-12-01,09:30\nBob,2025550188,2026-12-01,10:00,bring forms,x-ray\n"
    p = parse(plain.encode(), country="US", tz=NY, now=NOW)
    assert [r.name for r in p.rows] == ["Ann", "Bob"]
    assert (p.rows[1].note, p.rows[1].service) == ("bring forms", "x-ray")
    three = "Ann,2025550143,2026-12-01 09:30\n"
    assert parse(three.encode(), country="US", tz=NY, now=NOW).rows[0].starts_at.hour == 14
    named = (
        "First Name,Last Name,Phone Number,Start Date/Time\nAnn,Lee,2025550143,12/01/2026 9:30 AM\n"
    )
    p = parse(named.encode(), country="US", tz=NY, now=NOW)
    assert p.rows[0].name == "Ann Lee"
    assert p.rows[0].starts_at == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_a_gb_shop_reads_day_first_and_local_numbers():
    text = "Name,Phone,Date,Time\nAnn,07911 123456,01/12/2026,09:30\n"
    p = parse(text.encode(), country="GB", tz=ZoneInfo("Europe/London"), now=NOW)
    assert p.rows[0].phone == "+447911123456"
    assert p.rows[0].starts_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_csv_error_loses_only_that_row():
    huge = "x" * 200_000  # bigger than csv's field limit
    text = f"Name,Phone,Date,Time\nAnn,2025550143,2026-12-01,09:30\nBad,{huge},1,2\nBob,2025550188,2026-12-01,10:00\n"
    p = parse(text.encode(), country="US", tz=NY, now=NOW)
    assert [r.name for r in p.rows] == ["Ann", "Bob"]
    assert len(p.rejected) == 1 and "not readable" in p.rejected[0].reason


def test_progress_is_reported_for_big_files():
    lines = ["Name,Phone,Date,Time"] + [
        f"P{i},+1202555{i % 10000:04d},2026-12-{1 + i % 28:02d},{8 + i % 10}:00"
        for i in range(3000)
    ]
    seen: list[tuple[int, int]] = []
    p = parse(
        "\n".join(lines).encode(),
        country="US",
        tz=NY,
        now=NOW,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert len(p.rows) + len(p.rejected) == 3000
    assert len(seen) > 5
    assert seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    p = parse(data, country="US", tz=NY, now=NOW)
    for row in p.rows:
        assert row.phone.startswith("+") and row.starts_at > NOW
    for rejected in p.rejected:
        assert rejected.reason


CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "2026-12-01",
            "12/01/2026",
            "1 Dec 2026",
            "9:30 AM",
            "0930",
            "2025550143",
            "+44 7911 123456",
        ]
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, min_size=0, max_size=7), max_size=20),
    delimiter=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
)
def test_every_row_is_either_accepted_or_rejected_with_a_reason(rows, delimiter, header):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if header:
        w.writerow(["Name", "Phone", "Date", "Time", "Note", "Service"])
    w.writerows(rows)
    p = parse(buf.getvalue().encode(), country="US", tz=NY, now=NOW)
    lines = [r.line for r in p.rows] + [r.line for r in p.rejected]
    assert len(lines) == len(set(lines))
    reader = csv.reader(io.StringIO(buf.getvalue(), newline=""), delimiter=p.delimiter)
    nonblank = [r for r in reader if any(c.strip() for c in r)]
    consumed_as_header = len(nonblank) - len(lines)
    assert consumed_as_header in (0, 1)
    assert consumed_as_header == 1 or not header
    assert all(r.reason for r in p.rejected)


# --- with the database ---------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    database = open_database(tmp_path / "c.sqlite3")
    settings_ = Settings()
    settings_.set("timezone", "America/New_York")
    clock = FakeClock(NOW)
    yield settings_, clock, tmp_path
    database.close()
    close_database()


def test_importing_the_same_file_twice_creates_nothing_new(env):
    settings_, clock, tmp_path = env
    path = tmp_path / "export.csv"
    path.write_bytes(BOOKING_EXPORT.encode("cp1252"))
    first = preview_file(path, settings=settings_, clock=clock)
    assert len(first.new_rows) == 3
    result = import_rows(first.new_rows, settings=settings_, clock=clock)
    assert len(result.created) == 3 and result.failed == []
    assert Appointment.select().count() == 3
    assert Reminder.select().count() == 6  # 48 h and 2 h before each
    assert Contact.get(Contact.number == "+12025550143").name == "Ann Lee"
    again = preview_file(path, settings=settings_, clock=clock)
    assert again.new_rows == [] and again.existing == 3
    result = import_rows(again.rows, settings=settings_, clock=clock)
    assert result.created == [] and result.existing == 3
    assert Appointment.select().count() == 3


def test_a_row_that_fails_at_import_time_does_not_stop_the_others(env):
    settings_, clock, _ = env
    text = (
        "Name,Phone,Date,Time\nAnn,2025550143,2026-11-01,06:00\nBob,2025550188,2026-12-01,10:00\n"
    )
    preview = mark_existing(
        parse(text.encode(), country="US", tz=NY, now=datetime(2026, 10, 1, tzinfo=UTC))
    )
    assert len(preview.rows) == 2
    result = import_rows(preview.rows, settings=settings_, clock=clock)  # Ann's time has passed now
    assert len(result.created) == 1
    assert result.failed[0].line == 2 and "passed" in result.failed[0].reason


# --- a quote left open (issue 11, item 3) --------------------------------------------------------


def test_a_quote_left_open_is_reported_on_its_line_and_the_rows_after_it_count():
    text = (
        "Name,Phone,Date,Time,Note\n"
        "Ann,2025550143,2026-12-01,09:30,fine\n"
        'Bad,2025550100,2026-12-01,10:00,"no closing quote\n'
        "Bob,2025550188,2026-12-02,10:00,ok\n"
        "Cy,2025550199,2026-12-03,11:00,ok\n"
    )
    p = parse(text.encode(), country="US", tz=NY, now=NOW)
    assert [(r.line, r.name) for r in p.rows] == [(2, "Ann"), (4, "Bob"), (5, "Cy")]
    assert [(r.line, r.reason) for r in p.rejected] == [(3, QUOTE_OPEN)]


def test_a_quote_closed_later_still_leaves_each_row_on_its_own_line():
    # The quote opened on line 2 is "closed" by the first quote of line 4: the rows between
    # and that row itself are judged on their own, the bad one and the other bad one under theirs.
    text = (
        "Name,Phone,Date,Time\n"
        '"Bad,2025550100,2026-12-01,10:00\n'
        "Bob,2025550188,2026-12-02,10:00\n"
        'Cy,2025550199,"2026-12-03",11:00\n'
        "Dee,not a number,2026-12-03,12:00\n"
    )
    p = parse(text.encode(), country="US", tz=NY, now=NOW)
    assert [(r.line, r.name) for r in p.rows] == [(3, "Bob"), (4, "Cy")]
    reasons = {r.line: r.reason for r in p.rejected}
    assert reasons[2] == QUOTE_OPEN
    assert reasons[5].startswith("bad number")
    assert len(reasons) == 2


def test_two_good_rows_after_a_bad_one_are_rejected_under_their_own_lines():
    text = (
        "Name,Phone,Date,Time\n"
        'Bad,"2025550100,2026-12-01,10:00\n'
        "Bob,2025550188,2020-12-02,10:00\n"  # in the past: rejected, but as line 3
        "Cy,2025550199,2026-12-03,11:00\n"
    )
    p = parse(text.encode(), country="US", tz=NY, now=NOW)
    assert [(r.line, r.name) for r in p.rows] == [(4, "Cy")]
    reasons = {r.line: r.reason for r in p.rejected}
    assert reasons == {2: QUOTE_OPEN, 3: reasons[3]}
    assert reasons[3].startswith("date in the past")


def test_a_quoted_note_with_line_breaks_is_still_one_row():
    text = (
        "Name,Phone,Date,Time,Note\n"
        'Ann,2025550143,2026-12-01,09:30,"call first,\nthen knock\n"\n'
        "Bob,2025550188,2026-12-02,10:00,ok\n"
    )
    p = parse(text.encode(), country="US", tz=NY, now=NOW)
    assert [(r.line, r.name, r.note) for r in p.rows] == [
        (4, "Ann", "call first, then knock"),
        (5, "Bob", "ok"),
    ]
    assert p.rejected == []


def test_a_quote_left_open_in_an_import_through_the_database(env):
    settings_, clock, tmp_path = env
    path = tmp_path / "open-quote.csv"
    path.write_text(
        "Name,Phone,Date,Time\n"
        'Bad,2025550100,"2026-12-01,10:00\n'
        "Bob,2025550188,2026-12-02,10:00\n"
        "Cy,2025550199,2026-12-03,11:00\n"
    )
    preview = preview_file(path, settings=settings_, clock=clock)
    assert [(r.line, r.reason) for r in preview.rejected] == [(2, QUOTE_OPEN)]
    result = import_rows(preview.new_rows, settings=settings_, clock=clock)
    assert len(result.created) == 2 and result.failed == []
    names = sorted(a.contact.name for a in Appointment.select())
    assert names == ["Bob", "Cy"]
