"""Opening hours: parsing as written on the door, open/closed instants, DST, midnight, holidays."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.base import opening_hours as oh

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


def test_parse_week_ranges_two_spans_and_closed_days() -> None:
    hours = oh.parse("mon-fri 09:00-12:30,13:30-18:00; sat 10-14; sun closed", ["2026-12-25"])
    assert hours.week[0] == ((time(9), time(12, 30)), (time(13, 30), time(18)))
    assert hours.week[4] == hours.week[0]
    assert hours.week[5] == ((time(10), time(14)),)
    assert hours.week[6] == ()
    assert hours.closed == frozenset({datetime(2026, 12, 25).date()})
    assert oh.format_week(hours) == ("mon-fri 09:00-12:30,13:30-18:00; sat 10:00-14:00; sun closed")
    assert oh.parse(oh.format_week(hours)).week == hours.week


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mo 09:00-18:00", "should start with a day"),
        ("mon", "gives days but no hours"),
        ("mon 9-", "is not a time span"),
        ("mon 25:00-26:00", "is not a time of day"),
        ("mon 09:00-09:00", "opens and closes at the same time"),
    ],
)
def test_parse_refuses_in_one_plain_sentence(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        oh.parse(text)


def test_closed_dates_must_be_dates() -> None:
    with pytest.raises(ValueError, match="Closed days are dates like 2026-12-25"):
        oh.parse("mon 09-17", ["christmas"])


def test_no_hours_means_always_open() -> None:
    hours = oh.parse("")
    assert hours.always_open
    now = datetime(2026, 12, 1, 3, tzinfo=UTC)
    assert oh.is_open(hours, now, LONDON)
    assert oh.next_open(hours, now, LONDON) == now
    assert oh.open_seconds(hours, now, now + timedelta(hours=2), LONDON) == 7200


def test_open_and_next_open_on_an_ordinary_week() -> None:
    hours = oh.parse("mon-fri 09:00-18:00")
    tue_8 = local(NEW_YORK, 2026, 12, 1, 8, 0)  # a Tuesday
    assert not oh.is_open(hours, tue_8, NEW_YORK)
    assert oh.next_open(hours, tue_8, NEW_YORK) == local(NEW_YORK, 2026, 12, 1, 9).astimezone(UTC)
    assert oh.is_open(hours, local(NEW_YORK, 2026, 12, 1, 9), NEW_YORK)
    assert not oh.is_open(hours, local(NEW_YORK, 2026, 12, 1, 18), NEW_YORK)
    fri_evening = local(NEW_YORK, 2026, 12, 4, 19)
    assert oh.next_open(hours, fri_evening, NEW_YORK) == local(NEW_YORK, 2026, 12, 7, 9).astimezone(
        UTC
    )
    assert oh.describe_next_open(hours, fri_evening, NEW_YORK) == "Monday at 09:00"
    assert oh.describe_next_open(hours, tue_8, NEW_YORK) == "today at 09:00"
    assert oh.describe_next_open(hours, local(NEW_YORK, 2026, 12, 1, 20), NEW_YORK) == (
        "tomorrow at 09:00"
    )


def test_a_span_across_midnight_belongs_to_the_day_it_starts() -> None:
    hours = oh.parse("fri 18:00-02:00")
    assert oh.is_open(hours, local(LONDON, 2026, 12, 5, 1, 30), LONDON)  # Saturday 01:30
    assert not oh.is_open(hours, local(LONDON, 2026, 12, 5, 2, 0), LONDON)
    assert not oh.is_open(hours, local(LONDON, 2026, 12, 4, 17, 59), LONDON)
    span = oh.open_seconds(hours, local(LONDON, 2026, 12, 4), local(LONDON, 2026, 12, 6), LONDON)
    assert span == 8 * 3600


def test_a_closed_day_closes_that_day_but_not_the_night_before() -> None:
    hours = oh.parse("mon-sun 20:00-02:00", ["2026-12-25"])
    assert oh.is_open(hours, local(LONDON, 2026, 12, 25, 1), LONDON)  # from the 24th's evening
    assert not oh.is_open(hours, local(LONDON, 2026, 12, 25, 21), LONDON)
    assert oh.next_open(hours, local(LONDON, 2026, 12, 25, 3), LONDON) == (
        local(LONDON, 2026, 12, 26, 20).astimezone(UTC)
    )


def test_every_day_closed_has_no_next_open() -> None:
    hours = oh.parse("mon 09-17", [f"2026-12-{d:02d}" for d in (7, 14, 21, 28)])
    assert oh.next_open(hours, local(LONDON, 2026, 12, 1), LONDON) == local(
        LONDON, 2027, 1, 4, 9
    ).astimezone(UTC)
    never = oh.OpeningHours(((), (), (), (), (), (), ()), frozenset())
    assert never.always_open  # no spans at all means no hours set, not "never open"


def test_opening_time_inside_a_dst_gap_opens_after_the_gap() -> None:
    # London springs forward on 2026-03-29 at 01:00 -> 02:00; 01:30 does not exist that day.
    hours = oh.parse("sun 01:30-05:00")
    opens = oh.next_open(hours, local(LONDON, 2026, 3, 29, 0, 0), LONDON)
    assert opens == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 BST, the first real minute
    assert (
        oh.open_seconds(hours, local(LONDON, 2026, 3, 28), local(LONDON, 2026, 3, 30), LONDON)
        == 3 * 3600
    )


def test_opening_hours_across_the_autumn_overlap_count_the_real_hours() -> None:
    # London falls back on 2026-10-25 at 02:00 -> 01:00: 00:00-04:00 lasts five real hours.
    hours = oh.parse("sun 00:00-04:00")
    total = oh.open_seconds(hours, local(LONDON, 2026, 10, 24), local(LONDON, 2026, 10, 26), LONDON)
    assert total == 5 * 3600


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 10),
)
def test_open_seconds_never_exceeds_elapsed_and_adds_up(start: datetime, minutes: int) -> None:
    hours = oh.parse("mon-fri 09:00-17:30; sat 22:00-03:00")
    a = start.replace(tzinfo=UTC)
    b = a + timedelta(minutes=minutes)
    mid = a + timedelta(minutes=minutes // 2)
    total = oh.open_seconds(hours, a, b, NEW_YORK)
    assert 0 <= total <= (b - a).total_seconds()
    halves = oh.open_seconds(hours, a, mid, NEW_YORK) + oh.open_seconds(hours, mid, b, NEW_YORK)
    assert total == pytest.approx(halves, abs=1e-6)
    nxt = oh.next_open(hours, a, NEW_YORK)
    assert nxt is not None and nxt >= a
    assert oh.is_open(hours, nxt, NEW_YORK)
    assert oh.open_seconds(hours, a, nxt, NEW_YORK) == 0


@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 60 * 24 * 60), st.integers(0, 60 * 24 * 20)),
        min_size=1,
        max_size=8,
    )
)
def test_the_calendar_agrees_with_open_seconds(pairs: list[tuple[int, int]]) -> None:
    hours = oh.parse("mon-fri 09:00-12:30,13:30-17:30; sat 22:00-03:00", ["2026-03-09"])
    origin = datetime(2026, 2, 20, tzinfo=UTC)  # across New York's spring DST change
    calendar = oh.Calendar(hours, origin, origin + timedelta(days=90), NEW_YORK)
    for offset, length in pairs:
        a = origin + timedelta(minutes=offset)
        b = a + timedelta(minutes=length)
        assert calendar.seconds(a, b) == pytest.approx(oh.open_seconds(hours, a, b, NEW_YORK))
    assert calendar.seconds(origin, origin - timedelta(hours=1)) == 0
