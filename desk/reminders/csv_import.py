"""CSV import of appointment lists: preview a file (which rows were imported before) and create
the appointments and their reminders. Reading the file is ``desk.reminders.csv_parse``.

Idempotent: ``Appointment.source_key`` = hash of the normalised number and the start, so importing
the same file twice creates nothing new (``mark_existing`` shows those in the preview).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desk.base.clock import Clock
from desk.messaging.contacts import contact_for_number
from desk.reminders.appointments import create_appointment
from desk.reminders.csv_parse import Preview, Rejected, Row, parse
from desk.reminders.manage import ReminderError
from desk.store.chunks import chunks
from desk.store.db import db
from desk.store.models import Appointment
from desk.store.settings import SettingsReader

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)  # appointment ids
    existing: int = 0
    failed: list[Rejected] = field(default_factory=list)


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


def import_rows(
    rows: list[Row],
    *,
    settings: SettingsReader,
    clock: Clock,
    text: str | None = None,
    offsets: list[int] | None = None,
    created_by: str | None = None,
) -> ImportResult:
    """Create the appointments (and their reminders) for ``rows``; the engine's core thread.
    Rows imported before are counted, not created again; a row that fails now (its time has
    passed since the preview) is reported and the others go on."""
    result = ImportResult()
    snap = settings.snapshot()  # one read for every row and reminder created
    with db.atomic():
        for row in rows:
            if Appointment.select().where(Appointment.source_key == row.key).exists():
                result.existing += 1
                continue
            try:
                with db.atomic():
                    contact = contact_for_number(row.phone, clock=clock, name=row.name)
                    appointment = create_appointment(
                        contact,
                        row.starts_at,
                        settings=snap,
                        clock=clock,
                        service=row.service,
                        note=row.note,
                        text=text,
                        offsets=offsets,
                        source=row.key,
                        created_by=created_by,
                    )
            except (ReminderError, ValueError) as exc:
                result.failed.append(Rejected(row.line, str(exc)))
                continue
            result.created.append(appointment.id)
    return result
