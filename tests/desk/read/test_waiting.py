"""Why a waiting text waits, in words, from what the send queue and the outbox wrote on it; and
"Send now" past the hold (audited). A real SQLite file; the send queue's own take_jobs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.messaging.outbox import on_part_sent, on_send_failed, queue_message
from desk.messaging.send_queue import send_now, take_jobs
from desk.read import queries, waiting
from desk.store import models as m
from tests.desk.conftest import failed, sent

NY = "+12015550123"
NY_ZONE = ZoneInfo("America/New_York")


def _row(message_id: int) -> queries.MessageRow:
    row = queries.message_row(message_id)
    assert row is not None
    return row


def _words(message_id, clock, **kwargs) -> waiting.Wait:
    wait = waiting.why_waiting(_row(message_id), now=clock.now(), zone=NY_ZONE, **kwargs)
    assert wait is not None
    return wait


def test_a_reminder_in_quiet_hours_says_until_when_and_send_now_sends_it(database, settings, clock):
    clock.advance(timedelta(hours=12))  # 03:00 UTC: 22:00 in New York, inside quiet hours
    reminder = queue_message(NY, "See you tomorrow", source="reminder", automated=True,
                             settings=settings, clock=clock)  # fmt: skip
    assert take_jobs(settings=settings, clock=clock) == []
    wait = _words(reminder.id, clock)
    assert wait.reason == m.HELD_QUIET_HOURS
    assert wait.words == "Waiting: quiet hours for automated texts, goes at Tue 08:00."
    assert wait.until is not None and wait.until.astimezone(NY_ZONE).hour == 8
    assert wait.can_send_now
    # a shop in London sees its own clock, and the customer's
    london = waiting.why_waiting(_row(reminder.id), now=clock.now(), zone=ZoneInfo("Europe/London"),
                                 customer_zone=NY_ZONE)  # fmt: skip
    assert london is not None and london.words == (
        "Waiting: quiet hours for automated texts, goes at 13:00 (08:00 for the customer)."
    )

    send_now(reminder.id, staff="Anna", clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock)
    assert job.job_id == reminder.id
    audit = m.AuditLog.get(m.AuditLog.action == "send_now")
    assert audit.staff == "Anna" and "quiet_hours" in audit.detail
    row = _row(reminder.id)
    assert (row.state, row.held_reason, row.held_until) == (m.SENDING, None, None)
    assert waiting.why_waiting(row, now=clock.now()) is None  # not waiting any more


def test_the_minute_limit_names_itself_and_the_time_it_frees(database, settings, clock):
    settings.set("rate_per_minute", 1)
    first = queue_message(NY, "one", source="reminder", automated=True, settings=settings,
                          clock=clock)  # fmt: skip
    second = queue_message(NY, "two", source="reminder", automated=True, settings=settings,
                           clock=clock)  # fmt: skip
    (job,) = take_jobs(settings=settings, clock=clock)
    on_part_sent(sent(job, 1, 1, 1), clock=clock)
    clock.advance(20)
    assert take_jobs(settings=settings, clock=clock) == []
    wait = _words(second.id, clock, limits=waiting.Limits(per_minute=1))
    assert wait.reason == m.HELD_RATE_MINUTE
    # sent at 10:00:00 New York time: the minute frees at 10:01
    assert wait.words == "Waiting: held by the 1-a-minute limit for automated texts, goes at 10:01."
    assert first.id == job.job_id


def test_a_modem_error_says_its_code_and_when_it_is_retried(database, settings, clock):
    message = queue_message(NY, "Saturday 10am", source="staff", settings=settings, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock)
    on_send_failed(failed(job, 1, 1, retryable=True, code=38), clock=clock)
    wait = _words(message.id, clock)
    assert wait.reason == m.HELD_RETRY and wait.can_send_now
    assert wait.words.startswith("Waiting: the modem answered error 38")
    assert ", retrying at 10:0" in wait.words
    send_now(message.id, clock=clock)
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock)] == [message.id]


def test_the_modem_comes_first_and_send_now_is_not_offered_then(database, settings, clock):
    message = queue_message(NY, "We open at 9", source="staff", settings=settings, clock=clock)
    wait = _words(message.id, clock, modem_waiting="the modem has no mobile network")
    assert wait.reason == waiting.MODEM and not wait.can_send_now
    assert wait.words == (
        "Waiting: the modem has no mobile network. It goes as soon as the modem can send."
    )
    nothing = _words(message.id, clock)
    assert (nothing.reason, nothing.words) == (waiting.QUEUE, "")


def test_send_now_refuses_what_is_not_waiting(database, settings, clock):
    message = queue_message(NY, "hello", source="staff", settings=settings, clock=clock)
    take_jobs(settings=settings, clock=clock)
    with pytest.raises(ValueError, match="not waiting"):
        send_now(message.id, clock=clock)
    with pytest.raises(ValueError, match="no outgoing message"):
        send_now(424242, clock=clock)
    assert not m.AuditLog.select().where(m.AuditLog.action == "send_now").exists()


def test_a_reminder_behind_a_held_reply_says_quiet_hours_when_they_hold_it(
    database, settings, clock
):
    settings.set("rate_per_minute", 1)
    settings.set("rate_per_minute_staff", 1)
    clock.advance(timedelta(hours=12))  # 22:00 in New York: quiet hours for automated texts
    first = queue_message(NY, "one", source="staff", settings=settings, clock=clock)
    second = queue_message(NY, "two", source="staff", settings=settings, clock=clock)
    reminder = queue_message(NY, "See you", source="reminder", automated=True,
                             settings=settings, clock=clock)  # fmt: skip
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock)] == [first.id]
    assert take_jobs(settings=settings, clock=clock) == []
    assert _row(second.id).held_reason == m.HELD_RATE_MINUTE
    assert _words(reminder.id, clock).reason == m.HELD_QUIET_HOURS
