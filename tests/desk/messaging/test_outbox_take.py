"""take_jobs whose cost does not grow with the queue: a bounded number of SQL statements, batches
that continue past rows skipped (opted out, held for quiet hours), settings read in one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk.messaging import outbox, ratelimit, send_queue
from desk.messaging.outbox import on_part_sent, queue_message
from desk.messaging.send_queue import take_jobs
from desk.store.chunks import chunks
from desk.store.models import FAILED, OUT, QUEUED, SENDING, Contact, Message, MessagePart
from tests.desk.conftest import failed, sent
from tests.helpers.sql_trace import setting_reads, statements

NY = "+12015550123"  # America/New_York: 10:00 at the fixture's 15:00 UTC
TOKYO = "+81312345678"  # 00:00 there: quiet hours


def _bulk_queue(settings, clock, count, *, number=NY, automated=False, parts=1):
    """``count`` queued messages to ``number``, in the rows queue_message writes (one real
    queue_message for the contact and conversation, the rest inserted in bulk for speed)."""
    first = queue_message(
        number,
        "x" * (153 * parts - 10) if parts > 1 else "first",
        source="reminder" if automated else "staff",
        automated=automated,
        settings=settings,
        clock=clock,
    )
    base = first.created_at
    rows = [
        {
            "conversation": first.conversation_id,
            "direction": OUT,
            "body": f"bulk {i}",
            "encoding": "gsm7",
            "parts": first.parts,
            "state": QUEUED,
            "created_at": base + timedelta(milliseconds=i + 1),
            "source": first.source,
            "automated": automated,
            "priority": first.priority,
        }
        for i in range(count - 1)
    ]
    ids = [first.id]
    with outbox.db.atomic():
        for piece in chunks(rows):
            cursor = Message.insert_many(piece).execute()
            if isinstance(cursor, int):  # SQLite: the last row's id
                ids.extend(range(cursor - len(piece) + 1, cursor + 1))
            else:  # PostgreSQL: the ids, from INSERT ... RETURNING
                ids.extend(int(row[0]) for row in cursor)
        parts_rows = [
            {"message": mid, "seq": seq, "number": number}
            for mid in ids[1:]
            for seq in range(1, first.parts + 1)
        ]
        for piece in chunks(parts_rows):
            MessagePart.insert_many(piece).execute()
    return ids


def _take(database, settings, clock, limit=10):
    with statements(database) as seen:
        jobs = take_jobs(settings=settings, clock=clock, limit=limit)
    return jobs, len(seen)


def test_statement_count_does_not_grow_with_the_queue(database, settings, clock):
    settings.set("rate_per_minute", 60)
    small_ids = _bulk_queue(settings, clock, 50)
    jobs, small = _take(database, settings, clock, limit=10)
    assert [j.job_id for j in jobs] == small_ids[:10]
    # 5,000 more behind them: the next call costs the same number of statements.
    clock.advance(1)
    _bulk_queue(settings, clock, 5000, number="+12015550124")
    jobs, large = _take(database, settings, clock, limit=10)
    assert [j.job_id for j in jobs] == small_ids[10:20]
    assert large == small
    assert large <= 12  # settings snapshot, budget, one batch, two updates, transaction statements
    states = dict(
        Message.select(Message.id, Message.state).where(Message.id.in_(small_ids[:20])).tuples()
    )
    assert set(states.values()) == {SENDING}
    assert Message.select().where(Message.state == QUEUED).count() == 5050 - 20


def test_batches_continue_past_opted_out_messages_in_send_order(database, settings, clock):
    blocked = _bulk_queue(settings, clock, send_queue.TAKE_BATCH + 20)
    Contact.update(opted_out=True).where(Contact.number == NY).execute()
    clock.advance(1)
    wanted = _bulk_queue(settings, clock, 5, number="+12015550124")
    jobs = take_jobs(settings=settings, clock=clock, limit=3)
    assert [j.job_id for j in jobs] == wanted[:3]
    failed = Message.select().where(Message.id.in_(blocked))
    assert {m.state for m in failed} == {FAILED}
    assert all("opted out" in m.error for m in failed)
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock, limit=5)] == wanted[3:]


def test_many_held_for_quiet_hours_are_passed_over_in_bounded_calls(database, settings, clock):
    settings.set("rate_per_minute", 60)
    held = _bulk_queue(
        settings, clock, send_queue.TAKE_SCAN_LIMIT + 100, number=TOKYO, automated=True
    )
    clock.advance(1)
    (allowed,) = _bulk_queue(settings, clock, 1, automated=True)
    taken: list[int] = []
    counts = []
    for _ in range(3):
        jobs, count = _take(database, settings, clock, limit=5)
        taken += [j.job_id for j in jobs]
        counts.append(count)
    assert taken == [allowed]
    assert max(counts) <= 20  # holds are written as one UPDATE per release time
    released = {m.not_before for m in Message.select().where(Message.id.in_(held))}
    assert released == {datetime(2026, 1, 5, 23, 0)}  # 08:00 in Tokyo


def test_staff_still_go_when_the_day_budget_stops_automated_ones(database, settings, clock):
    settings.set("rate_per_day", 2)
    settings.set("rate_per_minute", 60)
    automated = _bulk_queue(settings, clock, send_queue.TAKE_BATCH * 2, automated=True)
    jobs = take_jobs(settings=settings, clock=clock, limit=5)
    assert [j.job_id for j in jobs] == automated[:2]
    staff = _bulk_queue(settings, clock, 3, number="+12015550124")
    _send(jobs, clock)
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock, limit=5)] == staff


def _send(jobs, clock):
    for ref, job in enumerate(jobs, 1):
        on_part_sent(sent(job, 1, ref, 1), clock=clock)


def test_multipart_resume_marks_only_the_parts_not_sent(database, settings, clock):
    (message,) = _bulk_queue(settings, clock, 1, parts=3)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_part_sent(sent(job, 1, 7, 3), clock=clock)
    Message.update(state=QUEUED).where(Message.id == message).execute()
    MessagePart.update(state="failed").where(MessagePart.seq > 1).execute()
    (again,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert again.start_part == 2
    states = [p.state for p in MessagePart.select().order_by(MessagePart.seq)]
    assert states == ["sent", "pending", "pending"]
    assert Message.get_by_id(message).attempts == 2


def test_take_reads_the_settings_once_whatever_the_batch(database, settings, clock):
    """The settings come in one snapshot query however many automated messages are judged
    against quiet hours and the rate limit."""
    settings.set("rate_per_minute", 60)
    _bulk_queue(settings, clock, 120, automated=True)
    _bulk_queue(settings, clock, 30, number=TOKYO, automated=True)
    with statements(database) as seen:
        jobs = take_jobs(settings=settings, clock=clock, limit=40)
    assert len(jobs) == 40
    assert setting_reads(seen) == 1


def test_rate_limit_usage_is_one_query(database, settings, clock):
    _bulk_queue(settings, clock, 3)
    jobs = take_jobs(settings=settings, clock=clock, limit=2)
    _send(jobs[:1], clock)
    with statements(database) as seen:
        used = ratelimit.usage(clock=clock)
    assert len(seen) == 1
    assert used == (2, 2)  # one part sent, one in flight
    clock.advance(61)
    assert ratelimit.usage(clock=clock) == (1, 2)
    clock.advance(24 * 3600)
    assert ratelimit.usage(clock=clock) == (1, 1)
    budget = ratelimit.budget(settings=settings, clock=clock)
    assert (budget.per_minute, budget.used_minute) == (6, 1)


# --- the PC's clock set back two hours, then forward three (issue 11, item 4) -------------------


def test_retries_keep_their_wait_when_the_clock_is_set(database, settings, clock):
    message = queue_message(NY, "hello", source="staff", settings=settings, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock)
    outbox.on_send_failed(failed(job, 1, 1, retryable=True), clock=clock)
    wait = Message.get_by_id(message.id).next_attempt_at - clock.now().replace(tzinfo=None)
    assert wait > timedelta(0)
    clock.jump(timedelta(hours=-2))  # set back: the retry must not wait two hours more
    assert take_jobs(settings=settings, clock=clock) == []
    clock.advance(wait)
    (job,) = take_jobs(settings=settings, clock=clock)
    assert job.job_id == message.id
    outbox.on_send_failed(failed(job, 1, 1, retryable=True), clock=clock)
    wait = Message.get_by_id(message.id).next_attempt_at - clock.now().replace(tzinfo=None)
    clock.jump(timedelta(hours=3))  # set forward: the retry still waits what it had left
    assert take_jobs(settings=settings, clock=clock) == []
    clock.advance(wait)
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock)] == [message.id]


def test_quiet_hours_are_judged_again_when_the_clock_is_set(database, settings, clock):
    clock.jump_to(datetime(2026, 1, 6, 3, 0, tzinfo=UTC))  # 22:00 in New York: quiet
    message = queue_message(
        NY, "reminder", source="reminder", automated=True, settings=settings, clock=clock
    )
    assert take_jobs(settings=settings, clock=clock) == []
    assert Message.get_by_id(message.id).not_before == datetime(2026, 1, 6, 13, 0)  # 08:00
    clock.jump(timedelta(hours=-2))  # 20:00: not quiet; a hold from the wrong time keeps nothing
    assert [j.job_id for j in take_jobs(settings=settings, clock=clock)] == [message.id]
    other = queue_message(
        NY, "another", source="reminder", automated=True, settings=settings, clock=clock
    )
    clock.jump(timedelta(hours=3))  # 23:00: quiet again, nothing opens wide
    assert take_jobs(settings=settings, clock=clock) == []
    assert Message.get_by_id(other.id).not_before == datetime(2026, 1, 6, 13, 0)
