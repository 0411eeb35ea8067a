"""Recurrence on the local wall clock: month ends, leap days, DST gaps and overlaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.reminders.recurrence import Rule, RuleError, parse_every, parse_weekdays, to_utc

NY = ZoneInfo("America/New_York")
LON = ZoneInfo("Europe/London")


def series(rule: Rule, n: int) -> list[datetime]:
    out = []
    when = rule.first()
    while when is not None and len(out) < n:
        out.append(when)
        when = rule.next_after(when)
    return out


def local(values: list[datetime], tz: ZoneInfo) -> list[str]:
    return [v.astimezone(tz).strftime("%Y-%m-%d %H:%M") for v in values]


def test_monthly_on_the_31st_clamps_to_the_last_day_and_comes_back():
    rule = Rule("monthly", anchor=datetime(2026, 1, 31, 9, 30), tz="America/New_York")
    assert local(series(rule, 5), NY) == [
        "2026-01-31 09:30",
        "2026-02-28 09:30",
        "2026-03-31 09:30",
        "2026-04-30 09:30",
        "2026-05-31 09:30",
    ]


def test_every_six_months_from_august_31_handles_february_of_a_leap_year():
    rule = Rule("monthly", interval=6, anchor=datetime(2027, 8, 31, 10, 0), tz="Europe/London")
    assert local(series(rule, 3), LON) == [
        "2027-08-31 10:00",
        "2028-02-29 10:00",
        "2028-08-31 10:00",
    ]


def test_yearly_on_leap_day_falls_back_to_feb_28():
    rule = Rule("yearly", anchor=datetime(2028, 2, 29, 8, 0), tz="UTC")
    assert local(series(rule, 5), ZoneInfo("UTC")) == [
        "2028-02-29 08:00",
        "2029-02-28 08:00",
        "2030-02-28 08:00",
        "2031-02-28 08:00",
        "2032-02-29 08:00",
    ]


def test_daily_across_the_new_york_spring_gap_keeps_the_wall_clock_and_moves_past_the_gap():
    # 2026-03-08: clocks go 02:00 -> 03:00 in New York. 02:30 does not exist that day.
    rule = Rule("daily", anchor=datetime(2026, 3, 7, 2, 30), tz="America/New_York")
    got = series(rule, 3)
    assert local(got, NY) == ["2026-03-07 02:30", "2026-03-08 03:00", "2026-03-09 02:30"]
    assert got[1] == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # the instant the clocks jumped


def test_daily_across_the_new_york_autumn_overlap_takes_the_first():
    # 2026-11-01: 01:30 happens twice (EDT then EST); the first is 05:30 UTC.
    rule = Rule("daily", anchor=datetime(2026, 10, 31, 1, 30), tz="America/New_York")
    got = series(rule, 3)
    assert got[1] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert local(got, NY) == ["2026-10-31 01:30", "2026-11-01 01:30", "2026-11-02 01:30"]
    assert got[2] - got[1] == timedelta(hours=25)


def test_london_gap_and_overlap():
    # 2026-03-29 01:00 -> 02:00 in London; 2026-10-25 01:00-02:00 happens twice.
    spring = Rule("weekly", anchor=datetime(2026, 3, 22, 1, 15), tz="Europe/London")
    got = series(spring, 3)
    assert got[1] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 BST, first real minute
    assert local(got, LON)[2] == "2026-04-05 01:15"
    autumn = Rule("weekly", anchor=datetime(2026, 10, 18, 1, 15), tz="Europe/London")
    got = series(autumn, 2)
    assert got[1] == datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 01:15 BST, the first one


def test_weekly_on_given_days_every_two_weeks():
    # 2026-12-01 is a Tuesday.
    rule = Rule(
        "weekly",
        interval=2,
        weekdays=parse_weekdays("mon,thu"),
        anchor=datetime(2026, 12, 1, 9, 0),
        tz="UTC",
    )
    assert [d.strftime("%a %d") for d in series(rule, 5)] == [
        "Thu 03",
        "Mon 14",
        "Thu 17",
        "Mon 28",
        "Thu 31",
    ]


def test_count_and_until_end_the_series():
    counted = Rule("daily", count=3, anchor=datetime(2026, 12, 1, 9, 0), tz="UTC")
    assert len(series(counted, 10)) == 3
    until = Rule("monthly", until=date(2027, 3, 1), anchor=datetime(2026, 12, 1, 9, 0), tz="UTC")
    assert local(series(until, 10), ZoneInfo("UTC"))[-1] == "2027-03-01 09:00"
    assert len(series(until, 10)) == 4
    weekly = Rule("weekly", weekdays=(0, 2), count=3, anchor=datetime(2026, 12, 1, 9), tz="UTC")
    assert [d.day for d in series(weekly, 10)] == [2, 7, 9]


def test_rule_round_trips_through_json_and_describes_itself():
    rule = Rule(
        "weekly",
        interval=2,
        weekdays=(0, 3),
        until=date(2027, 1, 1),
        anchor=datetime(2026, 12, 1, 9, 0),
        tz="Europe/London",
    )
    assert Rule.from_json(rule.to_json()) == rule
    assert rule.describe() == "every 2 weeks on Mon, Thu until 2027-01-01"


def test_next_after_far_in_the_future_uses_the_fast_path_and_stays_exact():
    rule = Rule("monthly", anchor=datetime(2026, 1, 31, 9, 0), tz="America/New_York")
    after = datetime(2126, 2, 10, tzinfo=UTC)
    nxt = rule.next_after(after)
    assert nxt is not None
    assert nxt.astimezone(NY).strftime("%Y-%m-%d %H:%M") == "2126-02-28 09:00"
    assert rule.index_of(nxt) == 100 * 12 + 1


def test_bad_rules_are_refused_in_plain_words():
    with pytest.raises(RuleError, match="repeat must be one of"):
        Rule("hourly", anchor=datetime(2026, 1, 1), tz="UTC")
    with pytest.raises(RuleError, match="either an end date or a number"):
        Rule("daily", count=2, until=date(2027, 1, 1), anchor=datetime(2026, 1, 1), tz="UTC")
    with pytest.raises(RuleError, match="before the first"):
        Rule("daily", until=date(2025, 1, 1), anchor=datetime(2026, 1, 1), tz="UTC")
    with pytest.raises(RuleError, match="not understood"):
        parse_every("fortnightly-ish")
    with pytest.raises(RuleError, match="weekday"):
        parse_weekdays("funday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("day", ("daily", 1, ())),
        ("2 days", ("daily", 2, ())),
        ("week:mon,thu", ("weekly", 1, (0, 3))),
        ("2weeks on fri", ("weekly", 2, (4,))),
        ("month", ("monthly", 1, ())),
        ("6 months", ("monthly", 6, ())),
        ("6m", ("monthly", 6, ())),
        ("year", ("yearly", 1, ())),
    ],
)
def test_parse_every(text, expected):
    assert parse_every(text) == expected


@settings(max_examples=150, deadline=None)
@given(
    freq=st.sampled_from(["daily", "weekly", "monthly", "yearly"]),
    interval=st.integers(1, 13),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2035, 12, 31)),
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "UTC"]),
)
def test_occurrences_strictly_increase_and_keep_the_wall_clock(freq, interval, start, zone):
    start = start.replace(second=0, microsecond=0)
    rule = Rule(freq, interval=interval, anchor=start, tz=zone)
    tz = ZoneInfo(zone)
    got = series(rule, 8)
    assert len(got) == 8
    for earlier, later in pairwise(got):
        assert later > earlier
    for k, when in enumerate(got):
        wall = when.astimezone(tz).replace(tzinfo=None)
        # Same wall time, except when a DST gap pushed it to the first real minute after.
        if (wall.hour, wall.minute) != (start.hour, start.minute):
            assert to_utc(wall.replace(hour=start.hour, minute=start.minute), tz) == when
        assert rule.index_of(when) == k
