"""Bulk jobs: steps in short transactions, progress, cancel, failure; and a 100,000-row
appointment import that leaves the write lock to another connection between its steps."""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from desk.base.clock import FakeClock, to_db
from desk.reminders.appointments import source_key
from desk.reminders.csv_import import ImportJob
from desk.reminders.csv_parse import Row
from desk.store.bulk import BulkJob, JobState, JobStatus, insert_rows, update_rows
from desk.store.db import db
from desk.store.models import Appointment, Contact, Reminder, ReminderRecipient
from desk.store.settings import Settings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Contacts(BulkJob[int]):
    """Creates ``total`` contacts, ``per_unit`` per unit of work; fails at unit ``fail_at``."""

    def __init__(self, total: int, *, fail_at: int | None = None, **kwargs: object) -> None:
        super().__init__("adding contacts", total, **kwargs)  # type: ignore[arg-type]
        self.fail_at = fail_at

    def advance(self, deadline: float) -> bool:
        while self.done < self.total:
            if self.done == self.fail_at:
                Contact.create(number="+12025550000", created_at=NOW.replace(tzinfo=None))
                raise RuntimeError("broken row")
            Contact.create(number=f"+1202555{1000 + self.done:04d}", created_at=to_db(NOW))
            self.done += 1
            if self.monotonic() >= deadline:
                break
        return self.done >= self.total

    def result(self) -> int:
        return self.done


def test_a_job_runs_in_steps_with_progress_words_and_one_transaction_each(database):
    ticks = iter(range(1_000_000))
    seen: list[JobStatus] = []
    # A fake monotonic clock: every reading is 10 ms later, so a 25 ms step does 3 units.
    job = Contacts(
        10, step_seconds=0.025, monotonic=lambda: next(ticks) * 0.01, on_status=seen.append
    )
    assert job.status.words() == "adding contacts (0%)"
    transactions: list[bool] = []
    while True:
        more = job.step()
        transactions.append(db.in_transaction())
        if not more:
            break
    assert job.result() == 10 and Contact.select().count() == 10
    assert job.state is JobState.DONE and job.status.fraction == 1.0
    assert job.times.count == len(seen) >= 3  # several steps, each reported
    assert [s.done for s in seen] == sorted(s.done for s in seen)
    assert any(0 < s.fraction < 1 for s in seen)
    assert seen[-1].words() == "adding contacts (100%)"
    assert not any(transactions)  # every step committed its own transaction
    assert job.step() is False  # finished: nothing more


def test_cancel_stops_before_the_next_step_and_keeps_what_was_committed(database):
    job = Contacts(1000, step_seconds=0.001)
    assert job.step() is True
    done = job.done
    assert 0 < done < 1000
    job.cancel()
    assert job.run(pause_seconds=0) == done
    assert job.state is JobState.CANCELLED
    assert Contact.select().count() == done
    assert "cancelled" in job.status.words()


def test_a_failing_step_is_rolled_back_and_raises(database):
    job = Contacts(10, fail_at=5, step_seconds=60)
    with pytest.raises(RuntimeError, match="broken row"):
        job.run(pause_seconds=0)
    assert job.state is JobState.FAILED and job.finished
    assert Contact.select().count() == 0  # the one step, all of it rolled back
    assert "stopped by an error" in job.status.words()


def test_insert_rows_fills_defaults_like_peewee(database):
    n = insert_rows(Contact, [{"number": "+12025550101", "created_at": to_db(NOW)}])
    assert n == 1 and insert_rows(Contact, []) == 0
    contact = Contact.get(Contact.number == "+12025550101")
    assert contact.notes == "" and contact.tags == "" and contact.opted_out is False
    assert contact.created_at == NOW.replace(tzinfo=None)


def test_insert_and_update_rows_use_the_engines_placeholders(database):
    """One prepared statement each, in the engine's own parameter style ("?" on SQLite, "%s" on
    PostgreSQL); a value with "%" or "?" in it is stored as it is."""
    rows = [
        {"number": f"+120255502{i:02d}", "name": f"50% off? #{i}", "created_at": to_db(NOW)}
        for i in range(3)
    ]
    with db.atomic():
        assert insert_rows(Contact, rows) == 3
    ids = {c.number: c.id for c in Contact.select()}
    changes = [
        {"id": ids["+12025550200"], "name": "Ana?", "opted_out": True},
        {"id": ids["+12025550202"], "name": "100%", "opted_out": False},
    ]
    with db.atomic():
        assert update_rows(Contact, changes) == 2 and update_rows(Contact, []) == 0
    got = {c.number: (c.name, c.opted_out) for c in Contact.select()}
    assert got == {
        "+12025550200": ("Ana?", True),
        "+12025550201": ("50% off? #1", False),
        "+12025550202": ("100%", False),
    }


def _rows(n: int) -> list[Row]:
    start = NOW + timedelta(days=5)
    out = []
    for i in range(n):
        phone = f"+1202{2_000_000 + i:07d}"
        when = start + timedelta(minutes=15 * i)
        out.append(
            Row(line=i + 2, name=f"P{i}", phone=phone, starts_at=when, key=source_key(phone, when))
        )
    return out


@pytest.mark.timeout(900)
@pytest.mark.sqlite_only("SQLite's one write lock per file, probed by a second sqlite3 connection")
def test_a_100k_row_import_leaves_the_lock_to_another_writer_between_steps(database, tmp_path):
    """While the import runs (its own thread and connection, as the engine's core thread), another
    connection writes with BEGIN IMMEDIATE about every 100 ms, as ``textdesk send`` would: every
    write gets in. Figures are printed; the only timing asserted is a generous bound per step."""
    n = 100_000
    settings = Settings()
    settings.set("timezone", "America/New_York")
    rows = _rows(n)
    other = sqlite3.connect(tmp_path / "textdesk.sqlite3", timeout=15, isolation_level=None)
    other.execute("CREATE TABLE probe (at REAL)")
    job = ImportJob(rows, settings=settings, clock=FakeClock(NOW))
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            job.run()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=runner)
    waits: list[float] = []
    started = time.monotonic()
    thread.start()
    while thread.is_alive():
        t0 = time.monotonic()
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO probe VALUES (?)", (t0,))
        other.execute("COMMIT")
        waits.append(time.monotonic() - t0)
        time.sleep(0.1)
    thread.join()
    elapsed = time.monotonic() - started
    assert errors == []
    result = job.result()
    assert len(result.created) == n and result.failed == [] and result.existing == 0
    assert Appointment.select().count() == n
    assert Reminder.select().count() == 2 * n and ReminderRecipient.select().count() == 2 * n
    assert other.execute("SELECT COUNT(*) FROM probe").fetchone()[0] == len(waits)
    other.close()
    waits.sort()
    p95 = waits[int(0.95 * (len(waits) - 1))]
    print(
        f"\n{n} rows in {elapsed:.1f} s, {job.times.count} steps: lock held "
        f"mean {1e3 * job.times.total / job.times.count:.0f} ms, longest "
        f"{1e3 * job.times.longest:.0f} ms; other writer ({len(waits)} writes) waited "
        f"median {1e3 * statistics.median(waits):.0f} ms, p95 {1e3 * p95:.0f} ms, "
        f"longest {1e3 * waits[-1]:.0f} ms"
    )
    assert len(waits) >= 10
    assert job.times.longest < 1.0  # every step's transaction (generous: a shared machine)
