"""The shop's staff (desk.messaging.staff) and the Mine / Unassigned filters, on a real SQLite
file and a real PostgreSQL server: names with an optional PIN kept only as a salted hash,
signing in, who is replying, assignment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from desk.base import events as ev
from desk.base.clock import FakeClock
from desk.engine import window_ops
from desk.messaging import staff
from desk.read import queries
from desk.store import counters
from desk.store.db import close_database, db, open_database, open_server_database
from desk.store.models import AuditLog, Contact, Conversation

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[str]:
    close_database()
    if request.param == "sqlite":
        open_database(tmp_path / "one-pc.sqlite3")
    else:
        open_server_database(request.getfixturevalue("pg_server").fresh_database())
    yield request.param
    close_database()


def _conversations(count: int) -> list[int]:
    ids = []
    for n in range(count):
        contact = Contact.create(number=f"+1202555014{n}", created_at=NOW.replace(tzinfo=None))
        conv = Conversation.create(contact=contact, last_activity_at=NOW.replace(tzinfo=None))
        ids.append(conv.id)
    return ids


def test_a_pin_is_kept_only_as_a_salted_hash() -> None:
    one, two = staff.hash_pin("1234"), staff.hash_pin("1234")
    assert one != two  # salted
    assert "1234" not in one.split("$", 2)[2]
    assert staff.pin_matches(one, "1234") and staff.pin_matches(two, " 1234 ")
    assert not staff.pin_matches(one, "1235")
    assert not staff.pin_matches("garbage", "1234")
    for bad in ("123", "123456789", "12a4", ""):
        with pytest.raises(staff.StaffError, match="4 to 8 digits"):
            staff.hash_pin(bad)


def test_staff_added_signed_in_and_removed(engine) -> None:
    clock = FakeClock(NOW)
    assert staff.staff_list() == []  # a one-person shop: nothing set up
    with db.atomic():
        staff.add_staff("Anna", "2580", by="Owner", clock=clock)
        staff.add_staff("  Ben  ", clock=clock)
    assert staff.staff_list() == [staff.StaffMember("Anna", True), staff.StaffMember("Ben", False)]
    stored = counters.Staff.get(counters.Staff.name == "Anna").pin_hash
    assert stored.startswith("pbkdf2_sha256$") and "2580" not in stored
    with pytest.raises(staff.StaffError, match="already"):
        staff.add_staff("Anna", clock=clock)
    with pytest.raises(staff.StaffError, match="not right"):
        staff.sign_in("Anna", "0000", "front-desk", clock=clock)
    with pytest.raises(staff.StaffError, match="not right"):
        staff.sign_in("Anna", None, "front-desk", clock=clock)
    with pytest.raises(staff.StaffError, match="Nobody called Zed"):
        staff.check_pin("Zed", None)
    staff.sign_in("Anna", "2580", "front-desk", clock=clock)
    staff.sign_in("Ben", None, "back-office", clock=clock)
    assert counters.present(NOW) == [("Anna", "front-desk"), ("Ben", "back-office")]
    staff.set_pin("Ben", "9999", clock=clock)
    staff.check_pin("Ben", "9999")
    staff.set_pin("Ben", None, clock=clock)
    staff.check_pin("Ben", None)
    details = [a.detail for a in AuditLog.select().where(AuditLog.action == "staff")]
    assert not any("2580" in d or "9999" in d for d in details)  # never a PIN in the audit

    conv, other = _conversations(2)
    window_ops.assign(conv, "Ben", by="Anna", clock=clock)
    assert queries.conversation_ids("mine", staff="Ben") == [conv]
    assert queries.conversation_ids("unassigned") == [other]
    assert queries.conversation_ids("mine") == []  # nobody signed in: nothing is "mine"
    counts = queries.counts("Ben")
    assert (counts.mine, counts.unassigned, counts.all) == (1, 1, 2)
    assert queries.counts().mine == 0
    assert queries.conversation_row(conv).assigned_to == "Ben"
    assert staff.remove_staff("Ben", clock=clock) == 1  # their conversation is free again
    assert set(queries.conversation_ids("unassigned")) == {conv, other}
    assert [m.name for m in staff.staff_list()] == ["Anna"]


def test_replying_recorded_and_cleared(engine) -> None:
    clock = FakeClock(NOW)
    (conv,) = _conversations(1)
    staff.add_staff("Anna", clock=clock)
    staff.add_staff("Ben", clock=clock)
    told: list[ev.DeskEvent] = []
    window_ops.replying("Anna", "front-desk", conv, clock=clock, emit=told.append)
    assert counters.replying_in(conv, NOW, besides="Ben") == ["Anna"]
    assert counters.replying_in(conv, NOW, besides="Anna") == []
    assert counters.replying_until(conv, NOW) == [("Anna", NOW + counters.REPLYING_FOR)]
    assert counters.replying_in(conv, NOW + counters.REPLYING_FOR + timedelta(seconds=1)) == []
    clock.advance(timedelta(seconds=3))
    window_ops.replying("Anna", "front-desk", None, before=conv, clock=clock, emit=told.append)
    assert counters.replying_in(conv, clock.now()) == []  # sent or left
    assert told == [ev.PresenceChanged(conv), ev.PresenceChanged(conv)]
    staff.remove_staff("Anna", clock=clock)
    window_ops.replying("Anna", "front-desk", conv, clock=clock, emit=told.append)  # taken off
    assert [m.name for m in staff.staff_list()] == ["Ben"]
