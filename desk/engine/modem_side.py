"""The core thread's modem side: modem events, jobs in flight, and the ModemService's life.

A mixin of desk.engine.core_loop.Core (runs on the core thread only). Side effects that must wait for
the commit (acknowledging an SMS to the modem, releasing one it did not store, submitting a job,
events to subscribers) go through ``Core.later``.

An incoming text that does not decode may only have been garbled on the line between the modem
and the PC (noise on the serial cable, a USB hiccup): when the modem read it from a SIM slot, the
core does not store it at once but gives it back (``release_incoming``), and the modem reads the
slot again at its next sweep, moments later. Read intact, it is stored like any text and the log
says it was re-read; read the same undecodable way again (or still garbled after REREAD_TRIES),
it is what the SIM holds: kept raw (desk.messaging.inbox), acknowledged, and staff are told.
An incoming text that could not be stored because of a bug is given back too (at most
RELEASE_TRIES times, so a text that always fails does not keep the modem sweeping); it stays on
the SIM either way.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk.automations import calls
from desk.base import events as ev
from desk.base.clock import Clock
from desk.engine import modem_state
from desk.messaging import delivery, inbox, outbox, send_queue
from desk.messaging.inbox import IncomingRules
from desk.store import fencing
from desk.store.db import db
from desk.store.models import OUT, QUEUED, Appointment
from desk.store.settings import Settings, Snapshot
from modem import events as me
from modem.link import ModemLink

log = logging.getLogger("desk.engine.api")

SERVICE_STOP_TIMEOUT = 5.0
SERVICE_RETRY = 30.0  # a modem service that could not even be started is tried again this often
REREAD_TRIES = 3  # garbled reads of one SIM slot given back before it is kept raw
RELEASE_TRIES = 3  # times a text whose storing failed is given back to the modem
GARBLED_FORGET = 600.0  # seconds after which a garbled read of a slot is forgotten
EMPTY_TAKE_EVERY = 1.0  # with nothing queued, take_jobs runs at most this often
SNAPSHOT_MAX_AGE = 1.0  # the hot paths' settings snapshot is read again at least this often

# Run with nearly every event: plain SQL (building them with peewee cost more than running them).
_MESSAGE_STATE = "SELECT id, conversation_id, state FROM message WHERE id = ?"
_ANY_QUEUED = "SELECT 1 FROM message WHERE direction = ? AND state = ? LIMIT 1"


@dataclass
class _Garbled:
    """Undecodable reads of one SIM slot given back to the modem to read again."""

    reason: str
    raws: list[str] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class ServiceGone:
    """Queued after a ModemService stopped: every event it emitted is ahead of this marker."""

    clean: bool


@dataclass
class Flight:
    """A job handed to the modem service and not finished yet."""

    start_part: int
    concat_ref: int | None
    parts: int | None = None
    submitting: set[int] = field(default_factory=set)
    sent: set[int] = field(default_factory=set)
    since: float = field(default_factory=time.monotonic)

    def next_part(self) -> int:
        return max(self.sent) + 1 if self.sent else self.start_part


class ModemSide:
    # Provided by Core.
    clock: Clock
    settings: Settings
    queue: queue.Queue[Any]
    max_in_flight: int
    make_service: Callable[[], ModemLink]
    watch_settings: Callable[[], tuple[str | None, str | None]] | None
    rules: IncomingRules
    _last_id: int
    generation: int | None  # the modem owner's fencing token (several counters), else None
    profile: modem_state.Profile | None

    if TYPE_CHECKING:  # desk.engine.server_side

        @property
        def may_link(self) -> bool: ...
        def modem_event_ignored(self, event: me.ModemEvent) -> bool: ...
        def _look_here(self) -> None: ...
        def _say_owner(self, *, force: bool = False) -> None: ...

    def emit(self, event: ev.DeskEvent) -> None: ...
    def later(self, kind: str, payload: Any) -> None: ...
    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def _init_modem_side(self) -> None:
        self.service: ModemLink | None = None
        self.status = me.ModemStatus()
        self.flights: dict[int | str, Flight] = {}
        self._service_key: tuple[str | None, str | None] | None = None
        self._service_retry_at: float | None = None  # set while the service could not start
        self._garbled: dict[tuple[str, int], _Garbled] = {}
        self._release_counts: dict[str, int] = {}  # raw PDU -> times given back after a failure
        self._item_problems: set[str] = set()  # item failures said already
        self._took_at = float("-inf")  # when take_jobs last ran (monotonic)
        self._snapshot: Snapshot | None = None
        self._snapshot_at = 0.0

    def snap(self) -> Snapshot:
        """The settings for the hot paths (every text sent or stored): one snapshot, read again
        after SNAPSHOT_MAX_AGE seconds or once something may have changed them (a call ran,
        another connection committed, a batch was rolled back: ``forget_settings``)."""
        now = time.monotonic()
        if self._snapshot is None or now - self._snapshot_at > SNAPSHOT_MAX_AGE:
            self._snapshot, self._snapshot_at = self.settings.snapshot(), now
        return self._snapshot

    def forget_settings(self) -> None:
        self._snapshot = None

    # --- events ---------------------------------------------------------------------------------

    def _modem_event(self, event: me.ModemEvent) -> None:
        if self.modem_event_ignored(event):
            return
        gen = self.generation
        if isinstance(event, me.IncomingSms):
            self._incoming(event)
        elif isinstance(event, me.PartSubmitting):
            flight = self.flights.get(event.job_id)
            if flight is not None:
                flight.submitting.add(event.part)
                flight.parts = event.parts
            self._message_updated(
                self.write(outbox.on_part_submitting, event, clock=self.clock, generation=gen)
            )
        elif isinstance(event, me.PartSent):
            flight = self.flights.get(event.job_id)
            if flight is not None:
                flight.sent.add(event.part)
                flight.parts = event.parts
                if event.part >= event.parts:
                    del self.flights[event.job_id]
            self._message_updated(
                self.write(outbox.on_part_sent, event, clock=self.clock, generation=gen)
            )
        elif isinstance(event, me.SendFailed):
            self.flights.pop(event.job_id, None)
            log.warning(
                "message %s part %d/%d failed: %s%s", event.job_id, event.part, event.parts,
                event.reason, " (uncertain)" if event.uncertain else "",
            )  # fmt: skip
            self._message_updated(
                self.write(outbox.on_send_failed, event, clock=self.clock, generation=gen)
            )
        elif isinstance(event, me.DeliveryReport):
            mid = self.write(delivery.on_delivery_report, event, clock=self.clock, generation=gen)
            if event.token is not None and self.service is not None:
                self.later("ack", (self.service, event.token))
            self._message_updated(mid)
        elif isinstance(event, me.StatusChanged):
            self.status = event.status
            self.emit(ev.ModemStatusChanged(event.status))
            modem_state.note(self.profile, event.status, self.clock.now())  # WARNING, status file
        elif isinstance(event, me.UssdResult):
            self.emit(ev.BalanceReceived(event.text, event.error))
        elif isinstance(event, me.CallMissed):
            # A line in the caller's thread (MessageAdded follows from the new row) and maybe
            # the text back, queued like any other text. Stamped by the core's clock, as every
            # row it writes (the event comes as the call ends).
            now = self.clock.now()
            self.write(
                calls.on_call_ended, event.number, started_at=now, ended_at=now,
                rings=event.rings, answered=False, declined=event.declined,
                settings=self.snap(), clock=self.clock,
            )  # fmt: skip
        elif isinstance(event, me.PortChanged):
            log.info("the modem moved from %s to %s", event.old, event.new)
        else:
            log.debug("ignored modem event %r", event)

    def _incoming(self, event: me.IncomingSms) -> None:
        if event.pdu is None and self._read_again(event):
            return
        if self.generation is not None:  # a stale owner stores nothing (the SIM keeps it)
            fencing.check_owner(self.generation)
        result: inbox.StoreResult = self.write(
            inbox.store_incoming, event, settings=self.snap(), clock=self.clock, rules=self.rules
        )
        # Only once this is committed may the modem delete it from the SIM.
        if self.service is not None:
            self.later("ack", (self.service, event.token))
        self._release_counts.pop(event.raw or "", None)
        if event.pdu is not None:
            self._reread_ok(event, result.message_id)
        if result.problem:
            self.emit(ev.Problem(result.problem))
        mid = result.message_id
        if mid is not None and mid <= self._last_id:
            # An incomplete message completed by a late part.
            self._message_updated(mid)
        appointment = result.appointment_id
        if appointment is not None:
            row = Appointment.get_or_none(Appointment.id == appointment)
            if row is not None:
                self.emit(ev.AppointmentUpdated(appointment, row.state))

    def _read_again(self, event: me.IncomingSms) -> bool:
        """An undecodable text read from a SIM slot: give it back for the modem to read again
        (True), unless it came back the same way (then it is what the SIM holds) or too often."""
        if event.storage is None or event.index is None or self.service is None:
            return False  # delivered directly (+CMT): there is nothing to read again
        now = time.monotonic()
        for key in [k for k, g in self._garbled.items() if now - g.since > GARBLED_FORGET]:
            del self._garbled[key]
        slot = (event.storage, event.index)
        raw = event.raw or ""
        seen = self._garbled.setdefault(slot, _Garbled(event.error or "malformed"))
        if raw in seen.raws or len(seen.raws) >= REREAD_TRIES:
            del self._garbled[slot]
            log.info("the text in %s %d reads the same way again: it is what the SIM holds",
                     *slot)  # fmt: skip
            return False
        seen.raws.append(raw)
        log.info("an incoming text (%s %d) arrived garbled from the modem (%s); reading it again",
                 event.storage, event.index, event.error or "malformed")  # fmt: skip
        self.later("release", (self.service, event.token))
        return True

    def _reread_ok(self, event: me.IncomingSms, message_id: int | None) -> None:
        if event.storage is None or event.index is None:
            return
        seen = self._garbled.pop((event.storage, event.index), None)
        if seen is not None:
            log.info("the incoming text in %s %d was garbled on the line from the modem (%s); "
                     "it was read again and stored%s", event.storage, event.index, seen.reason,
                     f" (message {message_id})" if message_id else "")  # fmt: skip

    def _item_failed(self, item: Any, exc: Exception) -> None:
        """A modem event could not be handled (not a storage problem: those retry the batch).
        An incoming text or report is given back to the modem, which offers it again at its
        next sweep; staff are told once per distinct failure."""
        token = item.token if isinstance(item, me.IncomingSms | me.DeliveryReport) else None
        if token is not None and self.service is not None:
            raw = item.raw or ""
            tries = self._release_counts.get(raw, 0) + 1
            self._release_counts[raw] = tries
            if tries <= RELEASE_TRIES:
                self.later("release", (self.service, token))
            text = f"An incoming text could not be stored ({exc}); it stays on the SIM" + (
                " and TextDesk tries again." if tries <= RELEASE_TRIES else "."
            )
        else:
            text = f"Something went wrong inside TextDesk: {exc}"
        if text in self._item_problems:
            return
        if len(self._item_problems) > 100:
            self._item_problems.clear()
        self._item_problems.add(text)
        self.emit(ev.Problem(text, "error"))

    def _message_updated(self, message_id: int | None) -> None:
        if message_id is None:
            return
        row = db.execute_sql(_MESSAGE_STATE, (message_id,)).fetchone()
        if row is None:
            return
        self.emit(ev.MessageUpdated(row[0], row[1], row[2]))
        if row[0] <= self._last_id:
            self.emit(ev.ConversationUpdated(row[1]))

    # --- sending ------------------------------------------------------------------------------

    def _send_jobs(self) -> None:
        """Take what may go now (committed as sending with the batch) and submit after commit.
        At most ``max_in_flight`` jobs wait in the service, so a crash leaves few uncertain."""
        service = self.service
        if service is None or self.status.state != me.ModemState.READY:
            return
        room = self.max_in_flight - len(self.flights)
        if room <= 0:
            return
        now = time.monotonic()
        if (
            now - self._took_at < EMPTY_TAKE_EVERY
            and db.execute_sql(_ANY_QUEUED, (OUT, QUEUED)).fetchone() is None
        ):
            return  # nothing waits (held and retried texts count as waiting: they are looked at)
        self._took_at = now  # take_jobs also notices a clock set: at least this often
        jobs = self.write(
            send_queue.take_jobs, settings=self.snap(), clock=self.clock, limit=room,
            generation=self.generation,
        )  # fmt: skip
        for job in jobs:
            self.flights[job.job_id] = Flight(job.start_part, job.concat_ref)
            self.later("submit", (service, job))
            self._message_updated(job.job_id)

    def _submit_now(self, service: ModemLink, job: me.SendJob) -> None:
        try:
            service.submit(job)
        except Exception as exc:  # a service that refuses synchronously: nothing went out
            log.exception("modem service refused job %s", job.job_id)
            self.flights.pop(job.job_id, None)
            failed = me.SendFailed(
                job.job_id, job.start_part, job.start_part, job.concat_ref, None,
                f"The modem could not take the text ({exc}).", True,
            )  # fmt: skip
            self._message_updated(
                self.write(outbox.on_send_failed, failed, clock=self.clock,
                           generation=self.generation)
            )  # fmt: skip

    # --- the service's life ---------------------------------------------------------------------

    def _start_service(self) -> None:
        self._service_key = self.watch_settings() if self.watch_settings else None
        self._look_here()
        if not self.may_link:  # on a server, only the counter that drives the modem links
            self.service, self._service_retry_at = None, None
            self._say_owner(force=True)
            return
        try:
            service = self.make_service()
            service.start()
        except Exception as exc:
            log.exception("could not start the modem service")
            self.service = None
            if self._service_retry_at is None:  # say it once, not at every retry
                self.emit(ev.Problem(f"The modem could not be started: {exc}", "error"))
            self._service_retry_at = time.monotonic() + SERVICE_RETRY
            return
        self._service_retry_at = None
        self.service = service

    def stop_service(self) -> bool:
        """Stop the modem service, waiting at most SERVICE_STOP_TIMEOUT; True when it stopped.
        Never inside a transaction (it may wait)."""
        service, self.service = self.service, None
        self.status = me.ModemStatus()
        if service is None:
            return True
        done = threading.Event()

        def stop() -> None:
            try:
                service.stop()
            except Exception:
                log.exception("modem service stop failed")
            finally:
                done.set()

        threading.Thread(target=stop, name="modem-stop", daemon=True).start()
        clean = done.wait(SERVICE_STOP_TIMEOUT)
        if not clean:
            log.error("the modem service did not stop within %.0f s", SERVICE_STOP_TIMEOUT)
        self.queue.put(ServiceGone(clean))
        return clean

    def restart_service(self) -> None:
        log.info("restarting the modem service")
        self.stop_service()
        self.emit(ev.ModemStatusChanged(self.status))
        self._start_service()

    def _check_settings(self) -> None:
        """Restart the service when its settings changed; retry one that could not start."""
        key = self.watch_settings() if self.watch_settings else None
        if key != self._service_key:
            log.info("modem settings changed")
            self.restart_service()
        elif (
            self.service is None
            and self._service_retry_at is not None
            and time.monotonic() >= self._service_retry_at
        ):
            log.info("trying to start the modem service again")
            self._start_service()

    def _service_gone(self, clean: bool) -> None:
        """Settle the jobs the stopped service never finished. A part whose PDU may have been
        written is uncertain; when the service stopped cleanly, a part it never started is simply
        retried later. On a server once this counter no longer drives the modem, nothing: the
        new owner marks them uncertain."""
        if not self.may_link:
            self.flights.clear()
            return
        for job_id, flight in list(self.flights.items()):
            del self.flights[job_id]
            part = flight.next_part()
            uncertain = (not clean) or part in flight.submitting
            parts = flight.parts or part
            failed = me.SendFailed(
                job_id, part, parts, flight.concat_ref, None,
                "The modem may have sent this part just before it was stopped."
                if uncertain else "The modem was restarted before this text went out.",
                not uncertain, uncertain=uncertain,
            )  # fmt: skip
            self._message_updated(
                self.write(outbox.on_send_failed, failed, clock=self.clock,
                           generation=self.generation)
            )  # fmt: skip
