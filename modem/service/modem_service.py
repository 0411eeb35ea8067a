"""ModemService: the one thread that owns the serial port (or network serial URL).

Callers submit work through a queue (never blocking) and get ``modem.events`` dataclasses back
through ``sink`` (called on the modem thread; it must not block). The thread opens the port,
initialises the modem, sends jobs part by part, hands every stored / delivered SMS and status
report to the consumer (deleting it only after ``ack_incoming``), polls status, and on unplug /
restart / hang reconnects with backoff (to a replugged modem's new path too).

Only positive evidence changes what it believes: a bare OK, an ERROR to an optional query or a
line it cannot read is "unknown" (unknown registration sends; the network's answer decides). A
restart needs real evidence (echo back on, our +CNMI gone, the PIN asked again); a boot line is
a hint that makes it look. Repeating trouble shows in the status in plain words.
Every connect starts with ESC and a drain (a modem left in the "> " SMS prompt is cancelled,
never sent). stop() interrupts a send waiting for its prompt or reply; every job not sent by
then gets SendFailed. Connecting, setting up and reconnecting live in
``modem.service.connection`` (ConnectionLifecycle, a base class of ModemService).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from modem import ports
from modem.at.channel import (
    AtChannel,
    AtTimeout,
    CommandError,
    Interrupted,
    ModemRestarted,
    PortGone,
    Response,
    SerialLike,
)
from modem.at.reader import PortReader
from modem.events import (
    ModemEvent,
    ModemState,
    ModemStatus,
    SendJob,
    StatusChanged,
)
from modem.service import connect, health, init_ops
from modem.service.connection import ConnectionLifecycle, Hung
from modem.service.incoming import Incoming
from modem.service.reconnect import Backoff, TroubleLog
from modem.service.requests import Requests, Stop
from modem.service.sending import fail_closing, send_job

log = logging.getLogger(__name__)
THREAD_NAME = "textdesk-modem"
NOT_READY_POLL = 15.0  # how often the PIN state is asked again while the SIM is not ready
SEND_QUIET = 2.0  # seconds after a send before a status poll may come (none inside a burst)


class ModemService(ConnectionLifecycle):
    def __init__(
        self,
        port: str | None,
        sink: Callable[[ModemEvent], None],
        pin: str | None = None,
        baudrate: int = 115200,
        sweep_interval: float = 120.0,
        command_timeout: float = 10.0,
        *,
        send_timeout: float = 60.0,
        poll_interval: float = 20.0,  # status, and whether the modem restarted unannounced
        ussd_timeout: float = 30.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        sim_busy_wait: float = 30.0,
        storage: str = "SM",
        direct_delivery: bool = True,
        decline_after_rings: int | None = None,
        opener: connect.Opener | None = None,
        trace: str | os.PathLike[str] | logging.Logger | None = None,
        trace_full_detail: bool = False,
    ) -> None:
        """``port``: a device path, a pyserial URL (``socket://host:port``,
        ``rfc2217://host:port``) or None to discover the modem. ``opener`` opens it
        (``modem.ports.open_port`` by default; tests give a scripted port). ``trace``: a file
        (or logger) for the AT conversation, for support (``modem.at.trace``; PIN and message
        bodies masked unless ``trace_full_detail``). ``direct_delivery``: where the modem takes
        AT+CSMS=1, messages and status reports come inline (+CMT, +CDS, acknowledged with
        +CNMA once the consumer stored them: no read, no delete; one left waiting by a process
        that died is refused with AT+CNMA=2 at the next connect, so the network delivers it
        again); False always stores them on the modem and reads them from there.
        ``decline_after_rings``: a voice call is hung up after that many rings (None: it rings
        until the caller gives up); either way it ends as a CallMissed event."""
        self.port = port
        self._sink = sink
        self._pin = health.PinKeeper(pin)
        self.baudrate = baudrate
        self.sweep_interval = sweep_interval
        self.command_timeout = command_timeout
        self.send_timeout = send_timeout
        self.poll_interval = poll_interval
        self.ussd_timeout = ussd_timeout
        self.sim_busy_wait = sim_busy_wait
        self.storage = storage
        self.direct_delivery = direct_delivery
        self._opener: connect.Opener = opener or ports.open_port
        self._trace = connect.make_trace(trace, trace_full_detail)
        self._backoff = Backoff(backoff_initial, backoff_max)
        self._troubles = TroubleLog()
        self._last_exchange: tuple[str | None, list[str]] = (None, [])
        self._req = Requests(on_put=self._poke)
        self._status = ModemStatus()
        self._status_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # owned by the modem thread
        self._serial: SerialLike | None = None
        self._reader: PortReader | None = None
        self._ch: AtChannel | None = None
        self._device: str | None = None
        self._sim_ready = False
        self._next_poll = 0.0
        self._last_send = -SEND_QUIET
        self._cnmi: str | None = None
        self._incoming = Incoming(self, sweep_interval=sweep_interval)
        self._incoming.calls.decline_after = decline_after_rings

    # --- public API (any thread) ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ModemService already started")
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._req.put("stop")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def submit(self, job: SendJob) -> None:
        self._req.put("send", job)

    def ack_incoming(self, token: str) -> None:
        """The core stored the IncomingSms / DeliveryReport handed with ``token``: delete it
        from the modem's storage (after checking the slot still holds the same PDU) or, for a
        direct one (+CMT / +CDS), acknowledge it with AT+CNMA. Unknown tokens are ignored."""
        self._req.put("ack", token)

    def release_incoming(self, token: str) -> None:
        """The core could NOT store the IncomingSms / DeliveryReport handed with ``token`` (its
        commit failed: disk full, database locked ...). Returns at once; on the modem thread:

        - the token is forgotten (a later ack_incoming of it does nothing);
        - a stored message (+CMTI / +CDSI / found by a sweep) stays on the SIM untouched and
          its slot may be handed again: a sweep of the storages is scheduled 2 s later, the
          wait doubling (up to 60 s, never later than the regular sweep) while releases keep
          coming without an ack in between; the next successful ack resets it;
        - a direct one (+CMT / +CDS, never stored on the modem) with AT+CSMS=1 in use is
          answered AT+CNMA=2 (RP-ERROR, 27.005 §3.4.4): the network keeps it and delivers it
          again later. Not left unanswered: without a +CNMA the modem gives up itself after
          its timeout and turns direct routing off (27.005 §3.4.1), and no other +CMT comes
          until then. Without AT+CSMS=1 the modem acknowledged it to the network itself, so
          nothing can be done (the service does not use direct routing then).

        Unknown or already settled tokens are ignored. Safe from any thread."""
        self._req.put("release", token)

    def query_ussd(self, code: str) -> None:
        self._req.put("ussd", code)

    def enter_pin(self, pin: str) -> None:
        self._req.put("pin", pin)

    def decline_calls_after(self, rings: int | None) -> None:
        """From now on hang up a voice call after ``rings`` rings (AT+CHUP, else ATH), ending
        it as a CallMissed with ``declined``; None lets calls ring until the caller gives up.
        Applies to a call ringing now too. Returns at once."""
        self._req.put("decline", "" if rings is None else str(int(rings)))

    def refresh_status(self) -> None:
        self._req.put("refresh")

    @property
    def status(self) -> ModemStatus:
        with self._status_lock:
            return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- helpers used by the modem-thread modules ---------------------------------------------

    def assert_modem_thread(self) -> None:
        if threading.current_thread() is not self._thread:
            raise RuntimeError(f"must run on the {THREAD_NAME} thread")

    @property
    def channel(self) -> AtChannel:
        self.assert_modem_thread()
        if self._ch is None:
            raise PortGone("not connected")
        return self._ch

    def emit(self, event: ModemEvent) -> None:
        if event.at is None:
            object.__setattr__(event, "at", datetime.now(UTC))
        try:
            self._sink(event)
        except Exception:
            log.exception("modem event sink failed on %r", event)

    def set_status(self, **changes: object) -> None:
        with self._status_lock:
            new = replace(self._status, **changes)  # type: ignore[arg-type]
            if new == self._status:
                return
            self._status = new
        self.emit(StatusChanged(new))

    def command(
        self, cmd: str, *, expect: str | bool | None = True, final_on_info: bool = False
    ) -> Response:
        """One AT command with the service's timeout and hang detection."""
        ch = self.channel
        try:
            return ch.command(cmd, self.command_timeout, expect=expect, final_on_info=final_on_info)
        except AtTimeout:
            self.check_alive()
            raise

    def check_alive(self) -> None:
        """After a timeout: probe with AT; raise Hung if the modem is silent."""
        ch = self.channel
        if not ch.resync(min(self.command_timeout, 3.0)):
            raise Hung("The modem stopped answering.")

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                except (Stop, Interrupted):
                    raise Stop from None
                except Exception as exc:  # the thread must outlive any surprise: reconnect
                    log.exception("modem thread: unexpected error")
                    self._drop(f"Internal error in the modem layer ({type(exc).__name__}).", exc)
        except Stop:
            pass
        finally:
            self._close()
            self._fail_queued()
            if self._trace is not None:
                self._trace.close()
            self.set_status(state=ModemState.DISCONNECTED, last_error=None)

    def _fail_queued(self) -> None:
        """Stopping: every job not sent yet gets SendFailed (retryable, certainly not sent), so
        the core puts it back in its queue and never loses track of it."""
        fail_closing(self, self._req.unsent_jobs())

    def _step(self) -> None:
        if self._ch is None:
            self._connect()
            return
        try:
            self._serve_once()
        except AtTimeout:
            self._after_timeout()
        except ModemRestarted as exc:
            self._restarted(exc)
        except (PortGone, Hung) as exc:
            self._drop(connect.init_failure(exc), exc)
        except (CommandError, init_ops.SimBusy) as exc:
            reason = exc.reason if isinstance(exc, CommandError) else "The SIM stayed busy."
            self._drop(f"The modem refused to be set up: {reason}", exc)

    def _take_requests(self, wait: float = 0.0) -> None:
        """Move queued requests into the thread's own lists; wait up to ``wait`` for one."""
        self._req.take(
            self._incoming.queue_ack,
            wait,
            on_release=self._incoming.release,
            on_decline=self._incoming.calls.set_decline_after,
        )

    def _poke(self) -> None:
        """A request was queued (any thread): end the modem thread's idle wait on the port."""
        reader = self._reader
        if reader is not None:
            reader.poke()

    def _sleep(self, seconds: float) -> None:
        """Wait while still taking requests (so stop() is prompt): woken by each request, not
        by a clock."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._take_requests(left)

    # --- serving ------------------------------------------------------------------------------

    def _serve_once(self) -> None:
        self._take_requests()
        ch = self.channel
        self._incoming.handle_urcs()
        if self._incoming.take_sim_ready() and not self._sim_ready:
            self._req.refresh = True
        if ch.echo_seen and ch.echo_off:
            raise ModemRestarted("its echo came back on", expected="no echo (set with ATE0)")
        hint = self._incoming.take_boot_hint()
        if hint is not None and self._sim_ready:
            health.weigh_boot_hint(self, hint, self._cnmi)
        self._calm()
        now = time.monotonic()
        if self._req.pins:
            self._enter_pin(self._req.pins.popleft())
        elif not self._sim_ready:
            if self._req.refresh or now >= self._next_poll:
                self._req.refresh = False
                self._next_poll = now + min(self.poll_interval, NOT_READY_POLL)
                if health.check_pin(self, self._pin):
                    self._finish_init()
            else:
                ch.pump(self._next_poll - now)
        elif self._incoming.busy():
            self._incoming.work()
        elif self._incoming.has_acks():
            self._incoming.ack_next()
        elif self._incoming.calls.due(now):
            self._incoming.calls.work(now)
        elif self._req.jobs:
            send_job(self, self._req.jobs.popleft())
            self._last_send = time.monotonic()
        elif self._req.ussd and not self._incoming.ussd_waiting():
            self._incoming.start_ussd(self._req.ussd.popleft(), self.ussd_timeout)
        elif self._incoming.ussd_due(now):
            pass
        elif self._incoming.sweep_due(now):
            self._incoming.sweep()
        elif self._req.refresh or self._poll_due(now):
            self._req.refresh = False
            self._poll()
        else:
            ch.pump(self._idle_until(now) - now)

    def _poll_due(self, now: float) -> bool:
        """The status poll is due, and no burst of sends is going on (a poll between the parts
        of a burst only slows it; it is put off while sends follow each other, up to one more
        poll interval)."""
        if now < self._next_poll:
            return False
        sending = now - self._last_send < self._send_quiet
        return not sending or now >= self._next_poll + self.poll_interval

    def _idle_until(self, now: float) -> float:
        """When the thread must look again by itself if nothing comes (bytes from the modem or
        a request wake it before): the poll, the sweep or an overdue USSD answer."""
        poll = self._next_poll
        if now - self._last_send < self._send_quiet:
            poll = min(max(poll, self._last_send + self._send_quiet), poll + self.poll_interval)
        return max(now, min(poll, self._incoming.next_due(), self._incoming.calls.next_due()))

    @property
    def _send_quiet(self) -> float:
        return min(SEND_QUIET, self.poll_interval)
