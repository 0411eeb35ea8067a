"""desk.compliance.retention: age boundaries, states never deleted, attached rows, previews, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock, to_db
from desk.compliance import retention
from desk.store.db import close_database, open_database
from desk.store.models import (
    AuditLog,
    Contact,
    Conversation,
    DeliveryReport,
    IncomingPart,
    Message,
    MessagePart,
)
from desk.store.settings import Settings

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def dbfile(tmp_path):
    database = open_database(tmp_path / "t.sqlite3")
    yield database
    close_database()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def conversation(number: str = "+15550001111") -> Conversation:
    contact = Contact.create(number=number, created_at=to_db(NOW - timedelta(days=400)))
    return Conversation.create(contact=contact, last_activity_at=to_db(NOW))


def message(conv: Conversation, age: timedelta, *, state: str = "received", body: str = "hi",
            direction: str | None = None) -> Message:  # fmt: skip
    direction = direction or ("in" if state in ("received", "incomplete") else "out")
    return Message.create(
        conversation=conv, direction=direction, body=body, state=state,
        created_at=to_db(NOW - age),
    )  # fmt: skip


def test_off_by_default_and_when_zero(dbfile, clock) -> None:
    conv = conversation()
    message(conv, timedelta(days=3000))
    assert Settings().get("retention_days") == 0
    assert retention.apply_from_settings(settings=Settings(), clock=clock) == 0
    assert retention.apply_retention(0, clock=clock) == 0
    assert Message.select().count() == 1
    assert AuditLog.select().count() == 0


def test_boundary_exactly_n_days_is_kept(dbfile, clock) -> None:
    conv = conversation()
    old = message(conv, timedelta(days=30, seconds=1))
    edge = message(conv, timedelta(days=30))
    young = message(conv, timedelta(days=29, hours=23))
    assert retention.count_expired(30, clock=clock) == 1
    assert retention.apply_retention(30, clock=clock) == 1
    left = {m.id for m in Message.select()}
    assert left == {edge.id, young.id} and old.id not in left
    # A second run the same moment deletes nothing more and logs nothing more.
    assert retention.apply_retention(30, clock=clock) == 0
    assert AuditLog.select().where(AuditLog.action == "retention").count() == 1


def test_messages_in_flight_are_never_deleted(dbfile, clock) -> None:
    conv = conversation()
    age = timedelta(days=100)
    kept = [message(conv, age, state=s).id for s in ("queued", "sending", "uncertain")]
    gone = [message(conv, age, state=s).id for s in ("sent", "delivered", "failed", "received", "incomplete")]  # fmt: skip
    assert retention.apply_retention(10, clock=clock) == len(gone)
    assert sorted(m.id for m in Message.select()) == sorted(kept)


def test_parts_reports_and_incoming_parts_go_too(dbfile, clock) -> None:
    conv = conversation()
    out = message(conv, timedelta(days=60), state="delivered", body="old reply")
    part = MessagePart.create(
        message=out, seq=1, reference=7, number="+15550001111", state="delivered"
    )
    DeliveryReport.create(reference=7, number="+15550001111", status=0, delivered=True, final=True,
                          received_at=to_db(NOW - timedelta(days=60)), part=part)  # fmt: skip
    inc = message(conv, timedelta(days=60), body="old question")
    IncomingPart.create(dedupe_key="a", sender="+15550001111", text="old question",
                        received_at=to_db(NOW - timedelta(days=60)), message=inc)  # fmt: skip
    # Unmatched leftovers older than the cutoff go; recent ones stay.
    DeliveryReport.create(reference=9, status=0, delivered=True, final=True,
                          received_at=to_db(NOW - timedelta(days=60)))  # fmt: skip
    recent = IncomingPart.create(dedupe_key="b", sender="+15550001111", text="waiting for part 2",
                                 received_at=to_db(NOW - timedelta(hours=1)))  # fmt: skip
    keep = message(conv, timedelta(days=1), body="new")
    assert retention.apply_retention(30, clock=clock) == 2
    assert [m.id for m in Message.select()] == [keep.id]
    assert MessagePart.select().count() == 0
    assert DeliveryReport.select().count() == 0
    assert [p.id for p in IncomingPart.select()] == [recent.id]
    log = AuditLog.get(AuditLog.action == "retention")
    assert log.detail.startswith("2 messages older than 30 days deleted")
    assert "question" not in log.detail and "reply" not in log.detail  # counts, never content


def test_previews_follow_what_is_left(dbfile, clock) -> None:
    a = conversation("+15550001111")
    b = conversation("+15550002222")
    message(a, timedelta(days=90), body="ancient")
    message(a, timedelta(days=2), body="still   here\nsecond line", state="sent")
    message(b, timedelta(days=90), body="all gone")
    Conversation.update(last_preview="stale").execute()
    retention.apply_retention(30, clock=clock)
    a = Conversation.get_by_id(a.id)
    b = Conversation.get_by_id(b.id)
    assert a.last_preview == "still here second line" and a.last_direction == "out"
    assert b.last_preview == "" and b.last_direction is None
    # The conversation and contact remain (retention is about messages, not customers).
    assert Contact.select().count() == 2


def test_search_no_longer_finds_deleted_messages(dbfile, clock) -> None:
    from desk.read import search

    conv = conversation()
    message(conv, timedelta(days=90), body="zebra crossing")
    assert search.search("zebra")
    retention.apply_retention(30, clock=clock)
    assert search.search("zebra") == []


def test_from_settings(dbfile, clock) -> None:
    conv = conversation()
    message(conv, timedelta(days=8))
    message(conv, timedelta(days=6))
    Settings().set("retention_days", 7)
    assert retention.apply_from_settings(settings=Settings(), clock=clock) == 1


def test_limit_spreads_a_large_backlog_over_several_calls(dbfile, clock) -> None:
    conv = conversation()
    old = [message(conv, timedelta(days=100 - i)).id for i in range(7)]
    young = message(conv, timedelta(days=1)).id
    assert retention.apply_retention(30, clock=clock, limit=3) == 3
    # The oldest went first.
    assert sorted(m.id for m in Message.select()) == sorted([*old[3:], young])
    assert retention.apply_retention(30, clock=clock, limit=3) == 3
    assert retention.apply_retention(30, clock=clock, limit=3) == 1
    assert retention.apply_retention(30, clock=clock, limit=3) == 0
    assert [m.id for m in Message.select()] == [young]
    assert AuditLog.select().where(AuditLog.action == "retention").count() == 3


def test_retention_job_deletes_in_short_steps_with_one_audit_line(dbfile, clock) -> None:
    conv = conversation()
    for i in range(1200):
        message(conv, timedelta(days=40, minutes=i), body=f"old {i}")
    keep = message(conv, timedelta(days=1), body="recent")
    DeliveryReport.create(
        reference=1,
        number="+15550001111",
        status=0,
        delivered=True,
        final=True,
        received_at=to_db(NOW - timedelta(days=50)),
    )
    job = retention.RetentionJob(30, clock=clock)
    assert job.total == 1200
    steps = 0
    job.step_seconds = 1e-6  # one batch per step
    while job.step():
        steps += 1
        assert 0 < job.status.fraction <= 1
    assert job.result() == 1200 and steps >= 2
    assert [m.id for m in Message.select()] == [keep.id]
    assert DeliveryReport.select().count() == 0
    (line,) = AuditLog.select().where(AuditLog.action == "retention")
    assert (
        line.detail
        == "1200 messages older than 30 days deleted (1 unmatched reports, 0 stray parts)"
    )
    assert Conversation.get_by_id(conv.id).last_preview == "recent"
    print(f"\nretention: {job.times.count} steps, longest {1e3 * job.times.longest:.0f} ms")


def test_retention_job_cancelled_keeps_what_it_deleted_and_says_so(dbfile, clock) -> None:
    conv = conversation()
    for i in range(1200):
        message(conv, timedelta(days=40, minutes=i))
    job = retention.RetentionJob(30, clock=clock)
    job.step_seconds = 1e-6
    assert job.step() is True
    job.cancel()
    first = retention.FIRST_BATCH  # the first step's group (the next ones sized to the time)
    assert job.run(pause_seconds=0) == first
    assert Message.select().count() == 1200 - first
    (line,) = AuditLog.select().where(AuditLog.action == "retention")
    assert line.detail == f"{first} messages older than 30 days deleted (stopped before the end)"
