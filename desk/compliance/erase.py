"""Erase one customer (GDPR "right to erasure").

Removed: the contact, its conversation, every message with its parts, delivery reports and
received parts, appointments and their reminders, reminder links and runs, reminders that were
for this customer alone, unmatched reports, the unreadable messages from the number (those whose
raw data holds it, and those whose sender reads as it in the shop's country: a national-format
PDU, a gateway's JSON), the calls from the number (linked to the contact or not), and the
number and name inside AuditLog lines. Notes, drafts and conversation events go with the
conversation (ON DELETE CASCADE, on both engines).

Kept: if the customer had opted out, exactly one ConsentEvent (kind "opt_out", method
"erasure", the number, no text, no contact) so the shop never texts them again by accident.
Logged: one AuditLog line "erased" with a hash of the number, never the number itself.

``secure_delete`` is on for the erasing transactions so the freed pages are zeroed, and the WAL
is checkpointed afterwards (best effort) so the old pages do not linger in it.

The search indexes: FTS5 keeps a deleted row's words in its older index segments (a later
segment only marks them deleted) until the segments are merged, so after the erasure both indexes
are merged into one segment each, which leaves the words out of the file. Not with one
``'optimize'`` (on a million messages that rewrites the index in one transaction of about a
second, holding the write lock all along) but with FTS5's incremental ``'merge'``: the first call
with a negative page count puts every segment on one level, the next ones (positive: texts
stored meanwhile do not restart it) carry that merge on, ``MERGE_PAGES`` pages each, until a call
changes nothing; each a short step of the job (bench/bigdb.py's 1M messages: merge steps of at
most ~100 ms on a busy 2-core machine, where one 'optimize' held the lock 1.0-1.3 s). Once the
customer is erased a Cancel no longer stops the job: the index merge is short, and it is what
removes the words from the file.

On the shop's PostgreSQL server (``desk.store.fencing.is_server()``) the same rows go, in the
same short steps, with the same audit line; the SQLite-only parts are left out: no
``secure_delete`` or WAL checkpoint, and no index merge, since the search index there is
``message_search``/``contact_search`` (a tsvector per row, GIN-indexed, desk.read.search_pg)
whose rows cascade with the message and the contact in the same transaction. What PostgreSQL
keeps of a deleted row (its dead version until VACUUM reuses the space, the server's WAL and
archives) is the server's to manage, as are its pg_dump backups (``backup_note``).

An ``EraseJob`` (a ``desk.store.bulk.BulkJob``) does it in short steps: the customer's messages
in groups sized to what fits in the step's time (at most ``BATCH``: a 57,000-message
conversation never holds the write lock for long), then everything else in one last step.
Cancelled between steps, the messages already erased stay erased and the AuditLog says so (by the
number's hash); erasing again finishes the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from desk.base.clock import Clock, to_db
from desk.compliance.retention import delete_messages
from desk.read import unreadable
from desk.store import audit, fencing
from desk.store.activity import Call
from desk.store.bulk import BulkJob, JobState, JobStatus
from desk.store.db import db
from desk.store.models import (
    Appointment,
    AuditLog,
    ConsentEvent,
    Contact,
    Conversation,
    DeliveryReport,
    IncomingPart,
    Message,
    RawIncoming,
    Reminder,
    ReminderRecipient,
    ReminderRun,
)
from desk.store.settings import Settings

log = logging.getLogger(__name__)

ERASED = "[erased]"


class EraseError(LookupError):
    pass


@dataclass(frozen=True)
class ErasureResult:
    contact_id: int
    conversation_id: int | None
    fingerprint: str  # what the AuditLog holds instead of the number
    messages: int
    appointments: int
    reminders: int
    kept_opt_out: bool


def _semi_octets(number: str) -> str:
    """The number as it appears inside a PDU (swapped BCD digits), to find raw PDUs from it."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) % 2:
        digits += "F"
    return "".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def find_contact(number_or_id: str | int) -> Contact | None:
    if isinstance(number_or_id, int):
        return Contact.get_or_none(Contact.id == number_or_id)
    return Contact.get_or_none(Contact.number == number_or_id)


BATCH = 500  # at most this many messages per statement group
FIRST_BATCH = 50  # the first group; the next ones sized to what fits in the time left
MERGE_PAGES = 50  # FTS5 index pages one 'merge' call writes (a few ms each)
FTS_TABLES = ("message_fts", "contact_fts")


def erase_contact(contact_id: int, *, staff: str | None = None, clock: Clock) -> ErasureResult:
    """Erase everything about one contact (see the module doc), in a plain loop of short steps
    (``EraseJob.run``); raises EraseError for an unknown contact."""
    return EraseJob(contact_id, staff=staff, clock=clock).run()


