"""Reminders materialised set-wise: the same rows as one by one, a tick bounded in time with
``behind`` set, and the one-parse number facts equal to what desk.base.phones says."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.base import phones
from desk.base.clock import FakeClock, to_db
from desk.messaging.contacts import contact_zone, quiet_hold
from desk.reminders import scheduler as scheduler_module
from desk.reminders.numbers import number_facts, number_lookup, recipient_zone
from desk.reminders.scheduler import Scheduler
from desk.store.db import close_database, db, open_database
from desk.store.models import (
    Contact,
    Message,
    MessagePart,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Settings

DUE = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # 21:30 in New York: quiet for some


@pytest.fixture
def env(tmp_path):
    database = open_database(tmp_path / "m.sqlite3")
    settings = Settings()
    settings.set("timezone", "America/New_York")
    yield settings
    database.close()
    close_database()


def _numbers(n: int) -> list[str]:
    base = ["+1212%07d", "+44791%07d", "+4915%09d", "+61412%06d", "+8190%08d"]
    out = []
    for i in range(n):
        pattern = base[i % len(base)]
        out.append(pattern % (1_000_000 + 37 * i))
    return out


def _setup(n: int) -> list[int]:
    created = to_db(DUE - timedelta(days=1))
    with db.atomic():
        for number in _numbers(n):
            contact = Contact.create(number=number, name=f"C {number[-4:]}", created_at=created)
            reminder = Reminder.create(
                text="Hi {first_name}", next_at=to_db(DUE), state="scheduled", created_at=created
            )
            ReminderRecipient.create(reminder=reminder, contact=contact)
    return [r.id for r in Reminder.select(Reminder.id)]


def test_a_tick_is_bounded_and_every_reminder_goes_once_with_the_holds_quiet_hold_gives(
    env, monkeypatch
):
    settings = env
    _setup(600)
    monkeypatch.setattr(scheduler_module, "MAX_SECONDS_PER_TICK", 0.0)  # one batch per tick
    clock = FakeClock(DUE)
    sched = Scheduler(settings=settings, clock=clock)
    ticks = 0
    longest = 0.0
    while True:
        started = time.perf_counter()
        sched.tick()
        longest = max(longest, time.perf_counter() - started)
        ticks += 1
        if not sched.behind:
            break
    assert ticks >= 600 // scheduler_module.BATCH
    print(f"\n600 reminders in {ticks} ticks, longest tick {1e3 * longest:.0f} ms")
    assert ReminderRun.select().count() == 600
    queued = ReminderRun.select().where(ReminderRun.state == "queued").count()
    refused = list(ReminderRun.select().where(ReminderRun.state == "skipped"))
    assert queued + len(refused) == 600 and queued >= 200
    assert queued == Message.select().count() == MessagePart.select().count()
    for run in refused:  # numbers the outbox will not text: refused in its words, one by one
        number = Contact.get_by_id(run.contact_id).number
        with pytest.raises(phones.InvalidNumber):
            assert phones.normalize(number, "US") != number
        assert run.reason and run.message_id is None
    assert Reminder.select().where(Reminder.state == "scheduled").count() == 0
    snap = settings.snapshot()
    for message in Message.select():
        run = ReminderRun.get_by_id(message.reminder_run_id)
        assert run.message_id == message.id
        contact = Contact.get_by_id(run.contact_id)
        hold = quiet_hold(DUE, contact, snap)
        assert message.not_before == to_db(hold)
        assert (run.reason is not None) == (hold is not None)
        assert message.body == "Hi C"
        assert message.conversation.contact_id == contact.id
        assert message.conversation.last_preview == "Hi C"


def test_number_facts_agree_with_phones():
    random.seed(7)
    numbers = [*_numbers(200), "+12125550143", "+1212", "+999123456", "+15555555555"]
    numbers += ["12125550143", *(f"+1{random.randrange(10**10):010d}" for _ in range(200))]
    for number in numbers:
        try:
            valid = phones.normalize(number, "US") == number
        except phones.InvalidNumber:
            valid = False
        expected = (valid, phones.region_timezone(number) if valid else None)
        assert number_facts(number) == expected, number


def test_the_zone_without_the_number_type_is_contact_zone_s():
    """number_lookup + recipient_zone (the type only when it would change the zone) give the
    zone contacts.contact_zone gives, for every own zone and shop zone."""
    random.seed(11)
    numbers = [*_numbers(200), "+12125550143", "+15555555555", "+447911123456", "+33612345678"]
    numbers += [f"+1{random.randrange(10**10):010d}" for _ in range(200)]
    numbers += ["+61412345678", "+79161234567", "+5511987654321", "+34612345678"]
    shops = [ZoneInfo(k) for k in ("America/New_York", "Europe/London", "Australia/Sydney")]
    for number in numbers:
        sendable, geographical, national = number_lookup(number)
        assert sendable == number_facts(number)[0], number
        if not sendable:
            continue
        for own in (None, "", "Europe/Paris", "Not/AZone"):
            contact = Contact(number=number, timezone=own)
            for shop in shops:
                got = recipient_zone(number, own, geographical, national, shop)
                assert got.key == contact_zone(contact, shop).key, (number, own, shop)
