"""The peewee models: what TextDesk stores. All datetimes are naive UTC (see desk.base.clock.to_db).

Bound to ``desk.store.db.db`` (a DatabaseProxy) so the same models serve the engine, the window and the
command line, each with its own connection to one SQLite file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee as pw

from desk.store.db import db

# Message.direction
IN, OUT = "in", "out"

# Outgoing Message.state
QUEUED, SENDING, SENT, DELIVERED, FAILED, UNCERTAIN = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "failed",
    "uncertain",
)
# Incoming Message.state
RECEIVED, INCOMPLETE = "received", "incomplete"

OUT_STATES = (QUEUED, SENDING, SENT, DELIVERED, FAILED, UNCERTAIN)
IN_STATES = (RECEIVED, INCOMPLETE)

# Conversation.status
OPEN, DONE = "open", "done"

# Message.held_reason: why a queued outgoing text is not going now (held_until says until when)
HELD_RATE_MINUTE = "rate_minute"  # the per-minute send limit (staff's or automated texts')
HELD_RATE_DAY = "rate_day"  # the per-day limit of automated texts
HELD_QUIET_HOURS = "quiet_hours"  # automated texts wait out the customer's quiet hours
HELD_RETRY = "retry"  # a temporary modem error; error/error_code say which, retried at held_until
HELD_NO_NETWORK = "no_network"  # the modem is not registered on a network
HELD_NO_MODEM = "no_modem"  # no modem is connected
HELD_REASONS = (
    HELD_RATE_MINUTE,
    HELD_RATE_DAY,
    HELD_QUIET_HOURS,
    HELD_RETRY,
    HELD_NO_NETWORK,
    HELD_NO_MODEM,
)

# Conversation.attention: the causes behind needs_attention, each cleared when its cause is
ATTENTION_FAILED = "failed"  # an outgoing text failed
ATTENTION_UNCERTAIN = "uncertain"  # an outgoing text may or may not have gone out
ATTENTION_OPTOUT_TEXT = "optout_text"  # the customer asked in words to stop (not the keyword)
ATTENTION_APPOINTMENT = "appointment_reply"  # a reply about an appointment staff must read
ATTENTION_REMINDER_LATE = "reminder_late"  # a reminder could not go before its appointment
ATTENTION_EARLIER = "earlier"  # flagged before schema 5 recorded causes


class BaseModel(pw.Model):
    """Every table's base. Each model declares ``id`` (the AutoField peewee would add unseen)
    and, under each foreign key ``x``, the ``x_id`` peewee sets beside it, so both are typed."""

    class Meta:
        database = db
        legacy_table_names = False

    if TYPE_CHECKING:
        # types-peewee declares ``delete`` as ``classmethod_only[Self, ModelDelete]``, which mypy
        # refuses on every class access ("generic instance variables via class is ambiguous").
        # At run time it is peewee's own descriptor, unchanged; this is its type as a classmethod.
        @classmethod
        def delete(cls) -> pw.ModelDelete: ...


class Contact(BaseModel):
    id = pw.AutoField()
    number = pw.CharField(unique=True)  # E.164, or an alphanumeric sender as received
    name = pw.CharField(null=True)
    notes = pw.TextField(default="")
    tags = pw.TextField(default="")  # comma-separated, lower-case
    timezone = pw.CharField(null=True)  # IANA name; None: the shop's
    opted_out = pw.BooleanField(default=False)
    callback_requested = pw.BooleanField(default=False)
    created_at = pw.DateTimeField()
    # backrefs (peewee adds them from the foreign keys pointing here)
    conversations: pw.ModelSelect[Conversation]
    consent_events: pw.ModelSelect[ConsentEvent]
    appointments: pw.ModelSelect[Appointment]
    reminder_links: pw.ModelSelect[ReminderRecipient]

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (s.strip() for s in self.tags.split(",")) if t]

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0] if self.name else ""


class Conversation(BaseModel):
    id = pw.AutoField()
    contact = pw.ForeignKeyField(Contact, unique=True, backref="conversations", on_delete="CASCADE")
    contact_id: int
    status = pw.CharField(default=OPEN, index=True)
    unread = pw.IntegerField(default=0)
    last_activity_at = pw.DateTimeField(index=True)
    last_preview = pw.CharField(default="")
    last_direction = pw.CharField(null=True)
    needs_attention = pw.BooleanField(default=False)  # free-text opt-out, failed/uncertain send…
    attention = pw.TextField(default="")  # why: comma-separated ATTENTION_* causes (schema 5)
    assigned_to = pw.CharField(null=True, index=True)  # a Staff name (schema 7); None: nobody
    messages: pw.ModelSelect[Message]  # backrefs
    notes: pw.ModelSelect[Note]

    @property
    def attention_list(self) -> list[str]:
        return [c for c in self.attention.split(",") if c]


class Message(BaseModel):
    id = pw.AutoField()
    conversation = pw.ForeignKeyField(Conversation, backref="messages", on_delete="CASCADE")
    conversation_id: int
    direction = pw.CharField()  # IN / OUT
    body = pw.TextField(default="")
    encoding = pw.CharField(default="gsm7")
    parts = pw.IntegerField(default=1)
    state = pw.CharField(index=True)
    error = pw.TextField(null=True)  # plain words for staff
    error_code = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(index=True)  # queued (out) / stored (in)
    sent_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    sender_time = pw.DateTimeField(null=True)  # SMSC timestamp of an incoming message
    read = pw.BooleanField(default=True)
    staff = pw.CharField(null=True)  # who on staff sent it
    source = pw.CharField(default="staff")  # staff, cli, reminder, consent, help
    automated = pw.BooleanField(default=False)
    priority = pw.IntegerField(default=0)  # lower goes first: staff 0, automated 10
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(null=True, index=True)
    not_before = pw.DateTimeField(null=True)  # quiet hours / one-off scheduled
    concat_ref = pw.IntegerField(null=True)
    parts_sent = pw.IntegerField(default=0)  # parts the modem accepted (resume point)
    flags = pw.TextField(default="")  # comma-separated: sensitive, optout_text, keyword…
    masked = pw.BooleanField(default=False)
    dedupe_key = pw.CharField(null=True, unique=True)  # incoming: sender|scts|concat|hash
    reminder_run_id = pw.IntegerField(null=True, index=True)
    held_reason = pw.CharField(null=True)  # why a queued text waits: HELD_* (schema 5)
    held_until = pw.DateTimeField(null=True)  # ... and until when (UTC); None: until it changes
    owner_generation = pw.IntegerField(null=True)  # the modem owner that claimed it (schema 7)
    part_rows: pw.ModelSelect[MessagePart]  # backrefs
    incoming_parts: pw.ModelSelect[IncomingPart]

    class Meta:
        indexes = ((("conversation", "created_at"), False), (("direction", "state"), False))

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]

    def add_flag(self, flag: str) -> None:
        """Mark the message with ``flag`` (kept once) and write its flags to the database."""
        flags = self.flag_list
        if flag not in flags:
            flags.append(flag)
        self.flags = ",".join(flags)
        Message.update(flags=self.flags).where(Message.id == self.id).execute()


class MessagePart(BaseModel):
    """One SMS part of an outgoing message, with its TP-MR for delivery-report matching."""

    id = pw.AutoField()
    message = pw.ForeignKeyField(Message, backref="part_rows", on_delete="CASCADE")
    message_id: int
    seq = pw.IntegerField()
    reference = pw.IntegerField(null=True, index=True)
    number = pw.CharField()  # destination, for matching reports
    state = pw.CharField(default="pending")  # pending submitting sent delivered failed uncertain
    sent_at = pw.DateTimeField(null=True, index=True)  # rate limit counts parts by this
    delivered_at = pw.DateTimeField(null=True)
    report_status = pw.IntegerField(null=True)
    reports: pw.ModelSelect[DeliveryReport]  # backref

    class Meta:
        indexes = ((("message", "seq"), True),)


class IncomingPart(BaseModel):
    """A received SMS part, kept until its message is complete (reassembly survives restarts)."""

    id = pw.AutoField()
    dedupe_key = pw.CharField(unique=True)
    sender = pw.CharField(index=True)
    concat_ref = pw.IntegerField(null=True)
    total = pw.IntegerField(default=1)
    seq = pw.IntegerField(default=1)
    text = pw.TextField(default="")
    encoding = pw.CharField(default="gsm7")
    sender_time = pw.DateTimeField(null=True)
    received_at = pw.DateTimeField()
    raw_data = pw.TextField(default="", column_name="raw")  # as received: hex PDU or JSON
    message = pw.ForeignKeyField(Message, null=True, backref="incoming_parts", on_delete="SET NULL")
    message_id: int | None


class DeliveryReport(BaseModel):
    id = pw.AutoField()
    reference = pw.IntegerField(index=True)
    number = pw.CharField(null=True)
    status = pw.IntegerField()
    delivered = pw.BooleanField()
    final = pw.BooleanField()
    discharge_time = pw.DateTimeField(null=True)
    received_at = pw.DateTimeField()
    raw_data = pw.TextField(default="", column_name="raw")  # as received: hex PDU or JSON
    part = pw.ForeignKeyField(MessagePart, null=True, backref="reports", on_delete="SET NULL")
    part_id: int | None


class RawIncoming(BaseModel):
    """An incoming PDU we could not decode: kept verbatim so nothing is lost, shown to staff."""

    id = pw.AutoField()
    raw_data = pw.TextField(column_name="raw")  # as received: hex PDU or JSON
    error = pw.TextField()
    storage = pw.CharField(null=True)
    received_at = pw.DateTimeField()


class Template(BaseModel):
    id = pw.AutoField()
    name = pw.CharField(unique=True)  # typed as /name in the composer
    body = pw.TextField()
    position = pw.IntegerField(default=0)  # the shop's order (schema 5)


class Note(BaseModel):
    """An internal note on a conversation: seen by staff, never sent (schema 5)."""

    id = pw.AutoField()
    conversation = pw.ForeignKeyField(
        Conversation, backref="notes", on_delete="CASCADE", index=False
    )
    conversation_id: int
    body = pw.TextField()
    staff = pw.CharField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("conversation", "created_at"), False),)


class ConsentEvent(BaseModel):
    """Opt-out / opt-in / help. Keeps the number, so an opt-out survives erasing the contact."""

    id = pw.AutoField()
    contact = pw.ForeignKeyField(Contact, null=True, backref="consent_events", on_delete="SET NULL")
    contact_id: int | None
    number = pw.CharField(index=True)
    kind = pw.CharField()  # opt_out, opt_in, help, optout_text (flagged for staff)
    method = pw.CharField()  # keyword, staff, import, erasure
    text = pw.TextField(null=True)
    at = pw.DateTimeField()


class Setting(BaseModel):
    key = pw.CharField(primary_key=True)
    value = pw.TextField()  # JSON


class AuditLog(BaseModel):
    id = pw.AutoField()
    at = pw.DateTimeField(index=True)
    action = pw.CharField()  # sent, deleted, exported, erased, retention, restored, settings…
    detail = pw.TextField(default="")
    staff = pw.CharField(null=True)


# --- reminders (issue: scheduled, recurring and appointment reminders) ------------------------


class Appointment(BaseModel):
    id = pw.AutoField()
    contact = pw.ForeignKeyField(Contact, backref="appointments", on_delete="CASCADE")
    contact_id: int
    starts_at = pw.DateTimeField(index=True)
    service = pw.CharField(default="")
    note = pw.TextField(default="")
    state = pw.CharField(default="pending")  # pending, confirmed, reschedule, cancelled
    source_key = pw.CharField(null=True, unique=True)  # CSV import idempotency
    reply_message = pw.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    reply_message_id: int | None
    created_at = pw.DateTimeField()
    reminders: pw.ModelSelect[Reminder]  # backref


class Reminder(BaseModel):
    id = pw.AutoField()
    text = pw.TextField()
    next_at = pw.DateTimeField(null=True, index=True)  # next occurrence (UTC); None when finished
    recurrence = pw.TextField(null=True)  # JSON rule, None for one-off
    state = pw.CharField(default="scheduled", index=True)  # scheduled, done, cancelled, missed
    appointment = pw.ForeignKeyField(
        Appointment, null=True, backref="reminders", on_delete="CASCADE"
    )
    appointment_id: int | None
    offset_minutes = pw.IntegerField(null=True)  # minutes before the appointment
    occurrences = pw.IntegerField(default=0)  # how many times it has fired
    created_at = pw.DateTimeField()
    created_by = pw.CharField(null=True)
    recipients: pw.ModelSelect[ReminderRecipient]  # backrefs
    runs: pw.ModelSelect[ReminderRun]


class ReminderRecipient(BaseModel):
    id = pw.AutoField()
    reminder = pw.ForeignKeyField(Reminder, backref="recipients", on_delete="CASCADE")
    reminder_id: int
    contact = pw.ForeignKeyField(Contact, backref="reminder_links", on_delete="CASCADE")
    contact_id: int

    class Meta:
        indexes = ((("reminder", "contact"), True),)


class ReminderRun(BaseModel):
    """One occurrence for one recipient: exactly once, by the unique index."""

    id = pw.AutoField()
    reminder = pw.ForeignKeyField(Reminder, backref="runs", on_delete="CASCADE")
    reminder_id: int
    contact = pw.ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    contact_id: int | None
    due_at = pw.DateTimeField()
    state = pw.CharField()  # queued, skipped, missed
    reason = pw.TextField(null=True)
    message = pw.ForeignKeyField(Message, null=True, on_delete="SET NULL")
    message_id: int | None
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("reminder", "contact", "due_at"), True),)


ALL_MODELS: list[type[BaseModel]] = [
    Contact,
    Conversation,
    Message,
    MessagePart,
    IncomingPart,
    DeliveryReport,
    RawIncoming,
    Template,
    Note,
    ConsentEvent,
    Setting,
    AuditLog,
    Appointment,
    Reminder,
    ReminderRecipient,
    ReminderRun,
]