class EraseJob(BulkJob[ErasureResult]):
    """Erasure in short steps (see the module doc). ``result()`` once DONE."""

    def __init__(
        self,
        contact_id: int,
        *,
        staff: str | None = None,
        clock: Clock,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> None:
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise EraseError(f"There is no contact {contact_id}.")
        conversation = Conversation.get_or_none(Conversation.contact == contact.id)
        self.conversation_id: int | None = conversation.id if conversation else None
        total = (
            Message.select().where(Message.conversation == self.conversation_id).count()
            if self.conversation_id
            else 0
        )
        self._server = fencing.is_server()  # PostgreSQL: no FTS5 index to merge, no PRAGMAs
        self._merge_units = 0 if self._server else sum(_index_pages(t) for t in FTS_TABLES)
        super().__init__("erasing a customer", total + 1 + self._merge_units, on_status=on_status)
        self.contact_id = contact_id
        self.number = str(contact.number)
        self.staff = staff
        self.clock = clock
        self.erased_messages = 0
        self._result: ErasureResult | None = None
        self._batch = FIRST_BATCH
        # the FTS5 indexes still to merge after the erasure (none on PostgreSQL)
        self._merging: list[str] = [] if self._server else list(FTS_TABLES)
        self._merge_started = False

    @property
    def erased(self) -> bool:
        """The customer's rows are gone (the search indexes may still be merging)."""
        return self._result is not None

    def result(self) -> ErasureResult:
        if self._result is None:
            if self.state is JobState.CANCELLED:
                raise EraseError(
                    f"The erasure was cancelled after {self.erased_messages} messages; "
                    "erase the customer again to finish."
                )
            raise EraseError("The erasure has not finished.")
        return self._result

    def step(self) -> bool:
        if self._result is not None:
            self._cancel.clear()  # erased already: the index merge that follows always finishes
        if self._server:
            return super().step()
        database = db.obj
        database.execute_sql("PRAGMA secure_delete = ON")
        try:
            more = super().step()
        finally:
            database.execute_sql("PRAGMA secure_delete = OFF")
        if self._result is not None and not more:
            _checkpoint()
        return more

    def advance(self, deadline: float) -> bool:
        if self._result is not None:
            return self._merge(deadline)
        while True:
            ids = (
                [
                    int(m.id)
                    for m in Message.select(Message.id)
                    .where(Message.conversation == self.conversation_id)
                    .limit(self._batch)
                ]
                if self.conversation_id
                else []
            )
            if not ids:
                self._result = _erase(
                    self.contact_id,
                    staff=self.staff,
                    clock=self.clock,
                    erased_before=self.erased_messages,
                )
                self.done = self.total - self._merge_units
                if not self._merging:  # PostgreSQL: its search rows went with the rows
                    self.done = self.total
                    return True
                return False  # the index merge next, in steps of its own
            started = self.monotonic()
            ReminderRun.delete().where(ReminderRun.message.in_(ids)).execute()
            delete_messages(ids)
            self.erased_messages += len(ids)
            self.done = self.erased_messages
            now = self.monotonic()
            each = max(1e-6, (now - started) / len(ids))  # seconds per message, as measured
            if now >= deadline:
                self._batch = _clamp(int(0.8 * self.step_seconds / each), 10, BATCH)
                return False
            self._batch = _clamp(int((deadline - now) / each), 10, BATCH)

    def _merge(self, deadline: float) -> bool:
        """Merge the search indexes a few pages at a time (in this step's transaction) until a
        merge call changes nothing; True when both are one segment again."""
        connection = db.connection()
        while self._merging:
            table = self._merging[0]
            pages = -MERGE_PAGES if not self._merge_started else MERGE_PAGES
            before, started = connection.total_changes, self.monotonic()
            db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (pages,))
            self._merge_started = True
            if connection.total_changes - before < 2:  # nothing left to merge in this index
                self._merging.pop(0)
                self._merge_started = False
            else:
                self.done = min(self.total - 1, self.done + MERGE_PAGES)
            now = self.monotonic()
            if now + (now - started) > deadline:  # another call would overrun the step
                break
        if self._merging:
            return False
        self.done = self.total
        return True

    def cancelled(self) -> None:
        if self.erased_messages:
            with db.atomic():
                audit.record(
                    "erased",
                    f"customer {audit.fingerprint(self.number)}: erasure stopped after "
                    f"{self.erased_messages} messages; the rest is kept until it is erased again",
                    self.staff,
                    clock=self.clock,
                )


def backup_note() -> str:
    """What the erasure leaves in backups made before it, in the words of the profile's engine:
    SQLite backup files (desk.data.backup) or the server's pg_dump backups."""
    if fencing.is_server():
        return (
            "pg_dump backups of the server made before now still hold them; "
            "erase them again after restoring one"
        )
    return "backups made before now still hold them; erase them again after restoring one"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _index_pages(table: str) -> int:
    """About how many pages an index merge of ``table`` writes (its segment pages), for the
    progress figure."""
    row = db.execute_sql(f"SELECT count(*) FROM {table}_data").fetchone()
    return int(row[0]) if row else 0


