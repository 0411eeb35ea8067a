"""The scheduler: turns due reminders into outbox messages, exactly once.

``Scheduler.tick()`` runs on the engine's core thread (the one database writer) about once a
second, and again at once while ``behind`` (a tick stops after ``MAX_SECONDS_PER_TICK`` so the
core's other work never waits long). Due reminders go in batches of ``BATCH``, each batch one
transaction written set-wise (``desk.reminders.materialise``); for every occurrence it writes:

- a ``ReminderRun`` per recipient (unique on reminder, contact, due_at) — state ``queued`` with
  the outbox message, ``skipped`` with the reason (opted out, appointment confirmed/cancelled,
  refused by the outbox), or ``missed`` (later than the grace period: the app was closed);
- the outbox messages (``desk.messaging.outbox.queue_message``, automated, ``not_before`` = the next minute
  quiet hours allow in the recipient's zone);
- the reminder moved on to its next occurrence (or finished).

So a crash before the commit leaves the occurrence due (it is redone), a crash after it leaves the
messages queued (the outbox sends them once); a clock set backwards finds nothing due, and the
unique run index refuses a second run for the same occurrence whatever happens. A clock set
forwards makes what it skipped due at once: those occurrences came due while the scheduler was
watching (``watching_since``, kept on the monotonic clock), so they are sent, not "missed";
missed is only for what fell due while the app was not running. Settings are
read once per tick (``Settings.snapshot()``): the same values for every occurrence in it.

Direction: the scheduler uses ``desk.reminders.manage`` (states, the text), never the other way;
"send now" is ``send_now`` here.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable
from datetime import datetime, timedelta

import peewee as pw

from desk.base.clock import Clock, monotonic, to_db, utc
from desk.base.events import DeskEvent, RemindersChanged
from desk.messaging.contacts import contact_zone, quiet_hold
from desk.messaging.outbox import SendRefused, queue_message
from desk.reminders.manage import DONE, MISSED, SCHEDULED, render
from desk.reminders.materialise import due_rows, hold_words, materialise
from desk.reminders.recurrence import Rule
from desk.store.bulk import StepTimes
from desk.store.db import db
from desk.store.models import Appointment, Contact, Reminder, ReminderRecipient, ReminderRun
from desk.store.settings import Settings, Snapshot

log = logging.getLogger(__name__)

RUN_QUEUED, RUN_SKIPPED, RUN_MISSED = "queued", "skipped", "missed"
BATCH = 1000  # reminders per transaction at most (about 0.1 ms each, set-wise, on a fast PC)
FIRST_BATCH = 150  # the first batch, before any was timed (well inside BATCH_SECONDS when slow)
MIN_BATCH = 20
BATCH_SECONDS = 0.08  # a batch's transaction holds the write lock about this long at most
MAX_RUNS_PER_TICK = 5000  # keep the core thread responsive; the rest goes next tick
MAX_SECONDS_PER_TICK = 0.1  # a tick ends before another batch would take it past this


class Scheduler:
    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        emit: Callable[[DeskEvent], None] | None = None,
    ) -> None:
        self.base_settings = settings
        # Read at the start of every tick / materialise: one query, the same values throughout.
        self.settings: Snapshot | None = None
        self.clock = clock
        self.emit = emit
        self._broken: set[int] = set()  # reminders that raised; skipped until restart
        self.behind = False  # the last tick stopped with occurrences still due
        self.watching_since: datetime | None = None  # see _watch
        self._last_tick: float | None = None
        self._batch_size = FIRST_BATCH  # fitted to BATCH_SECONDS (_fit_batch)
        self.batches = StepTimes()  # how long each batch's transaction took (the bench prints it)

    # --- the engine's entry point -------------------------------------------------------------
    def tick(self) -> list[int]:
        """Materialise due occurrences for at most ``MAX_SECONDS_PER_TICK`` (then ``behind`` is
        True: the engine calls again at once, letting its other work run in between); returns
        the ids of the outbox messages queued. Each batch of ``BATCH`` reminders is one
        transaction, written set-wise (``desk.reminders.materialise``)."""
        now = self.clock.now()
        self.settings = self.base_settings.snapshot()
        self._watch(now)
        started = _time.monotonic()
        last = 0.0  # seconds into the tick when the latest batch began
        queued: list[int] = []
        runs = 0
        changed = False
        self.behind = False
        while True:
            # Read outside any transaction: a tick with nothing due takes no write lock.
            ids = self._due_ids(now, size := self._batch_size)
            if not ids:
                break
            changed = True
            began = _time.monotonic()
            with db.atomic():
                due = due_rows(ids, now)  # again inside: one cancelled meanwhile stays so
                try:
                    with db.atomic():  # a savepoint: a batch that fails is redone one by one
                        queued_ids, n = materialise(
                            due,
                            now=now,
                            settings=self._snapshot(),
                            late_reason=self._late_reason,
                            slow_queue=self._slow_queue,
                        )
                except Exception:
                    log.warning("a batch of reminders failed; materialising them one by one")
                    queued_ids, n = self._one_by_one([r.id for r in due], now)
                queued.extend(queued_ids)
                runs += max(n, len(due))
            self.batches.add(_time.monotonic() - began)
            # At least one batch per tick; then the core's other work gets its turn before
            # another batch would take the tick past MAX_SECONDS_PER_TICK (judged by this one).
            elapsed = _time.monotonic() - started
            self._fit_batch(elapsed - last)
            if not due:
                break  # all changed meanwhile: the next tick reads afresh
            if runs >= MAX_RUNS_PER_TICK or elapsed + (elapsed - last) > MAX_SECONDS_PER_TICK:
                self.behind = len(ids) == size
                break
            last = elapsed
        if changed and self.emit is not None:
            self.emit(RemindersChanged())
        return queued

    def _due_ids(self, now: datetime, size: int) -> list[int]:
        """The next ``size`` due reminders in (next_at, id) order, read along the next_at index
        (``state || ''`` keeps SQLite from choosing the state index and sorting every scheduled
        reminder for each batch: 10,000 due at once made each batch sort all that were left; it
        is SQLite's ``+state`` hint in a form PostgreSQL also takes)."""
        sql = "SELECT id FROM reminder WHERE state || '' = ? AND next_at <= ?"
        params: list[object] = [SCHEDULED, to_db(now)]
        if self._broken:
            sql += f" AND id NOT IN ({', '.join('?' * len(self._broken))})"
            params += sorted(self._broken)
        sql += " ORDER BY next_at, id LIMIT ?"
        params.append(size)
        return [int(row[0]) for row in db.execute_sql(sql, params).fetchall()]

    def _fit_batch(self, took: float) -> None:
        """Keep one batch's transaction near BATCH_SECONDS (the write lock's budget) on a slow
        or busy PC: halve the batch after a slow one, grow it back after quick ones."""
        if took > BATCH_SECONDS and self._batch_size > MIN_BATCH:
            self._batch_size = max(MIN_BATCH, self._batch_size // 2)
        elif took < BATCH_SECONDS / 3 and self._batch_size < BATCH:
            self._batch_size = min(BATCH, self._batch_size * 2)

    def next_due(self) -> datetime | None:
        """When the next occurrence falls due (now or past while ``behind``); None: nothing is
        scheduled. Reminders that raised (skipped until restart) are left out, so the engine
        sleeps until this instead of ticking every second."""
        if self.behind:
            return self.clock.now()
        # Plain SQL: the engine asks after every batch that leaves its queue empty.
        sql = "SELECT MIN(next_at) FROM reminder WHERE state = ? AND next_at IS NOT NULL"
        params: list[object] = [SCHEDULED]
        if self._broken:
            sql += f" AND id NOT IN ({', '.join('?' * len(self._broken))})"
            params += sorted(self._broken)
        row = db.execute_sql(sql, params).fetchone()
        first = row[0] if row else None
        if first is None:
            return None
        return utc(first if isinstance(first, datetime) else datetime.fromisoformat(str(first)))

    def _one_by_one(self, ids: list[int], now: datetime) -> tuple[list[int], int]:
        """The batch again, each reminder in its own savepoint: a broken one spoils nothing else
        and is skipped until restart."""
        queued: list[int] = []
        runs = 0
        due = (
            Reminder.select(Reminder, Appointment)
            .join(Appointment, pw.JOIN.LEFT_OUTER)
            .where(Reminder.id.in_(ids))
            .order_by(Reminder.next_at, Reminder.id)
        )
        for reminder in due:
            try:
                with db.atomic():
                    ids, n = self._occurrence(reminder, now, force=False)
            except Exception:
                log.exception("reminder %s could not be materialised", reminder.id)
                self._broken.add(reminder.id)
                continue
            queued.extend(ids)
            runs += max(n, 1)
        return queued, runs

    # --- late or on time ------------------------------------------------------------------------
    def _watch(self, now: datetime) -> None:
        """Keep ``watching_since``: the wall time from which this scheduler has been ticking with
        no gap longer than the grace period, measured on the monotonic clock. A gap (the app was
        closed, the PC asleep, the core stuck) starts a new watch at ``now``; a wall-clock jump
        does not."""
        mono = monotonic(self.clock)
        grace = 60.0 * self._snapshot().grace_minutes
        if self._last_tick is None or mono - self._last_tick > grace:
            self.watching_since = now
        self._last_tick = mono

    def _late_reason(self, due: datetime, now: datetime) -> str | None:
        """Why the occurrence due at ``due`` is missed, or None to send it now.

        Missed means later than the grace period *and* due before this scheduler started
        watching: the app was not running then. One that came due while it was watching goes
        out however late the wall clock says it is (the clock was set forward: it fires once,
        not never)."""
        grace = timedelta(minutes=self._snapshot().grace_minutes)
        if now - due <= grace:
            return None
        if self.watching_since is not None and due >= self.watching_since:
            return None
        return f"not sent: {_late(now - due)} late (the app was not running)"

    def _slow_queue(
        self, reminder_id: int, contact_id: int, due: datetime, now: datetime
    ) -> int | None:
        """A batch's message the outbox may refuse, through ``queue_message`` (which says why)."""
        reminder = Reminder.get_by_id(reminder_id)
        contact = Contact.get_by_id(contact_id)
        return self._queue(reminder, contact, reminder.appointment, due, now, now)

    def _hold_words(self, hold: datetime, contact: Contact) -> str:
        return hold_words(hold, contact_zone(contact, self._snapshot().shop_zone()))

    def materialise(self, reminder_id: int, *, force: bool = False) -> list[int]:
        """Materialise one reminder's next occurrence now (``force``: even if not yet due, as
        "send now" does). Returns the message ids queued."""
        now = self.clock.now()
        self.settings = self.base_settings.snapshot()
        with db.atomic():
            reminder = Reminder.get_or_none(Reminder.id == reminder_id)
            if reminder is None or reminder.state != SCHEDULED or reminder.next_at is None:
                return []
            if not force and utc(reminder.next_at) > now:
                return []
            ids, _ = self._occurrence(reminder, now, force=force)
        if self.emit is not None:
            self.emit(RemindersChanged())
        return ids

    # --- one occurrence -----------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        if self.settings is None:
            self.settings = self.base_settings.snapshot()
        return self.settings

    def _occurrence(
        self, reminder: Reminder, now: datetime, *, force: bool
    ) -> tuple[list[int], int]:
        settings = self._snapshot()
        if reminder.next_at is None:
            return [], 0  # finished meanwhile: nothing is due
        due = utc(reminder.next_at)
        appointment: Appointment | None = reminder.appointment
        missed_reason = None if force else self._late_reason(due, now)
        skip_reason = None
        if appointment is not None:
            if appointment.state == "cancelled":
                skip_reason = "appointment cancelled"
            elif appointment.state == "confirmed" and settings.skip_after_confirm:
                skip_reason = "appointment already confirmed"
            elif utc(appointment.starts_at) <= now:
                missed_reason = missed_reason or "not sent: the appointment time has passed"
        contacts = list(
            Contact.select()
            .join(ReminderRecipient)
            .where(ReminderRecipient.reminder == reminder)
            .order_by(Contact.id)
        )
        queued: list[int] = []
        send_at = now  # due already, or "send now": quiet hours may still hold it back
        done = {
            run.contact_id
            for run in ReminderRun.select(ReminderRun.contact).where(
                (ReminderRun.reminder == reminder) & (ReminderRun.due_at == to_db(due))
            )
        }
        for contact in contacts:
            if contact.id in done:
                continue  # this occurrence already went to this recipient: never twice
            if contact.opted_out:
                self._run(reminder, contact, due, now, RUN_SKIPPED, "opted out")
            elif skip_reason:
                self._run(reminder, contact, due, now, RUN_SKIPPED, skip_reason)
            elif missed_reason:
                self._run(reminder, contact, due, now, RUN_MISSED, missed_reason)
            else:
                message_id = self._queue(reminder, contact, appointment, due, send_at, now)
                if message_id is not None:
                    queued.append(message_id)
        self._advance(reminder, due, missed=bool(missed_reason) and not skip_reason)
        return queued, len(contacts)

    def _queue(
        self,
        reminder: Reminder,
        contact: Contact,
        appointment: Appointment | None,
        due: datetime,
        send_at: datetime,
        now: datetime,
    ) -> int | None:
        settings = self._snapshot()
        text = render(
            reminder.text,
            contact=contact,
            settings=settings,
            when=due,
            appointment=appointment,
        )
        hold = quiet_hold(send_at, contact, settings)
        run = self._run(reminder, contact, due, now, RUN_QUEUED, None)
        if hold is not None:
            run.reason = self._hold_words(hold, contact)
        try:
            message = queue_message(
                contact,
                text,
                source="reminder",
                automated=True,
                not_before=hold,
                reminder_run_id=run.id,
                settings=settings,
                clock=self.clock,
            )
        except SendRefused as exc:
            ReminderRun.update(state=RUN_SKIPPED, reason=str(exc) or "refused by the outbox").where(
                ReminderRun.id == run.id
            ).execute()
            return None
        ReminderRun.update(message=message.id, reason=run.reason).where(
            ReminderRun.id == run.id
        ).execute()
        return message.id

    def _run(
        self,
        reminder: Reminder,
        contact: Contact,
        due: datetime,
        now: datetime,
        state: str,
        reason: str | None,
    ) -> ReminderRun:
        try:
            with db.atomic():
                return ReminderRun.create(
                    reminder=reminder,
                    contact=contact,
                    due_at=to_db(due),
                    state=state,
                    reason=reason,
                    created_at=to_db(now),
                )
        except pw.IntegrityError:
            # The unique index caught a second run for this occurrence: abort the whole one.
            raise RuntimeError(
                f"reminder {reminder.id}: occurrence {due} already materialised"
            ) from None

    def _advance(self, reminder: Reminder, due: datetime, *, missed: bool) -> None:
        reminder.occurrences += 1
        if reminder.recurrence:
            following = Rule.from_json(reminder.recurrence).next_after(due)
            reminder.next_at = to_db(following)
            if following is None:
                reminder.state = DONE
        else:
            reminder.next_at = None
            reminder.state = MISSED if missed else DONE
        reminder.save(only=[Reminder.occurrences, Reminder.next_at, Reminder.state])


def _late(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def send_now(reminder_id: int, *, settings: Settings, clock: Clock) -> list[int]:
    """Send the next occurrence now (quiet hours and the rate limit still apply in the outbox);
    a recurring reminder then moves on to the following one. Returns the message ids."""
    return Scheduler(settings=settings, clock=clock).materialise(reminder_id, force=True)
