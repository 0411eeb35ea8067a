"""Reminders materialised in batches of plain SQL: the texts are manage.render's, a batch cut
short (the process killed half-way through its statements) and redone writes each occurrence
once, a reminder cancelled after the batch's ids were read is left alone, a conversation a
reminder opens has its 'opened' event, and the same on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock, to_db, utc
from desk.messaging.contacts import quiet_hold
from desk.reminders import batch_sql
from desk.reminders import scheduler as scheduler_module
from desk.reminders.manage import render
from desk.reminders.scheduler import Scheduler
from desk.store.activity import OPENED, ConversationEvent
from desk.store.db import close_database, db, open_database, open_server_database
from desk.store.models import (
    Appointment,
    Contact,
    Conversation,
    Message,
    MessagePart,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Settings

DUE = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # 21:30 in New York: quiet for some
NAMES = ["Ann Lee", None, "", "Bob", "Zoë Ørsted-Smith", "Ann  Double"]
TEMPLATES = [
    "Hi {first_name}, {shop} here: {date} at {time}.",
    "Hello {name}! Your {service} appointment is {date} {time}. {signature}",
    "{first_name}",
    "Plain text {item} stays",
    "Dear {name}, " + "a long text in several parts; " * 12,
]


@pytest.fixture
def sqlite_env(tmp_path):
    database = open_database(tmp_path / "b.sqlite3")
    yield _settings()
    database.close()
    close_database()


def _settings() -> Settings:
    settings = Settings()
    settings.set("timezone", "America/New_York")
    settings.set("shop_name", "Smile Dental")
    settings.set("signature", "- the team")
    return settings


def _setup(n: int) -> None:
    """n reminders, one or two recipients each, some for an appointment, mixed names, zones."""
    created = to_db(DUE - timedelta(days=1))
    numbers = ["+1212%07d", "+44791%07d", "+1310%07d", "+3361%07d"]
    with db.atomic():
        contacts = [
            Contact.create(
                number=numbers[i % len(numbers)] % (2_000_000 + 37 * i),
                name=NAMES[i % len(NAMES)],
                timezone="Europe/Paris" if i % 7 == 3 else None,
                opted_out=i % 11 == 5,
                created_at=created,
            )
            for i in range(n + 1)
        ]
        for i in range(n):
            appointment = None
            if i % 3 == 0:
                appointment = Appointment.create(
                    contact=contacts[i],
                    starts_at=to_db(DUE + timedelta(days=1, hours=i % 5)),
                    service="cleaning" if i % 2 else "",
                    created_at=created,
                )
            reminder = Reminder.create(
                text=TEMPLATES[i % len(TEMPLATES)],
                next_at=to_db(DUE),
                state="scheduled",
                appointment=appointment,
                created_at=created,
            )
            for contact in contacts[i : i + 1 + i % 2]:
                ReminderRecipient.create(reminder=reminder, contact=contact)


def _drain(scheduler: Scheduler) -> None:
    while True:
        scheduler.tick()
        if not scheduler.behind:
            return


def _check_once_each(settings: Settings) -> None:
    """Every (reminder, recipient) has one run; every queued run one message, its parts, the
    text manage.render writes, the hold quiet_hold gives; opted out ones skipped with why."""
    snap = settings.snapshot()
    links = list(ReminderRecipient.select())
    runs = list(ReminderRun.select())
    assert len(runs) == len(links)
    assert len({(r.reminder_id, r.contact_id, r.due_at) for r in runs}) == len(runs)
    messages = {m.reminder_run_id: m for m in Message.select()}
    assert len(messages) == Message.select().count()
    for run in runs:
        contact = Contact.get_by_id(run.contact_id)
        reminder = Reminder.get_by_id(run.reminder_id)
        if contact.opted_out:
            assert (run.state, run.reason, run.message_id) == ("skipped", "opted out", None)
            assert run.id not in messages
            continue
        text = render(
            reminder.text,
            contact=contact,
            settings=snap,
            when=utc(run.due_at),
            appointment=reminder.appointment,
        )
        if not text:  # "{first_name}" to a nameless contact: refused by the outbox, in words
            assert (run.state, run.reason, run.message_id) == (
                "skipped",
                "The message is empty.",
                None,
            )
            continue
        assert run.state == "queued", (run.state, run.reason)
        message = messages[run.id]
        assert run.message_id == message.id
        assert message.body == text
        assert message.not_before == to_db(quiet_hold(DUE, contact, snap))
        assert message.conversation.contact_id == contact.id
        parts = list(MessagePart.select().where(MessagePart.message == message.id))
        assert [p.seq for p in parts] == list(range(1, message.parts + 1))
        assert {p.number for p in parts} == {contact.number}
        assert message.concat_ref == (message.id % 256 if message.parts > 1 else None)
    assert Reminder.select().where(Reminder.state == "scheduled").count() == 0
    assert {r.occurrences for r in Reminder.select()} == {1}
    assert Message.select().where(Message.parts > 1).exists()  # the long texts: concatenated
    # The search index follows the messages (the insert trigger ran once per row).
    (indexed,) = db.execute_sql("SELECT COUNT(*) FROM message_fts").fetchone()
    assert indexed == len(messages)


def test_batch_texts_are_manage_render_s_and_each_goes_once(sqlite_env):
    settings = sqlite_env
    _setup(60)
    _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))
    _check_once_each(settings)


class Killed(BaseException):
    """Stands for the process dying: no ``except Exception`` sees it, the transaction is lost."""


@pytest.mark.parametrize("statement", ["reminder_run", "message_part", "reminder"])
def test_a_batch_cut_short_and_redone_writes_each_occurrence_once(
    sqlite_env, monkeypatch, statement
):
    """The second batch dies half-way (after the statement named); what the first committed
    stays, the second is redone from nothing by the next scheduler: nothing twice, nothing lost."""
    settings = sqlite_env
    _setup(60)
    monkeypatch.setattr(scheduler_module, "FIRST_BATCH", 25)
    monkeypatch.setattr(scheduler_module, "BATCH", 25)
    real_insert, real_many = batch_sql.insert, batch_sql.many
    real_rows = scheduler_module.due_rows
    batches = 0

    def due_rows(ids, now):  # type: ignore[no-untyped-def]
        nonlocal batches
        batches += 1
        return real_rows(ids, now)

    def maybe_die(table: str) -> None:
        if table == statement and batches == 2:
            raise Killed

    def insert(model, names, rows, **kw):  # type: ignore[no-untyped-def]
        out = real_insert(model, names, rows, **kw)
        maybe_die(model._meta.table_name)
        return out

    def many(sql, rows):  # type: ignore[no-untyped-def]
        real_many(sql, rows)
        maybe_die(sql.split('"')[1])

    monkeypatch.setattr(scheduler_module, "due_rows", due_rows)
    monkeypatch.setattr(batch_sql, "insert", insert)
    monkeypatch.setattr(batch_sql, "many", many)
    with pytest.raises(Killed):
        _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))
    assert not db.in_transaction()
    first = ReminderRun.select().count()
    assert 0 < first < ReminderRecipient.select().count()  # the first batch only
    assert (
        Message.select().count()
        == ReminderRun.select().where(ReminderRun.state == "queued").count()
    )
    monkeypatch.setattr(batch_sql, "insert", real_insert)
    monkeypatch.setattr(batch_sql, "many", real_many)
    _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))  # the engine started again
    _check_once_each(settings)


def test_a_reminder_cancelled_after_its_id_was_read_is_left_alone(sqlite_env, monkeypatch):
    settings = sqlite_env
    _setup(10)
    victim = Reminder.select().order_by(Reminder.id).first()
    real = Scheduler._due_ids

    def read_then_cancel(self, now, size):  # type: ignore[no-untyped-def]
        ids = real(self, now, size)
        Reminder.update(state="cancelled").where(Reminder.id == victim.id).execute()
        return ids

    monkeypatch.setattr(Scheduler, "_due_ids", read_then_cancel)
    _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))
    assert ReminderRun.select().where(ReminderRun.reminder == victim.id).count() == 0
    assert Reminder.get_by_id(victim.id).state == "cancelled"
    assert ReminderRun.select().count() == ReminderRecipient.select().count() - 1


def test_a_conversation_a_reminder_opens_has_its_opened_event(sqlite_env):
    """As queue_message's conversation_for: the insight report counts conversations opened."""
    settings = sqlite_env
    _setup(12)
    _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))
    conversations = {c.id for c in Conversation.select()}
    assert conversations
    opened = [e.conversation_id for e in ConversationEvent.select()]
    assert sorted(opened) == sorted(conversations)
    assert {e.kind for e in ConversationEvent.select()} == {OPENED}


