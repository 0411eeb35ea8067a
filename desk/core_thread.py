"""The engine's core thread: the one database writer.

It consumes a single queue carrying modem events (the ModemService sink puts them there) and API
calls (with Futures), and every ``interval`` seconds, and right after anything changed, runs one
cycle: outbox.take_jobs -> service.submit, scheduler.tick (about once a second),
inbox.flush_incomplete (every few seconds), QueueChanged when the count moved, and MessageAdded for
rows that appeared (also rows another process wrote: ``textdesk send``).

Incoming SMS are stored (committed) first and acknowledged to the modem after; never the other way.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from desk import events as ev
from desk.clock import Clock
from desk.db import db
from desk.models import IN, OUT, QUEUED, SENDING, Message
from desk.settings import Settings
from modem import events as me

log = logging.getLogger("desk.engine")

SCHEDULER_EVERY = 1.0
FLUSH_EVERY = 5.0
SETTINGS_EVERY = 2.0
RETENTION_EVERY = 6 * 3600.0
SERVICE_STOP_TIMEOUT = 5.0
DRAIN_BATCH = 200


@dataclass
class Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future
    immediate: bool = True  # run inside one BEGIN IMMEDIATE transaction


def write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a transaction that takes the write lock up front (BEGIN IMMEDIATE).

    Another process (``textdesk send``, ``textdesk config``) may write between a deferred
    transaction's first read and its first write; SQLite then fails at once with "database is
    locked" (a stale WAL snapshot; the busy timeout does not apply). Taking the lock first makes
    the busy timeout wait instead. The functions' own ``db.atomic()`` blocks become savepoints.
    """
    with db.atomic("IMMEDIATE"):
        return fn(*args, **kwargs)


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Finish:
    pass


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


ServiceFactory = Callable[[], Any]


