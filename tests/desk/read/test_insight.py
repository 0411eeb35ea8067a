"""The insight figures against a small data set computed by hand; the report command around them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.base import opening_hours
from desk.base.clock import to_db
from desk.cli import report as report_cli
from desk.cli.output import CliError
from desk.read import insight
from desk.store import models as m
from desk.store.activity import Call, ConversationEvent

NY = ZoneInfo("America/New_York")
HOURS = opening_hours.parse("mon-fri 09:00-17:00")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local New York time in the first week of December 2026 (Tue 1st ... Mon 7th)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=NY)


class Shop:
    def __init__(self) -> None:
        self.created = datetime(2026, 11, 1, tzinfo=UTC)

    def conversation(self, number: str) -> m.Conversation:
        contact = m.Contact.create(number=number, created_at=to_db(self.created))
        return m.Conversation.create(contact=contact, last_activity_at=to_db(self.created))

    def text(self, conv: m.Conversation, direction: str, when: datetime, **kw: object) -> m.Message:
        state = m.RECEIVED if direction == m.IN else m.SENT
        return m.Message.create(
            conversation=conv,
            direction=direction,
            body="x",
            state=state,
            created_at=to_db(when),
            **kw,
        )


@pytest.fixture
def shop(database) -> Shop:
    s = Shop()
    a = s.conversation("+12025550101")
    s.text(a, m.IN, at(1, 10, 0))  # question 1
    s.text(a, m.OUT, at(1, 10, 5))  # answered after 5 min
    s.text(a, m.IN, at(1, 10, 6))  # question 2
    s.text(a, m.IN, at(1, 10, 7))  # the same question, still waiting: not counted again
    s.text(a, m.OUT, at(1, 10, 20))  # answered 14 min after question 2
    b = s.conversation("+12025550102")
    s.text(b, m.IN, at(1, 16, 50))  # question 3, ten minutes before closing
    s.text(b, m.OUT, at(1, 16, 55), source="away")  # an automatic answer: not a reply
    s.text(b, m.OUT, at(2, 9, 10))  # answered after 10 + 10 opening minutes
    c = s.conversation("+12025550103")
    s.text(c, m.IN, at(2, 12, 0))  # question 4, never answered
    before = s.conversation("+12025550104")
    s.text(before, m.IN, at(1, 8, 0) - timedelta(days=3))  # outside the period
    for conv, kind, when in (
        (a, "opened", at(1, 10)),
        (b, "opened", at(1, 16)),
        (a, "done", at(1, 11)),
    ):
        ConversationEvent.create(conversation=conv, kind=kind, at=to_db(when))
    textback = s.text(c, m.OUT, at(2, 11, 1), automated=True, source="missed_call")
    Call.create(
        number="+12025550103", contact=c.contact, started_at=to_db(at(2, 11)), textback=textback
    )
    Call.create(number=None, started_at=to_db(at(2, 13)))  # withheld, missed, no text back
    Call.create(
        number="+12025550101", contact=a.contact, started_at=to_db(at(2, 14)), answered=True
    )
    return s


def test_first_reply_times_count_opening_hours_only(shop: Shop) -> None:
    r = insight.build(at(1, 0), at(8, 0), NY, HOURS)
    assert (r.questions, r.unanswered) == (4, 1)
    # waits 300 s, 840 s, 1200 s (16:50-17:00 Tuesday and 09:00-09:10 Wednesday)
    assert r.median_seconds == 840
    assert r.p90_seconds == 1200
    tuesday, wednesday = r.days
    assert (tuesday.start.isoformat(), tuesday.messages_in, tuesday.messages_out) == (
        "2026-12-01",
        4,
        3,
    )
    assert (tuesday.questions, tuesday.answered, tuesday.median_seconds) == (3, 3, 840)
    assert (wednesday.messages_in, wednesday.messages_out) == (1, 2)
    assert (wednesday.questions, wednesday.answered, wednesday.median_seconds) == (1, 0, None)
    assert [w.start.isoformat() for w in r.weeks] == ["2026-11-30"]
    assert r.weeks[0].questions == 4


def test_without_opening_hours_every_hour_counts(shop: Shop) -> None:
    r = insight.build(at(1, 0), at(8, 0), NY)
    assert r.p90_seconds == (at(2, 9, 10) - at(1, 16, 50)).total_seconds()


def test_heatmap_conversations_reminders_and_calls(shop: Shop) -> None:
    r = insight.build(at(1, 0), at(8, 0), NY, HOURS)
    assert r.heatmap[1][10] == 3 and r.heatmap[1][16] == 1 and r.heatmap[2][12] == 1
    assert sum(map(sum, r.heatmap)) == 5
    assert (r.conversations_opened, r.conversations_done) == (2, 1)
    assert r.calls == {"missed": 2, "texted_back": 1, "replied": 1}
    assert r.reminders["sent"] == 0


def test_local_days_follow_the_shop_zone_not_utc(shop: Shop) -> None:
    # 20:00 in New York is 01:00 UTC the next day: it belongs to the New York day.
    conv = shop.conversation("+12025550199")
    shop.text(conv, m.IN, at(3, 20, 0))
    r = insight.build(at(1, 0), at(8, 0), NY, HOURS)
    assert {p.start.isoformat(): p.messages_in for p in r.days}["2026-12-03"] == 1


def test_report_command_text_and_csv(shop: Shop, capsys) -> None:
    text = report_cli.as_text(
        insight.build(at(1, 0), at(8, 0), NY, HOURS), at(1, 0).date(), at(7, 0).date(), False
    )
    assert (
        "First reply: median 14 min, 9 in 10 within 20 min (3 of 4 customer texts answered, 1 still waiting)"
        in text
    )
    assert "Missed calls: 2, 1 texted back, 1 of those texted the shop" in text
    rows = list(
        csv.DictReader(io.StringIO(report_cli.as_csv(insight.build(at(1, 0), at(8, 0), NY, HOURS))))
    )
    assert rows[0] == {
        "day": "2026-12-01",
        "texts_in": "4",
        "texts_out": "3",
        "customer_texts": "3",
        "answered": "3",
        "median_s": "840",
        "p90_s": "1200",
    }


def test_report_period_is_checked_in_plain_words() -> None:
    today = datetime(2026, 12, 1).date()
    assert report_cli.period(None, None, today) == (today - timedelta(days=27), today)
    with pytest.raises(CliError, match="is not a date like 2026-11-01"):
        report_cli.period("yesterday", None, today)
    with pytest.raises(CliError, match="is after --to"):
        report_cli.period("2026-12-05", "2026-12-01", today)


def test_format_duration() -> None:
    assert insight.format_duration(None) == "–"
    assert insight.format_duration(290) == "5 min"
    assert insight.format_duration(3900) == "1 h 05 min"
    assert insight.format_duration(3 * 86400 + 7200) == "3 d 2 h"


def test_conversations_opened_reopened_and_done_are_recorded_as_they_happen(database) -> None:
    from desk.base.clock import FakeClock
    from desk.engine import operations
    from desk.messaging import contacts

    clock = FakeClock(datetime(2026, 12, 1, 15, tzinfo=UTC))
    contact = contacts.contact_for_number("+12025550111", clock=clock)
    conv = contacts.conversation_for(contact, clock=clock)
    clock.advance(60)
    operations.set_status(conv.id, m.DONE, emit=lambda _e: None, clock=clock)
    operations.set_status(conv.id, m.DONE, emit=lambda _e: None, clock=clock)  # no change
    clock.advance(60)
    incoming = m.Message.create(
        conversation=conv,
        direction=m.IN,
        body="hi",
        state=m.RECEIVED,
        created_at=to_db(clock.now()),
        read=False,
    )
    contacts.touch(m.Conversation.get_by_id(conv.id), incoming)
    kinds = [(e.kind, e.at) for e in ConversationEvent.select().order_by(ConversationEvent.id)]
    assert kinds == [
        ("opened", datetime(2026, 12, 1, 15, 0)),
        ("done", datetime(2026, 12, 1, 15, 1)),
        ("reopened", datetime(2026, 12, 1, 15, 2)),
    ]
    r = insight.build(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC), NY)
    assert (r.conversations_opened, r.conversations_done) == (1, 1)
