"""The engine's core thread: the one database writer.

It consumes a single queue carrying modem events (the ModemService sink puts them there) and API
calls (with Futures). Whatever is waiting is handled as one batch in one transaction (group
commit), each item in its own savepoint so one failure spoils nothing else, followed by one cycle:
outbox.take_jobs, scheduler.tick (about once a second), inbox.flush_incomplete (every few seconds),
MessageAdded for rows that appeared (also rows another process wrote: ``textdesk send``) and
QueueChanged when the count moved. Idle, the core sleeps on its queue until the next thing is
due (a reminder, a retry, another process's commit: desk.engine.wake), never on a fixed timer.

Bulk work (an import, an erasure, retention every few hours) runs as desk.store.bulk jobs, one
short step per turn between batches (desk.engine.jobs), so a first retention run on a large
database or a 100,000-row import never holds incoming texts up for long. The daily
automatic backup (desk.data.backup.auto_backup) runs on a thread of its own with its own read-only
connection (SQLite's online backup API), never inside the core's write transaction.

Side effects wait for the commit: acknowledging an SMS to the modem (never before it is stored),
submitting a job (never before it is committed as sending), resolving Futures and emitting
events. If the commit fails, acknowledgements and submissions are dropped (the modem keeps the
SMS; the job stays queued), the Futures fail with SaveFailed, and the batch's modem events are
held and handled again with backoff until the database can be written (desk.engine.storage_guard:
the disk full, the write lock held by another program). A storage error inside one item or step
fails the whole batch the same way (SQLite may have rolled the transaction back already); any
other error spoils only its own item or step, and a step failing the same way again is not
reported again. A missing time zone (ZoneUnknown) is said once, at start-up or when it happens.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from contextlib import nullcontext
from typing import Any, cast

from desk.base import events as ev
from desk.base.clock import Clock
from desk.base.paths import Profile
from desk.engine import wake
from desk.engine.db_trouble import is_storage_error
from desk.engine.housekeeping import Housekeeping
from desk.engine.incoming_rules import RULES
from desk.engine.items import Call, Finish, Stop, write
from desk.engine.items import outside as _outside
from desk.engine.jobs import JobRunner
from desk.engine.modem_side import Flight, ModemSide, ServiceGone
from desk.engine.poke import Poked
from desk.engine.server_side import Remote, ServerLink, ServerSide
from desk.engine.storage_guard import SaveFailed, StorageGuard, in_transaction
from desk.messaging import inbox, outbox
from desk.messaging.inbox import IncomingRules
from desk.reminders.scheduler import Scheduler
from desk.store.db import db
from desk.store.fencing import Fenced
from desk.store.models import IN, OUT, QUEUED, SENDING, Message
from desk.store.settings import Settings, ZoneUnknown
from modem import events as me
from modem.link import ModemLink

__all__ = ["Call", "Core", "Finish", "Flight", "SaveFailed", "ServiceGone", "Stop", "write"]

log = logging.getLogger("desk.engine.api")

SCHEDULER_EVERY = wake.SCHEDULER_EVERY
FLUSH_EVERY = 5.0
SETTINGS_EVERY = 2.0
DRAIN_BATCH = 200
ITEMS_SECONDS = 0.06  # a batch starts no more items after this long (then its cycle and commit)

# The cycle's reads, run with every batch: plain SQL (peewee building them cost more than running).
_NEW_ROWS = "SELECT id, conversation_id, direction FROM message WHERE id > ? ORDER BY id"
_QUEUE_COUNT = "SELECT COUNT(*) FROM message WHERE direction = ? AND state IN (?, ?)"


class _BatchAborted(Exception):
    """A storage error inside an item or step: the whole batch must fail (and be retried)."""


class Core(ModemSide, ServerSide, StorageGuard, JobRunner, Housekeeping, wake.Waking):
    """State and handlers of the core thread. Only ``put`` is called from other threads."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        emit: Callable[[ev.DeskEvent], None],
        make_service: Callable[[], ModemLink],
        interval: float = 0.3,
        max_in_flight: int = 2,
        watch_settings: Callable[[], tuple[str | None, str | None]] | None = None,
        profile: Profile | None = None,
        rules: IncomingRules = RULES,
        server: ServerLink | None = None,  # several counters on the shop's server
    ) -> None:
        self.queue: queue.Queue[Any] = queue.Queue()
        self.rules = rules  # what the inbox runs on incoming texts: privacy, consent, appointments
        self.settings = settings
        self.clock = clock
        self._emit_now = emit
        self.make_service = make_service
        self.interval = interval
        self.max_in_flight = max_in_flight
        self.watch_settings = watch_settings
        self.profile = profile  # None: no automatic backups
        self.ready: Future[bool] = Future()
        self.stopping = False
        self._actions: list[tuple[str, Any]] | None = None  # set while a batch is open
        self._last_id = 0
        self._queued_count: int | None = None
        self._next_settings = 0.0
        self._rest: list[Any] = []  # items a batch left for the next (see _batch)
        # emit: RemindersChanged also when a tick only marks runs missed or skipped.
        self._scheduler = Scheduler(settings=settings, clock=clock, emit=self.emit)
        self._step_failures: dict[str, str] = {}  # step -> the failure last reported
        self._init_modem_side()
        self._init_server_side(server)
        self._init_storage_guard()
        self._init_housekeeping()
        self._init_jobs()
        self._init_waking()

    # --- called from any thread ---------------------------------------------------------------

    def put(self, item: Any) -> None:
        """The ModemService sink, and how the Engine hands over calls. Never blocks."""
        self.queue.put(item)

    def put_outside(self, fn: Callable[..., Any], *args: Any) -> None:
        """Have the core thread run ``fn(*args)`` between batches (from any thread)."""
        self.queue.put(Call(fn, args, {}, Future(), immediate=False))

    # --- after the commit ---------------------------------------------------------------------

    def later(self, kind: str, payload: Any) -> None:
        """Do this once the open batch has committed (at once when no batch is open)."""
        if self._actions is not None:
            self._actions.append((kind, payload))
        else:
            self._act(kind, payload)

    def emit(self, event: ev.DeskEvent) -> None:
        """Emit after the commit; on a server the other counters are told in the batch."""
        if self.server is not None:
            self.notify_others(event)
        self.later("emit", event)

    def _call_emit(self, event: ev.DeskEvent) -> Call:
        """A queue item that emits ``event`` on the core thread (from another thread)."""
        return Call(self.emit, (event,), {}, Future())

    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``write`` outside a batch; inside one, the item's or step's savepoint is enough."""
        if self._actions is not None and db.in_transaction():
            return fn(*args, **kwargs)
        return write(fn, *args, **kwargs)

    def _act(self, kind: str, payload: Any) -> None:
        try:
            if kind == "emit":
                self._emit_now(payload)
            elif kind == "ack":
                service, token = payload
                service.ack_incoming(token)
            elif kind == "submit":
                self._submit_now(*payload)
            elif kind == "release":
                service, token = payload
                service.release_incoming(token)
            elif kind == "result":
                future, value = payload
                future.set_result(value)
        except Fenced as exc:
            self.fenced(exc)
        except Exception:
            log.exception("engine could not %s after the commit", kind)

    def _undo(self, kind: str, payload: Any, exc: BaseException) -> None:
        """The batch did not commit: what its actions promised did not happen."""
        if kind == "result":
            if not payload[0].done():
                payload[0].set_exception(exc)
        elif kind == "submit":
            self.flights.pop(payload[1].job_id, None)
        elif kind == "emit" and isinstance(payload, ev.StorageTrouble | ev.StorageRecovered):
            self._emit_now(payload)  # about the trouble itself: said even when it persists

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
        # On the shop's server another counter may be sending right now: the new owner's
        # recover_stale settles what an older one left (desk.engine.server_side).
        server = self.server is not None
        recovered = [] if server else write(outbox.recover_interrupted, clock=self.clock) or []
        if recovered:
            log.warning(
                "%d message(s) were being sent when TextDesk stopped; marked uncertain: %s",
                len(recovered), ", ".join(map(str, recovered)),
            )  # fmt: skip
            for mid in recovered:
                self._message_updated(mid)
        self._last_id = Message.select(Message.id).order_by(Message.id.desc()).scalar() or 0
        self._check_zone()
        self._start_counters() if server else self._start_service()

    def _collect(self, timeout: float) -> list[Any]:
        try:
            items = [self.queue.get(timeout=timeout)]
        except queue.Empty:
            return []
        while len(items) < DRAIN_BATCH and not _outside(items[-1]):
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _loop(self) -> None:
        while True:
            now = time.monotonic()
            if self._rest:  # what the last batch left for the next one goes first, alone
                items, self._rest = self._rest, []
            else:
                wait = 0.0 if self.jobs_waiting else max(0.0, self._wake_at() - now)
                items = self._collect(self.retry_wait(now, wait))
            boundary = items.pop() if items and _outside(items[-1]) else None
            now = time.monotonic()
            if not items and boundary is None and now >= self._next_watch:
                self._watch_others(now)
            if self.waiting_to_retry(now) and not any(isinstance(i, Call) for i in items):
                self.hold(items)  # the database cannot be written yet: they go with the retry
                self._give_back_extra()
            elif items or self.held_count or now >= self._next_cycle:
                if any(isinstance(i, Call) for i in items):
                    self._others_wrote = True  # a call may have changed settings
                rest = self._batch([*self.take_held(), *items])
                if rest:  # the batch ran out of time: the rest (and the boundary) go next
                    self._rest = [*rest, *([boundary] if boundary is not None else [])]
                    boundary = None
                self._plan()
            if not self.waiting_to_retry(time.monotonic()):
                self._maybe_check_settings()
                self._maybe_backup()
                self._maybe_retention()
                if boundary is None and not self.stopping:
                    self.step_job()  # one short step; what arrives meanwhile goes first
            if isinstance(boundary, Finish):
                self._batch([*self.take_held()], final=True)
                self._stop_counters()
                self._fail_leftover_calls()
                self._join_backup()
                return
            if isinstance(boundary, Stop):
                self.stopping = True
                self.cancel_jobs()
                self.stop_service()  # queues ServiceGone: the jobs it never finished get settled
                self.queue.put(Finish())
            elif isinstance(boundary, Call):
                self._run_outside(boundary)
                self._others_wrote = True
                self._next_cycle = 0.0

    def _batch(self, items: list[Any], *, final: bool = False) -> list[Any]:
        """Handle ``items`` in one transaction, then the cycle. Items past ITEMS_SECONDS are
        returned unhandled (the write lock is held about 100 ms at most; the texts the cycle
        takes go to the modem meanwhile): the caller hands them to the next batch, first."""
        self._actions = []
        seen = (self._last_id, self._queued_count)  # what the core knew before: back if undone
        rest: list[Any] = []
        try:
            with db.atomic("IMMEDIATE"):
                started = time.monotonic()
                for i, item in enumerate(items):
                    if i and not final and time.monotonic() - started > ITEMS_SECONDS:
                        rest = items[i:]
                        break
                    self._item(item)
                self._cycle(final=final)
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc, _BatchAborted) and exc.__cause__ else exc
            self.forget_settings()  # what was read inside the batch may have been rolled back
            actions, self._actions = self._actions, None
            self._last_id, self._queued_count = seen  # rows it saw were rolled back
            events = [i for i in items if not isinstance(i, Call)]
            futures = [i.future for i in items if isinstance(i, Call)]
            failed = self.batch_failed(events, futures, cause)
            self._give_back_extra()
            for kind, payload in actions:
                self._undo(kind, payload, failed)
            return []
        actions, self._actions = self._actions, None
        for kind, payload in actions:
            self._act(kind, payload)
        self.batch_committed()
        return rest

    def _give_back_extra(self) -> None:
        """Held texts beyond HOLD_LIMIT go back to the modem (they stay on the SIM)."""
        for token in self.trim_held():
            if self.service is not None:
                self._act("release", (self.service, token))

    def _item(self, item: Any) -> None:
        assert self._actions is not None
        mark = len(self._actions)
        if isinstance(item, Call) and not item.future.set_running_or_notify_cancel():
            return
        try:
            with db.atomic():  # a savepoint: a failure undoes this item only
                if isinstance(item, Call):
                    result = item.fn(*item.args, **item.kwargs)
                elif isinstance(item, ServiceGone):
                    self._service_gone(item.clean)
                elif isinstance(item, me.ModemEvent):
                    self._modem_event(item)
                elif isinstance(item, Remote):
                    self._remote(item.event)
                elif isinstance(item, Poked):  # another process committed: as data_version
                    item.taken()
                    self._others_wrote = True
                    self.forget_settings()
                else:
                    log.error("engine queue got an unknown item: %r", item)
        except Exception as exc:
            del self._actions[mark:]
            if isinstance(exc, Fenced) and not isinstance(item, Call):
                self.fenced(exc)  # another counter drives the modem: nothing of it is written
                return
            if is_storage_error(exc) or not in_transaction():
                raise _BatchAborted(str(exc)) from exc
            if isinstance(item, Call):
                item.future.set_exception(exc)
                return
            log.exception("engine could not handle %s", type(item).__name__)
            self._item_failed(item, exc)
            return
        if isinstance(item, Call):
            self.forget_settings()  # it may have changed them: the cycle reads them again
            self.later("result", (item.future, result))

    def _run_outside(self, call: Call) -> None:
        if not call.future.set_running_or_notify_cancel():
            return
        self.forget_settings()
        try:
            result = call.fn(*call.args, **call.kwargs)
        except BaseException as exc:
            call.future.set_exception(exc)
        else:
            call.future.set_result(result)

    # --- the cycle ------------------------------------------------------------------------

    def _cycle(self, *, final: bool = False) -> None:
        now = time.monotonic()
        self._step(self._scan_new_rows, read_only=True)  # MessageAdded before updates of it
        if not final and not self.stopping:
            self._step(self._send_jobs)
            if now >= self._next_sched:
                self._next_sched = self._sched_floor = now + SCHEDULER_EVERY
                self._step(self._tick)
            if now >= self._next_flush:
                self._next_flush = self._flush_floor = now + FLUSH_EVERY
                self._step(inbox.flush_incomplete, clock=self.clock, rules=self.rules)
        self._step(self._scan_new_rows, read_only=True)
        self._step(self._queue_count, read_only=True)

    def _step(
        self, fn: Callable[..., Any], *args: Any, read_only: bool = False, **kwargs: Any
    ) -> None:
        """One step of the cycle in a savepoint of the batch (``read_only``: none, it writes
        nothing to undo)."""
        assert self._actions is not None
        mark = len(self._actions)
        name = str(getattr(fn, "__name__", fn))
        try:
            with nullcontext() if read_only else db.atomic():
                fn(*args, **kwargs)
        except ZoneUnknown as exc:
            del self._actions[mark:]
            self._tell_zone(exc)
            return
        except Fenced as exc:
            del self._actions[mark:]
            self.fenced(exc)
            return
        except Exception as exc:
            del self._actions[mark:]
            if is_storage_error(exc) or not in_transaction():
                raise _BatchAborted(str(exc)) from exc
            said = self._step_failures.get(name)
            text = f"Something went wrong inside TextDesk: {exc}"
            self._step_failures[name] = text
            if said == text:  # the same failure again: once is enough
                log.debug("engine cycle step %s failed again: %s", name, exc)
                return
            log.exception("engine cycle step %s failed", name)
            self.emit(ev.Problem(text, "error"))
            return
        self._step_failures.pop(name, None)

    def _tick(self) -> None:
        self._scheduler.tick()  # emits RemindersChanged itself (through self.emit) on any change

    def _maybe_check_settings(self) -> None:
        """Restart the modem link when its settings changed: looked at only after something
        was written (a call, another process) and at most every SETTINGS_EVERY seconds; while
        the link could not start or the time zone is unknown, every SETTINGS_EVERY seconds."""
        now = time.monotonic()
        if self.watch_settings is None or self.stopping or now < self._next_settings:
            return
        retry = self.service is None and self._service_retry_at is not None
        if not (self._others_wrote or retry or self._zone_told is not None):
            return
        self._others_wrote = False
        self._next_settings = now + SETTINGS_EVERY
        try:
            self._check_settings()
        except Exception:
            log.exception("could not apply changed modem settings")
        if self._zone_told is not None:
            try:
                self._check_zone()
            except Exception:
                log.debug("could not look up the time zone", exc_info=True)

    def _scan_new_rows(self) -> None:
        rows = cast(
            "Iterable[tuple[int, int, str]]",
            db.execute_sql(_NEW_ROWS, (self._last_id,)).fetchall(),
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
        row = db.execute_sql(_QUEUE_COUNT, (OUT, QUEUED, SENDING)).fetchone()
        count = int(row[0]) if row else 0
        if count != self._queued_count:
            self._queued_count = count
            self.emit(ev.QueueChanged(count))

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