def test_on_postgresql_the_same_rows(pg_url):
    open_server_database(pg_url)
    settings = _settings()
    _setup(40)
    with db.atomic():  # a number the outbox refuses: the one-by-one path, in its words
        odd = Contact.create(number="+999123456", name="Odd", created_at=to_db(DUE))
        reminder = Reminder.create(
            text="Hi {first_name}", next_at=to_db(DUE), state="scheduled", created_at=to_db(DUE)
        )
        ReminderRecipient.create(reminder=reminder, contact=odd)
    _drain(Scheduler(settings=settings, clock=FakeClock(DUE)))
    refused = ReminderRun.get(ReminderRun.contact == odd.id)
    assert refused.state == "skipped" and refused.reason and refused.message_id is None
    refused.delete_instance()
    ReminderRecipient.delete().where(ReminderRecipient.contact == odd.id).execute()
    snap = settings.snapshot()
    links = list(ReminderRecipient.select())
    runs = {(r.reminder_id, r.contact_id): r for r in ReminderRun.select()}
    assert len(runs) == len(links)
    for link in links:
        run = runs[(link.reminder_id, link.contact_id)]
        contact = Contact.get_by_id(link.contact_id)
        if contact.opted_out:
            assert run.state == "skipped" and run.message_id is None
            continue
        reminder = Reminder.get_by_id(link.reminder_id)
        text = render(
            reminder.text,
            contact=contact,
            settings=snap,
            when=DUE,
            appointment=reminder.appointment,
        )
        if not text:
            assert run.state == "skipped" and run.message_id is None
            continue
        message = Message.get_by_id(run.message_id)
        assert message.reminder_run_id == run.id
        assert message.body == text
        assert message.not_before == to_db(quiet_hold(DUE, contact, snap))
        assert (
            MessagePart.select().where(MessagePart.message == message.id).count() == message.parts
        )
    assert Reminder.select().where(Reminder.state == "scheduled").count() == 0