class Core:
    """State and handlers of the core thread. Only ``put`` is called from other threads."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        emit: Callable[[ev.DeskEvent], None],
        make_service: ServiceFactory,
        interval: float = 0.3,
        max_in_flight: int = 2,
        watch_settings: Callable[[], tuple[Any, ...]] | None = None,
    ) -> None:
        self.queue: queue.Queue[Any] = queue.Queue()
        self.settings = settings
        self.clock = clock
        self.emit = emit
        self.make_service = make_service
        self.interval = interval
        self.max_in_flight = max_in_flight
        self.watch_settings = watch_settings
        self.service: Any = None
        self.status = me.ModemStatus()
        self.flights: dict[int | str, Flight] = {}
        self.ready: Future = Future()
        self.stopping = False
        self._last_id = 0
        self._queued_count: int | None = None
        self._next_sched = 0.0
        self._next_flush = 0.0
        self._next_settings = 0.0
        self._next_retention = 0.0
        self._service_key: tuple[Any, ...] | None = None
        self._inbox: Any = None
        self._outbox: Any = None
        self._scheduler: Any = None

    # --- called from any thread ---------------------------------------------------------------

    def put(self, item: Any) -> None:
        """The ModemService sink, and how the Engine hands over calls. Never blocks."""
        self.queue.put(item)

    # --- the thread ---------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._startup()
        except BaseException as exc:
            log.exception("engine start-up failed")
            self.ready.set_exception(exc)
            self._close_db()
            return
        self.ready.set_result(True)
        try:
            self._loop()
        finally:
            self._close_db()

    def _startup(self) -> None:
        from desk import inbox, outbox

        self._inbox, self._outbox = inbox, outbox
        try:
            from desk.scheduler import Scheduler

            self._scheduler = Scheduler(settings=self.settings, clock=self.clock)
        except ImportError:
            log.warning("reminders are not available (desk.scheduler missing)")
        recovered = write(outbox.recover_interrupted, clock=self.clock) or []
        if recovered:
            log.warning(
                "%d message(s) were being sent when TextDesk stopped; marked uncertain: %s",
                len(recovered),
                ", ".join(map(str, recovered)),
            )
            for mid in recovered:
                self._message_updated(mid)
        self._last_id = Message.select(Message.id).order_by(Message.id.desc()).scalar() or 0
        self._start_service()

    def _loop(self) -> None:
        next_cycle = 0.0
        while True:
            timeout = max(0.0, next_cycle - time.monotonic())
            try:
                item = self.queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            changed = False
            handled = 0
            while item is not None:
                if isinstance(item, Finish):
                    self._cycle(final=True)
                    self._fail_leftover_calls()
                    return
                changed = self._handle(item) or changed
                handled += 1
                if handled >= DRAIN_BATCH:
                    break
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    item = None
            now = time.monotonic()
            if changed or now >= next_cycle:
                self._cycle()
                next_cycle = time.monotonic() + self.interval

    def _handle(self, item: Any) -> bool:
        try:
            if isinstance(item, Call):
                return self._run_call(item)
            if isinstance(item, Stop):
                self._begin_stop()
                return True
            if isinstance(item, ServiceGone):
                self._service_gone(item.clean)
                return True
            if isinstance(item, me.ModemEvent):
                return self._modem_event(item)
            log.error("engine queue got an unknown item: %r", item)
        except Exception as exc:
            log.exception("engine could not handle %s", type(item).__name__)
            self.emit(ev.Problem(f"Something went wrong inside TextDesk: {exc}", "error"))
        return False

    def _run_call(self, call: Call) -> bool:
        if not call.future.set_running_or_notify_cancel():
            return False
        try:
            if call.immediate:
                result = write(call.fn, *call.args, **call.kwargs)
            else:
                result = call.fn(*call.args, **call.kwargs)
        except BaseException as exc:
            call.future.set_exception(exc)
        else:
            call.future.set_result(result)
        return True

    # --- modem events ---------------------------------------------------------------------

    def _modem_event(self, event: me.ModemEvent) -> bool:
        outbox = self._outbox
        if isinstance(event, me.IncomingSms):
            self._incoming(event)
            return True
        if isinstance(event, me.PartSubmitting):
            flight = self.flights.get(event.job_id)
            if flight is not None:
                flight.submitting.add(event.part)
                flight.parts = event.parts
            self._message_updated(write(outbox.on_part_submitting, event, clock=self.clock))
            return False
        if isinstance(event, me.PartSent):
            flight = self.flights.get(event.job_id)
            if flight is not None:
                flight.sent.add(event.part)
                flight.parts = event.parts
                if event.part >= event.parts:
                    del self.flights[event.job_id]
            self._message_updated(write(outbox.on_part_sent, event, clock=self.clock))
            return True
        if isinstance(event, me.SendFailed):
            self.flights.pop(event.job_id, None)
            log.warning(
                "message %s part %d/%d failed: %s%s",
                event.job_id,
                event.part,
                event.parts,
                event.reason,
                " (uncertain)" if event.uncertain else "",
            )
            self._message_updated(write(outbox.on_send_failed, event, clock=self.clock))
            return True
        if isinstance(event, me.DeliveryReport):
            mid = write(outbox.on_delivery_report, event, clock=self.clock)
            if event.token is not None and self.service is not None:
                self.service.ack_incoming(event.token)
            self._message_updated(mid)
            return False
        if isinstance(event, me.StatusChanged):
            was_ready = self.status.state == me.ModemState.READY
            self.status = event.status
            self.emit(ev.ModemStatusChanged(event.status))
            return not was_ready and event.status.state == me.ModemState.READY
        if isinstance(event, me.UssdResult):
            self.emit(ev.BalanceReceived(event.text, event.error))
            return False
        if isinstance(event, me.PortChanged):
            log.info("the modem moved from %s to %s", event.old, event.new)
            return False
        log.debug("ignored modem event %r", event)
        return False

    def _incoming(self, event: me.IncomingSms) -> None:
        result = write(self._inbox.store_incoming, event, settings=self.settings, clock=self.clock)
        # Committed: only now may the modem delete it from the SIM.
        if self.service is not None:
            self.service.ack_incoming(event.token)
        problem = getattr(result, "problem", None)
        if problem is None and event.pdu is None:
            problem = (
                f"An incoming text could not be read ({event.error or 'malformed'}); "
                "it was kept as received."
            )
        if problem:
            self.emit(ev.Problem(problem))
        mid = getattr(result, "message_id", None)
        if mid is not None and mid <= self._last_id:
            # An incomplete message completed by a late part.
            self._message_updated(mid)
            conv = getattr(result, "conversation_id", None)
            if conv is not None:
                self.emit(ev.ConversationUpdated(conv))
        appointment = getattr(result, "appointment_id", None)
        if appointment is not None:
            from desk.models import Appointment

            row = Appointment.get_or_none(Appointment.id == appointment)
            if row is not None:
                self.emit(ev.AppointmentUpdated(appointment, row.state))

    def _message_updated(self, message_id: int | None) -> None:
        if message_id is None:
            return
        row = (
            Message.select(Message.id, Message.conversation, Message.state)
            .where(Message.id == message_id)
            .tuples()
            .first()
        )
        if row is None:
            return
        self.emit(ev.MessageUpdated(row[0], row[1], row[2]))
        if row[0] <= self._last_id:
            self.emit(ev.ConversationUpdated(row[1]))

    # --- the cycle ------------------------------------------------------------------------

    def _cycle(self, *, final: bool = False) -> None:
        try:
            now = time.monotonic()
            self._scan_new_rows()  # MessageAdded before any update of a new message
            if not final and not self.stopping:
                self._send_jobs()
                if self._scheduler is not None and now >= self._next_sched:
                    self._next_sched = now + SCHEDULER_EVERY
                    if write(self._scheduler.tick):
                        self.emit(ev.RemindersChanged())
                if now >= self._next_flush:
                    self._next_flush = now + FLUSH_EVERY
                    write(self._inbox.flush_incomplete, clock=self.clock)
                if now >= self._next_retention:
                    self._next_retention = now + RETENTION_EVERY
                    self._retention()
                if self.watch_settings is not None and now >= self._next_settings:
                    self._next_settings = now + SETTINGS_EVERY
                    self._check_settings()
            self._scan_new_rows()
            self._queue_count()
        except Exception as exc:
            log.exception("engine cycle failed")
            self.emit(ev.Problem(f"Something went wrong inside TextDesk: {exc}", "error"))

    def _send_jobs(self) -> None:
        service = self.service
        if service is None or self.status.state != me.ModemState.READY:
            return
        room = self.max_in_flight - len(self.flights)
        if room <= 0:
            return
        jobs = write(self._outbox.take_jobs, settings=self.settings, clock=self.clock, limit=room)
        for job in jobs:
            self.flights[job.job_id] = Flight(job.start_part, job.concat_ref)
            try:
                service.submit(job)
            except Exception as exc:  # a service that refuses synchronously: nothing went out
                log.exception("modem service refused job %s", job.job_id)
                self.flights.pop(job.job_id, None)
                failed = me.SendFailed(
                    job.job_id, job.start_part, job.start_part, job.concat_ref, None,
                    f"The modem could not take the text ({exc}).", True,
                )  # fmt: skip
                self._message_updated(write(self._outbox.on_send_failed, failed, clock=self.clock))
            else:
                self._message_updated(job.job_id)

    def _retention(self) -> None:
        """Delete messages past the retention period (the retention_days setting; 0 is off)."""
        try:
            from desk import retention
        except ImportError:
            return
        deleted = write(retention.apply_from_settings, settings=self.settings, clock=self.clock)
        if deleted:
            log.info("retention: %d old messages deleted", deleted)
            self.emit(
                ev.Problem(f"{deleted} messages past the retention period were deleted.", "info")
            )

    def _scan_new_rows(self) -> None:
        rows = (
            Message.select(Message.id, Message.conversation, Message.direction)
            .where(Message.id > self._last_id)
            .order_by(Message.id)
            .tuples()
        )
        convs: list[int] = []
        for mid, conv, direction in rows:
            self._last_id = max(self._last_id, mid)
            self.emit(ev.MessageAdded(mid, conv, direction if direction in (IN, OUT) else OUT))
            if conv not in convs:
                convs.append(conv)
        for conv in convs:
            self.emit(ev.ConversationUpdated(conv))

    def _queue_count(self) -> None:
        count = (
            Message.select()
            .where((Message.direction == OUT) & (Message.state.in_((QUEUED, SENDING))))
            .count()
        )
        if count != self._queued_count:
            self._queued_count = count
            self.emit(ev.QueueChanged(count))

    # --- the modem service's life -------------------------------------------------------------

    def _start_service(self) -> None:
        self._service_key = self.watch_settings() if self.watch_settings else None
        try:
            service = self.make_service()
            service.start()
        except Exception as exc:
            log.exception("could not start the modem service")
            self.service = None
            self.emit(ev.Problem(f"The modem could not be started: {exc}", "error"))
            return
        self.service = service

    def stop_service(self) -> bool:
        """Stop the modem service, waiting at most SERVICE_STOP_TIMEOUT; True when it stopped."""
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
            log.error(
                "the modem service did not stop within %.0f s; left behind", SERVICE_STOP_TIMEOUT
            )
        self.queue.put(ServiceGone(clean))
        return clean

    def restart_service(self) -> None:
        log.info("restarting the modem service")
        self.stop_service()
        self.emit(ev.ModemStatusChanged(self.status))
        self._start_service()

    def _check_settings(self) -> None:
        key = self.watch_settings() if self.watch_settings else None
        if key != self._service_key:
            log.info("modem settings changed")
            self.restart_service()

    def _service_gone(self, clean: bool) -> None:
        """Settle the jobs the stopped service never finished. A part whose PDU may have been
        written is uncertain; when the service stopped cleanly, a part it never started is simply
        retried later."""
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
            self._message_updated(write(self._outbox.on_send_failed, failed, clock=self.clock))

    def _begin_stop(self) -> None:
        self.stopping = True
        self.stop_service()
        self.queue.put(Finish())

    # --- leaving ----------------------------------------------------------------------------

    def _fail_leftover_calls(self) -> None:
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Call) and not item.future.done():
                item.future.set_exception(RuntimeError("TextDesk's engine has stopped."))

    def _close_db(self) -> None:
        try:
            if db.obj is not None and not db.is_closed():
                db.close()
        except Exception:
            log.debug("closing the core thread's connection failed", exc_info=True)
