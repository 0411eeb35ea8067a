"""CSV import of appointment lists: preview a file (which rows were imported before) and create
the appointments and their reminders. Reading the file is ``desk.reminders.csv_parse``.

Idempotent: ``Appointment.source_key`` = hash of the normalised number and the start, so importing
the same file twice creates nothing new (``mark_existing`` shows those in the preview).

Creating is an ``ImportJob`` (a ``desk.store.bulk.BulkJob``): rows go in set-wise batches, each
step one short transaction, so a 100,000-row file never holds the write lock for long and the
engine stores incoming texts between steps. Cancelling keeps the rows already created (their
``source_key`` makes a second import create only the rest).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from desk.base.clock import Clock, to_db
from desk.messaging.contacts import contact_for_number
from desk.reminders.appointments import DEFAULT_TEXT, PENDING
from desk.reminders.csv_parse import Preview, Rejected, Row, parse
from desk.reminders.manage import SCHEDULED, ReminderError
from desk.store.bulk import STEP_SECONDS, BulkJob, JobStatus, insert_rows
from desk.store.chunks import chunks
from desk.store.models import Appointment, Contact, Reminder, ReminderRecipient
from desk.store.settings import SettingsReader

MAX_FILE_BYTES = 50 * 1024 * 1024
BATCH = 100  # rows per set-wise batch (a few statements each); a step takes batches until its time


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)  # appointment ids
    existing: int = 0
    failed: list[Rejected] = field(default_factory=list)
    cancelled: bool = False  # stopped by cancel(): the rows after ``created`` were not imported


def mark_existing(preview: Preview) -> Preview:
    """Flag rows imported before (read-only)."""
    found: set[str] = set()
    for chunk in chunks([r.key for r in preview.rows]):
        found.update(
            str(a.source_key)
            for a in Appointment.select(Appointment.source_key).where(
                Appointment.source_key.in_(chunk)
            )
        )
    for row in preview.rows:
        row.exists = row.key in found
    return preview


def read_file(path: str | Path) -> bytes:
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path.name} is {size // 1_000_000} MB; at most 50 MB can be imported.")
    return path.read_bytes()


def preview_file(
    path: str | Path,
    *,
    settings: SettingsReader,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
) -> Preview:
    """Parse a file and mark the rows already imported (read-only: safe on any thread)."""
    preview = parse(
        read_file(path),
        country=settings.get("default_country"),
        tz=settings.shop_zone(),
        now=clock.now(),
        progress=progress,
    )
    return mark_existing(preview)


class ImportJob(BulkJob[ImportResult]):
    """Creates the appointments (and their reminders) for ``rows``, ``BATCH`` rows at a time.

    Per batch: the rows imported before are counted (not created again), a row whose time has
    passed since the preview is reported under its line and the others go on, new contacts are
    inserted together, then the appointments, their reminders (one per offset still ahead) and
    the reminders' recipients, each in one statement."""

    def __init__(
        self,
        rows: Sequence[Row],
        *,
        settings: SettingsReader,
        clock: Clock,
        text: str | None = None,
        offsets: Sequence[int] | None = None,
        created_by: str | None = None,
        step_seconds: float | None = None,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> None:
        if text is not None and not text.strip():
            raise ReminderError("The reminder has no text.")
        super().__init__(
            "importing appointments",
            len(rows),
            step_seconds=STEP_SECONDS if step_seconds is None else step_seconds,
            on_status=on_status,
        )
        self.rows = list(rows)
        self.clock = clock
        self.text = text or DEFAULT_TEXT
        snap = settings.snapshot()  # one read for every row and reminder created
        chosen = offsets if offsets is not None else snap.reminder_offsets
        self.offsets = sorted({int(m) for m in chosen}, reverse=True)
        self.created_by = created_by
        self._result = ImportResult()

    def result(self) -> ImportResult:
        return self._result

    def cancelled(self) -> None:
        self._result.cancelled = True

    def advance(self, deadline: float) -> bool:
        while self.done < len(self.rows):
            batch = self.rows[self.done : self.done + BATCH]
            self._import_batch(batch)
            self.done += len(batch)
            if self.monotonic() >= deadline:
                break
        return self.done >= len(self.rows)

    def _import_batch(self, batch: list[Row]) -> None:
        result = self._result
        now = self.clock.now()
        now_db = to_db(now)
        keys = [r.key for r in batch]
        existing = {
            str(a.source_key)
            for a in Appointment.select(Appointment.source_key).where(
                Appointment.source_key.in_(keys)
            )
        }
        fresh: list[Row] = []
        seen: set[str] = set()
        for row in batch:
            if row.key in existing or row.key in seen:
                result.existing += 1
            elif row.starts_at <= now:
                result.failed.append(Rejected(row.line, "The appointment time has already passed."))
            else:
                seen.add(row.key)
                fresh.append(row)
        if not fresh:
            return
        contacts = self._contacts(fresh)
        insert_rows(
            Appointment,
            [
                {
                    "contact": contacts[row.phone],
                    "starts_at": to_db(row.starts_at),
                    "service": row.service or "",
                    "note": row.note or "",
                    "state": PENDING,
                    "source_key": row.key,
                    "created_at": now_db,
                }
                for row in fresh
            ],
        )
        ids = {
            str(a.source_key): int(a.id)
            for a in Appointment.select(Appointment.id, Appointment.source_key).where(
                Appointment.source_key.in_([r.key for r in fresh])
            )
        }
        reminders = [
            {
                "text": self.text,
                "next_at": to_db(row.starts_at - timedelta(minutes=minutes)),
                "recurrence": None,
                "state": SCHEDULED,
                "appointment": ids[row.key],
                "offset_minutes": minutes,
                "created_at": now_db,
                "created_by": self.created_by,
            }
            for row in fresh
            for minutes in self.offsets
            if row.starts_at - timedelta(minutes=minutes) > now  # past already: not created
        ]
        if reminders:
            insert_rows(Reminder, reminders)
            new_ids = list(ids.values())
            ReminderRecipient.insert_from(
                Reminder.select(Reminder.id, Appointment.contact)
                .join(Appointment)
                .where(Reminder.appointment.in_(new_ids)),
                fields=[ReminderRecipient.reminder, ReminderRecipient.contact],
            ).execute()
        result.created.extend(ids[row.key] for row in fresh)

    def _contacts(self, rows: list[Row]) -> dict[str, int]:
        """Contact id per number: the existing ones (a name filled in where they have none),
        the new ones inserted together."""
        names: dict[str, str] = {}
        for row in rows:
            names.setdefault(row.phone, row.name)
        found = {
            str(c.number): c
            for c in Contact.select(Contact.id, Contact.number, Contact.name).where(
                Contact.number.in_(list(names))
            )
        }
        for number, contact in found.items():
            if names[number] and not contact.name:
                contact_for_number(number, clock=self.clock, name=names[number])
        missing = [n for n in names if n not in found]
        if missing:
            created = to_db(self.clock.now())
            insert_rows(
                Contact,
                [{"number": n, "name": names[n] or None, "created_at": created} for n in missing],
            )
        return {
            str(c.number): int(c.id)
            for c in Contact.select(Contact.id, Contact.number).where(
                Contact.number.in_(list(names))
            )
        }


def import_rows(
    rows: list[Row],
    *,
    settings: SettingsReader,
    clock: Clock,
    text: str | None = None,
    offsets: list[int] | None = None,
    created_by: str | None = None,
    on_status: Callable[[JobStatus], None] | None = None,
) -> ImportResult:
    """Create the appointments (and their reminders) for ``rows`` in a plain loop of short
    steps (``ImportJob.run``): for the command line when no engine runs. The engine runs an
    ``ImportJob`` itself, one ``step()`` between its other work. Not inside a transaction of the
    caller's: that would hold the lock for the whole import again."""
    job = ImportJob(
        rows,
        settings=settings,
        clock=clock,
        text=text,
        offsets=offsets,
        created_by=created_by,
        on_status=on_status,
    )
    return job.run()
