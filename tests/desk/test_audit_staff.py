"""Who did it, on the audit line of a keyword answer added, changed or deleted and of a contacts
import (a real SQLite file): the staff name when the caller gives one, nobody (NULL) when it does
not, as before staff existed."""

from __future__ import annotations

from typing import Any

import pytest

from desk.automations import keywords
from desk.base.clock import FakeClock
from desk.data import contacts_io
from desk.store.models import AuditLog

ROWS = b"Anna,+12015550123,vip\nBob,+12015550124,\n"


def _lines(action: str) -> list[tuple[str, str | None]]:
    query = AuditLog.select().where(AuditLog.action == action).order_by(AuditLog.id)
    return [(line.detail, line.staff) for line in query]


@pytest.mark.parametrize("staff", ["Ben", None])
def test_keyword_answer_added_changed_deleted_carry_the_staff_name(
    database: Any, clock: FakeClock, staff: str | None
) -> None:
    row = keywords.add("Hours", "Open 9-5", clock=clock, staff=staff)
    keywords.update(row.id, enabled=False, clock=clock, staff=staff)
    keywords.update(row.id, answer="Open 9-6", clock=clock, staff=staff)
    keywords.delete(row.id, clock=clock, staff=staff)
    assert _lines("settings") == [
        ("keyword answer added: hours", staff),
        ("keyword answer changed: hours", staff),
        ("keyword answer changed: hours", staff),
        ("keyword answer deleted: hours", staff),
    ]


def test_keyword_answers_without_a_staff_name_are_audited_as_before(
    database: Any, clock: FakeClock
) -> None:
    row = keywords.add("prices", "See example.com", clock=clock)
    keywords.update(row.id, enabled=False, clock=clock)
    keywords.delete(row.id, clock=clock)
    assert [staff for _, staff in _lines("settings")] == [None, None, None]


def test_an_empty_staff_name_is_nobody(database: Any, clock: FakeClock) -> None:
    keywords.add("address", "12 High St", clock=clock, staff="")
    assert _lines("settings") == [("keyword answer added: address", None)]


def test_a_refused_keyword_writes_no_audit_line(database: Any, clock: FakeClock) -> None:
    with pytest.raises(keywords.KeywordError):
        keywords.add("STOP", "no", clock=clock, staff="Ben")
    assert _lines("settings") == []


@pytest.mark.parametrize("staff", ["Ben", None])
def test_contacts_imported_carry_the_staff_name(
    database: Any, clock: FakeClock, staff: str | None
) -> None:
    applied = contacts_io.apply(contacts_io.read(ROWS, country="US"), clock=clock, staff=staff)
    assert applied.added == 2
    assert _lines("imported") == [
        ("contacts from csv: 2 added, 0 named, 0 tagged, 0 rejected", staff)
    ]


def test_an_import_job_in_steps_carries_the_staff_name_on_its_one_line(
    database: Any, clock: FakeClock
) -> None:
    rows = "".join(f"Customer {i},+1201555{i:04d}\n" for i in range(2000)).encode()
    job = contacts_io.ImportJob(
        contacts_io.read(rows, country="US"), clock=clock, staff="Anna", step_seconds=0.005
    )
    steps = 0
    while job.step():
        steps += 1
    assert steps > 0  # more than one step, and still one audit line, with the name
    assert _lines("imported") == [
        ("contacts from csv: 2000 added, 0 named, 0 tagged, 0 rejected", "Anna")
    ]


def test_an_import_job_without_a_staff_name_is_audited_as_before(
    database: Any, clock: FakeClock
) -> None:
    job = contacts_io.ImportJob(contacts_io.read(ROWS, country="US"), clock=clock)
    job.run()
    assert [staff for _, staff in _lines("imported")] == [None]
