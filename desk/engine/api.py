"""The Engine: runs the modem layer, inbox, outbox and scheduler together on background threads.

```python
engine = Engine(profile)          # port=None: the modem_port setting, else discovery
engine.start()                    # desk.base.lock.ProfileLocked says who holds the profile
unsubscribe = engine.subscribe(fn)
engine.send("+15551234567", "Your car is ready").result()   # the message id
engine.stop()
```

All database writes happen on the core thread (desk.engine.core_loop); every API method returns a
concurrent.futures.Future at once and never blocks the caller. Subscribers are called on the core
thread with desk.base.events dataclasses and must not block.

Bulk work (``run_job``: imports, erasure, retention in short steps) runs on the core thread one
step at a time between the rest (desk.engine.jobs).

Housekeeping on the core thread: reminders (desk.reminders.scheduler, which emits RemindersChanged itself),
retention as a bulk job every six hours, and once a day desk.data.backup.auto_backup(profile,
keep=14) on a thread of its own (see desk.engine.core_loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from desk.base import events as ev
from desk.base.clock import Clock, SystemClock
from desk.base.lock import ProfileLock
from desk.base.paths import Profile
from desk.compliance.erase import EraseJob, ErasureResult
from desk.engine import links, poke, window_ops
from desk.engine import operations as ops
from desk.engine.core_loop import Call, Core, Stop
from desk.engine.owner import connector, modem_here
from desk.engine.server_side import ServerLink
from desk.engine.wake import WATCH_EVERY
from desk.messaging import send_queue
from desk.store import fencing
from desk.store.bulk import BulkJob
from desk.store.profile_db import open_profile_database, server_password
from desk.store.settings import Settings
from modem.at.trace import DEFAULT_NAME
from modem.events import ModemEvent, ModemStatus
from modem.link import ModemLink

__all__ = ["Engine", "EngineNotRunning"]

log = logging.getLogger("desk.engine.api")

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

ModemFactory = Callable[..., ModemLink]  # (port=, sink=, pin=) -> an unstarted link
T = TypeVar("T")


class EngineNotRunning(RuntimeError):
    pass


class Engine:
    def __init__(
        self,
        profile: Profile,
        *,
        port: str | None = None,
        modem: str | None = None,
        clock: Clock | None = None,
        modem_factory: ModemFactory | None = None,
        mode: str = "window",
        interval: float = 0.3,
        max_in_flight: int = 2,
    ) -> None:
        self.profile = profile
        self.port = port
        self.modem_kind = modem  # at / hilink / android; None: the modem_kind setting
        self.clock: Clock = clock or SystemClock()
        self.settings = Settings()
        self.mode = mode
        self._factory = modem_factory  # None: desk.engine.links builds the link
        # moves a PIN left in the modem_pin setting to the keyring; a secret changed by another
        # process (textdesk modem-password) restarts the link with it
        self._pins = links.PinMover(stamp=links.secrets_stamp(profile))
        self._interval = interval
        self._max_in_flight = max_in_flight
        self._lock = ProfileLock(profile.lock_path, mode=mode)
        self._subscribers: list[Callable[[ev.DeskEvent], None]] = []
        self._sub_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._core: Core | None = None
        self._thread: threading.Thread | None = None
        self._running = False
        self._wake: poke.Listener | None = None
        self.owner_timing: dict[str, float] = {}  # try_every, beat_every, lose_after (tests)

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Take the profile lock, open (and migrate) the database, recover interrupted sends and
        start the core thread and the modem service. Raises ProfileLocked, DatabaseError."""
        with self._state_lock:
            if self._running:
                return
            self.profile.ensure()
            self._lock.acquire()
            try:
                open_profile_database(self.profile)  # its file, or the shop's server
                server = self._server_link() if fencing.is_server() else None
                core = Core(
                    settings=self.settings,
                    clock=self.clock,
                    emit=self._emit,
                    make_service=self._make_service,
                    interval=self._interval,
                    max_in_flight=self._max_in_flight,
                    watch_settings=self._modem_settings,
                    profile=self.profile,
                    server=server,
                )
                self._core = core
                thread = threading.Thread(target=core.run, name="desk-core", daemon=True)
                thread.start()
                core.ready.result(timeout=START_TIMEOUT)
            except BaseException:
                self._core = None
                self._lock.release()
                raise
            self._thread, self._running = thread, True
            if server is None:  # one PC: `textdesk send` and the like wake it (desk.engine.poke)
                self._wake = self._listen(core)
        log.info("engine started for %s (%s)", self.profile.data_dir, self.mode)

    def stop(self) -> None:
        """Stop the modem service (at most a few seconds, even when the modem hangs), let the core
        thread settle what is in its queue, and release the profile lock."""
        with self._state_lock:
            if not self._running:
                return
            self._running = False
            core, thread = self._core, self._thread
        assert core is not None and thread is not None
        if self._wake is not None:
            self._wake.stop()
            self._wake = None
        core.put(Stop())
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.error("the core thread did not stop within %.0f s", STOP_TIMEOUT)
        self._lock.release()
        log.info("engine stopped")

    def _listen(self, core: Core) -> poke.Listener | None:
        wake = poke.Listener(self.profile.data_dir, core.put)
        try:
            wake.start()
        except OSError as exc:
            log.warning(
                "texts queued by other programs are noticed within %.0f s, not at once: %s",
                WATCH_EVERY, exc,
            )  # fmt: skip
            return None
        return wake

    @property
    def running(self) -> bool:
        return self._running

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _server_link(self) -> ServerLink:
        """One of several counters on the shop's server (desk.engine.server_side): connections
        of its own for the modem owner election and the live updates."""
        url = self.profile.database_url
        assert url is not None
        name = self.profile.counter
        return ServerLink(
            connect=connector(url, password=server_password(), name=f"textdesk {name}"[:63]),
            counter=name,
            modem_here=self._modem_here,
            no_modem=self.profile.no_modem,
            **self.owner_timing,
        )

    def _modem_here(self) -> bool:
        """Whether this counter could drive the modem the settings name (on the core thread)."""
        return modem_here(links.choose(self.settings, kind=self.modem_kind, address=self.port))

    def _modem_settings(self) -> tuple[str | None, str | None]:
        """What the modem link is built from (no keyring secrets): a change restarts it."""
        choice = links.choose(self.settings, kind=self.modem_kind, address=self.port)
        return (" ".join(choice.key()), self._pins.watch(self.settings))

    def _make_service(self) -> ModemLink:
        """The link the settings (or ``modem``/``port``) choose; a given factory gets
        (port=, sink=, pin=). Raises links.LinkNotReady in plain words."""
        choice = links.choose(self.settings, kind=self.modem_kind, address=self.port)
        log.info("starting %s", choice.describe())
        if self._factory is not None:
            pin = links.sim_pin(self.settings)
            return self._factory(port=choice.address, sink=self._sink, pin=pin)
        trace = self.profile.log_dir / DEFAULT_NAME
        return links.make_link(choice, self._sink, settings=self.settings, trace=trace)

    def _sink(self, event: ModemEvent) -> None:
        core = self._core
        if core is not None:
            core.put(event)

    # --- events -------------------------------------------------------------------------------

    def subscribe(self, fn: Callable[[ev.DeskEvent], None]) -> Callable[[], None]:
        """Call ``fn(event)`` on the core thread for every event; returns an unsubscribe function."""
        with self._sub_lock:
            self._subscribers = [*self._subscribers, fn]

        def unsubscribe() -> None:
            with self._sub_lock:
                self._subscribers = [f for f in self._subscribers if f is not fn]

        return unsubscribe

    def _core_emit(self, event: ev.DeskEvent) -> None:
        """Emit from the core thread: after the open batch commits."""
        core = self._core
        if core is not None:
            core.emit(event)
        else:
            self._emit(event)

    def _emit(self, event: ev.DeskEvent) -> None:
        for fn in self._subscribers:
            try:
                fn(event)
            except Exception:
                log.exception("an event subscriber failed on %s", type(event).__name__)

    # --- API ----------------------------------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` on the core thread (the one writer), inside one
        transaction that takes the write lock first; the Future resolves after the commit."""
        return self._submit(Call(fn, args, kwargs, Future()))

    def _submit(self, call: Call) -> Future[Any]:
        core = self._core
        if not self._running or core is None:
            call.future.set_exception(EngineNotRunning("TextDesk's engine is not running."))
        else:
            core.put(call)
        return call.future

    def send(
        self, number_or_contact_id: str | int, text: str, *, staff: str | None = None
    ) -> Future[int]:
        """Queue a message (committed as queued before it reaches the modem); Future[int] id.
        Refusals (opted out, bad number, empty text) come as outbox.SendRefused."""
        return self.call(
            ops.send, number_or_contact_id, text, staff=staff, settings=self.settings,
            clock=self.clock,
        )  # fmt: skip

    def run_job(self, job: BulkJob[T]) -> Future[T]:
        """Run bulk work (desk.store.bulk: an ImportJob, say) on the core thread, one short step
        per turn between incoming texts and other calls; the Future resolves with
        ``job.result()``. ``job.cancel()`` (any thread) stops it before its next step; JobProgress
        events say how far it is. Stopping the engine cancels what has not finished."""
        future: Future[T] = Future()
        core = self._core
        if not self._running or core is None:
            future.set_exception(EngineNotRunning("TextDesk's engine is not running."))
            return future
        self._submit(Call(core.add_job, (job, future), {}, Future(), immediate=False))
        return future

    def resend(self, message_id: int) -> Future[int]:
        return self.call(ops.resend, message_id, clock=self.clock)

    def send_now(self, message_id: int, *, staff: str | None = None) -> Future[int]:
        """Staff pressed "Send now" on a waiting text: it goes at the next turn, past quiet
        hours, the send limits and a retry's wait (audited, with who asked). A text that is not
        waiting fails the Future with ValueError in plain words."""

        def now() -> int:
            who = staff or self.settings.get("staff_name") or None
            message_id_now: int = send_queue.send_now(message_id, staff=who, clock=self.clock).id
            return message_id_now

        return self.call(now)

    def resolve_uncertain(self, message_id: int, went_out: bool) -> Future[int]:
        return self.call(ops.resolve_uncertain, message_id, went_out=went_out, clock=self.clock)

    def mark_read(self, conversation_id: int) -> Future[None]:
        return self.call(ops.mark_read, conversation_id, emit=self._core_emit)

    def dismiss_attention(self, conversation_id: int, cause: str) -> Future[None]:
        """Staff handled a note to them (desk.store.attention.CLEARED_BY_DONE)."""
        return self.call(ops.dismiss_attention, conversation_id, cause, emit=self._core_emit)

    def set_status(self, conversation_id: int, status: str) -> Future[None]:
        return self.call(
            ops.set_status, conversation_id, status, emit=self._core_emit, clock=self.clock
        )

    # staff at the counters (issue 15): PresenceChanged for this window and, on a server, the others
    def sign_in(self, name: str, pin: str | None) -> Future[None]:
        return self.call(
            window_ops.sign_in, name, pin, self.profile.counter, clock=self.clock,
            emit=self._core_emit,
        )  # fmt: skip

    def sign_out(self, name: str) -> Future[None]:
        return self.call(window_ops.sign_out, name, emit=self._core_emit)

    def replying(
        self, name: str, conversation_id: int | None, *, before: int | None = None,
        counter: str | None = None,
    ) -> Future[None]:  # fmt: skip
        """``name`` types a reply in ``conversation_id`` here (None: stopped)."""
        return self.call(
            window_ops.replying, name, counter or self.profile.counter, conversation_id,
            before=before, clock=self.clock, emit=self._core_emit,
        )  # fmt: skip

    def update_contact(self, contact_id: int, **fields: Any) -> Future[None]:
        return self.call(ops.update_contact, contact_id, fields, emit=self._core_emit)

    def set_opt_out(
        self, contact_id: int, opted_out: bool, *, staff: str | None = None
    ) -> Future[None]:
        return self.call(
            ops.set_opt_out,
            contact_id,
            opted_out,
            staff=staff,
            clock=self.clock,
            emit=self._core_emit,
        )

    def erase_contact(
        self,
        contact_id: int,
        *,
        staff: str | None = None,
        on_job: Callable[[EraseJob], None] | None = None,
    ) -> Future[ErasureResult]:
        """Erase one customer as a bulk job (desk.compliance.erase.EraseJob): short steps on the
        core thread, incoming texts stored in between; ConversationRemoved for their threads
        once it is done. An unknown contact fails the Future with EraseError. ``on_job(job)`` is
        called on the core thread before the first step (the window's progress and Cancel)."""
        done: Future[ErasureResult] = Future()

        def start() -> None:  # on the core thread, outside any transaction
            core = self._core
            assert core is not None
            convs = ops.conversation_ids(contact_id)
            job = EraseJob(contact_id, staff=staff, clock=self.clock)
            if on_job is not None:
                on_job(job)
            inner: Future[ErasureResult] = Future()

            def finished(f: Future[ErasureResult]) -> None:
                exc = f.exception()
                if exc is not None:
                    done.set_exception(exc)
                    return
                for conv in convs:
                    core.emit(ev.ConversationRemoved(conv))
                done.set_result(f.result())

            inner.add_done_callback(finished)
            core.add_job(job, inner)

        def started(f: Future[None]) -> None:
            exc = f.exception()
            if exc is not None and not done.done():
                done.set_exception(exc)

        call = Call(start, (), {}, Future(), immediate=False)
        call.future.add_done_callback(started)
        self._submit(call)
        return done

    def restart_modem(self) -> Future[None]:
        """Stop and start the modem service (applies a new port or PIN at once)."""
        return self._submit(Call(self._restart, (), {}, Future(), immediate=False))

    def _restart(self) -> None:
        assert self._core is not None
        self._core.restart_service()

    def query_balance(self) -> None:
        """Ask the balance by USSD (the ussd_balance setting); a BalanceReceived event answers."""

        def ask() -> None:
            service = self._core.service if self._core else None
            if service is None:
                self._core_emit(ev.BalanceReceived(None, "The modem is not connected."))
                return
            service.query_ussd(self.settings.get("ussd_balance"))

        self.call(ask)

    def enter_pin(self, pin: str) -> None:
        core = self._core
        service = core.service if core is not None else None
        if service is not None:
            service.enter_pin(pin)

    @property
    def modem_status(self) -> ModemStatus:
        core = self._core
        if core is None or not self._running:
            return ModemStatus()
        service = core.service
        if service is not None:
            try:
                status: ModemStatus = service.status
                return status
            except Exception:
                pass
        return core.status
