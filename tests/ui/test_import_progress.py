"""Bulk work started from the real window (offscreen) runs as a job on the engine: a 20,000-row
appointment import shows its progress in the status bar, texts that arrive meanwhile are stored,
the window keeps answering, and Cancel stops it on a step boundary (whole batches, each with its
reminders); erasing a customer with thousands of messages shows its progress too."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from desk.base.clock import to_db
from desk.read import queries
from desk.reminders import csv_import
from desk.store.bulk import insert_rows
from desk.store.models import IN, RECEIVED, Appointment, Message, Reminder, ReminderRecipient
from tests.ui.conftest import Desk
from ui.job_progress import JobArea, JobRow

ROWS = 20_000
CUSTOMER = "+12025550199"


def write_csv(path: Path, rows: int) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    lines = ["Name,Phone,Date,Time"]
    for i in range(rows):
        when = start + timedelta(minutes=15 * i)
        lines.append(f"Customer {i},+1202555{i % 10000:04d},{when:%Y-%m-%d},{when:%H:%M}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def stored(body: str) -> bool:
    return Message.select().where((Message.direction == IN) & (Message.body == body)).exists()


class Heartbeat:
    """The GUI thread's longest gap between two 50 ms timer ticks: the window never froze."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.longest = 0.0
        self.timer = QTimer(interval=50)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self.last)
        self.last = now


def test_big_import_shows_progress_stores_texts_and_cancels_on_whole_batches(
    desk: Desk, qtbot: Any, tmp_path: Path
) -> None:
    csv = tmp_path / "appointments.csv"
    write_csv(csv, ROWS)
    w = desk.window
    dlg = w.reminders.import_dialog()
    dlg.load(str(csv))
    desk.wait(lambda: dlg.preview is not None, timeout=120)
    assert dlg.preview is not None and len(dlg.preview.new_rows) == ROWS
    before = Appointment.select().count()

    dlg.import_button.click()
    row = dlg.job_row
    assert isinstance(row, JobRow)
    assert row.window() is w  # in the main window's status bar, not a modal dialog
    assert isinstance(row.parent(), JobArea) and row.isVisible()
    words: list[str] = []
    values: list[int] = []
    row.changed.connect(words.append)
    row.bar.valueChanged.connect(values.append)
    beat = Heartbeat()

    # Texts that arrive during the import are stored while it goes on.
    for i in range(2):
        body = f"During the import {i}"
        desk.vm.deliver(CUSTOMER, body)
        desk.wait(partial(stored, body), timeout=10)
        assert not row.finished, "the import ended before the texts were stored"
    desk.wait(lambda: any(0 < v < 100 for v in values), timeout=30)
    assert not row.finished
    beat.timer.stop()  # (the reminders page's own refresh afterwards is not the job's doing)
    during = beat.longest
    row.cancel_button.click()
    desk.wait(lambda: dlg.import_result is not None, timeout=60)

    result = dlg.import_result
    assert result is not None and result.cancelled
    created = Appointment.select().count() - before
    assert created == len(result.created)
    assert 0 < created < ROWS
    assert created % csv_import.BATCH == 0, created  # whole batches, never half of one
    job = row.job
    assert isinstance(job, csv_import.ImportJob)
    new = Appointment.select(Appointment.id).where(Appointment.id.in_(result.created))
    reminders = Reminder.select().where(Reminder.appointment.in_(new))
    assert reminders.count() == created * len(job.offsets)  # each with all its reminders
    assert ReminderRecipient.select().where(ReminderRecipient.reminder.in_(reminders)).count() == (
        created * len(job.offsets)
    )
    assert any(wd.startswith("importing appointments (") and "100%" not in wd for wd in words), (
        words
    )
    assert any("cancelled at" in wd for wd in words), words
    assert row.words.startswith(f"Import cancelled: {created} appointment(s) created")
    assert dlg.summary.text().startswith("Import cancelled")
    assert during < 0.5, during  # the window kept answering while the import ran
    assert job.times.longest < 0.5, job.times


def add_messages(conversation_id: int, count: int) -> None:
    """On the core thread: ``count`` old texts in one conversation (bulk, for the test)."""
    at = to_db(datetime(2026, 1, 1, tzinfo=UTC))
    insert_rows(
        Message,
        [
            {
                "conversation": conversation_id,
                "direction": IN,
                "body": f"Old text {i}",
                "state": RECEIVED,
                "created_at": at,
            }
            for i in range(count)
        ],
    )


def test_erasing_a_customer_shows_progress_and_finishes(
    desk: Desk, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes: list[tuple[Any, ...]] = []  # a modal box would stop the test (and the shop) cold
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: boxes.append(a[1:]))
    w = desk.window
    cid = queries.conversation_for_number("+12025550125")
    assert cid is not None
    desk.result(desk.engine.call(add_messages, cid, 6000))
    contact_id = queries.contact_for_conversation(cid)
    assert contact_id is not None

    assert w.list.select(cid)
    w.toggle_contact()  # the customer panel shows them
    desk.wait(lambda: w.contact.details is not None and w.contact.details.id == contact_id)
    w.erase_contact(contact_id)
    assert not w.contact.erase.isEnabled() and w.contact.erase.text() == "Erasing…"
    area = w.statusBar().findChild(JobArea, "jobArea")
    assert area is not None
    rows = [r for r in area.findChildren(JobRow) if not r.finished]
    assert len(rows) == 1
    row = rows[0]
    words: list[str] = []
    row.changed.connect(words.append)
    desk.wait(lambda: row.finished, timeout=60)
    assert contact_id not in w.contact.erasing
    assert queries.conversation_row(cid) is None
    assert Message.select().where(Message.conversation == cid).count() == 0
    assert any(wd.startswith("erasing a customer (") and "100%" not in wd for wd in words), words
    assert row.words.startswith("Customer erased (")
    assert "Customer erased." in w.status.currentMessage()
    qtbot.wait(300)  # texts the demo customer sent during the erasure were erased with them
    assert boxes == []