def _checkpoint() -> None:
    """The WAL checkpointed (best effort) so old pages do not linger in it."""
    database = db.obj
    try:
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:  # a reader may hold the WAL; the next checkpoint gets it
        log.debug("checkpoint after erasure deferred: %s", exc)


def _erase(
    contact_id: int, *, staff: str | None, clock: Clock, erased_before: int = 0
) -> ErasureResult:
    with db.atomic():
        contact = Contact.get_or_none(Contact.id == contact_id)
        if contact is None:
            raise EraseError(f"There is no contact {contact_id}.")
        number, name = contact.number, contact.name
        conversation = Conversation.get_or_none(Conversation.contact == contact.id)
        conversation_id = conversation.id if conversation else None

        # Consent: the opt-out fact only, if the customer was opted out at the end.
        events = list(
            ConsentEvent.select()
            .where((ConsentEvent.contact == contact.id) | (ConsentEvent.number == number))
            .order_by(ConsentEvent.at, ConsentEvent.id)
        )
        last_choice = next((e for e in reversed(events) if e.kind in ("opt_out", "opt_in")), None)
        opted_out = contact.opted_out or (last_choice is not None and last_choice.kind == "opt_out")
        opt_out_at = (
            last_choice.at
            if last_choice is not None and last_choice.kind == "opt_out"
            else to_db(clock.now())
        )
        ConsentEvent.delete().where(ConsentEvent.id.in_([e.id for e in events])).execute()
        if opted_out:
            ConsentEvent.create(
                contact=None, number=number, kind="opt_out", method="erasure", text=None,
                at=opt_out_at,
            )  # fmt: skip

        # Messages with their parts, reports and received parts.
        message_ids = (
            [
                m.id
                for m in Message.select(Message.id).where(Message.conversation == conversation_id)
            ]
            if conversation_id
            else []
        )
        # Reminder runs point at messages and the contact: remove them first.
        ReminderRun.delete().where(
            (ReminderRun.contact == contact.id) | ReminderRun.message.in_(message_ids)
        ).execute()
        delete_messages(message_ids)
        IncomingPart.delete().where(IncomingPart.sender == number).execute()
        DeliveryReport.delete().where(DeliveryReport.number == number).execute()
        Call.delete().where((Call.contact == contact.id) | (Call.number == number)).execute()
        pattern = _semi_octets(number)
        if len(pattern) >= 6:
            RawIncoming.delete().where(RawIncoming.raw_data.contains(pattern)).execute()
        country = str(Settings().get("default_country"))
        unreadable_ids = [
            r.id for r in unreadable.unreadable_from([number], default_country=country)
        ]
        RawIncoming.delete().where(RawIncoming.id.in_(unreadable_ids)).execute()

        # Appointments (their reminders cascade), then reminders left with nobody to remind.
        appointments = [a.id for a in Appointment.select().where(Appointment.contact == contact.id)]
        reminders_of_appointments = [
            r.id for r in Reminder.select(Reminder.id).where(Reminder.appointment.in_(appointments))
        ]
        linked = [
            r.reminder_id
            for r in ReminderRecipient.select().where(ReminderRecipient.contact == contact.id)
        ]
        ReminderRecipient.delete().where(ReminderRecipient.contact == contact.id).execute()
        orphaned = [
            rid
            for rid in linked
            if not ReminderRecipient.select().where(ReminderRecipient.reminder == rid).exists()
            and Reminder.get_or_none(Reminder.id == rid) is not None
            and Reminder.get_by_id(rid).appointment_id is None
        ]
        Reminder.delete().where(Reminder.id.in_(orphaned + reminders_of_appointments)).execute()
        Appointment.delete().where(Appointment.id.in_(appointments)).execute()

        if conversation_id:
            Conversation.delete().where(Conversation.id == conversation_id).execute()
        Contact.delete().where(Contact.id == contact.id).execute()

        # Older audit lines must not keep the number or the name either.
        _scrub_audit(number, name)
        tag = audit.fingerprint(number)
        audit.record(
            "erased",
            f"customer {tag}: {erased_before + len(message_ids)} messages, "
            f"{len(appointments)} appointments" + (", opt-out kept" if opted_out else ""),
            staff,
            clock=clock,
        )
        return ErasureResult(
            contact_id=contact_id,
            conversation_id=conversation_id,
            fingerprint=tag,
            messages=erased_before + len(message_ids),
            appointments=len(appointments),
            reminders=len(set(orphaned + reminders_of_appointments)),
            kept_opt_out=opted_out,
        )


def _scrub_audit(number: str, name: str | None) -> None:
    needles = [number]
    if number.startswith("+"):
        needles.append(number[1:])
    if name and len(name.strip()) >= 3:
        needles.append(name.strip())
    for needle in needles:
        for row in AuditLog.select().where(AuditLog.detail.contains(needle)):
            AuditLog.update(detail=row.detail.replace(needle, ERASED)).where(
                AuditLog.id == row.id
            ).execute()
