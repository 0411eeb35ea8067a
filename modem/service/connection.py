"""Connecting, setting up and dropping the modem: the part of ModemService that opens the port,
initialises the modem (identity, PIN, SMS routing, network), records trouble, and reconnects
with backoff after an unplug, a restart or a hang.

``ConnectionLifecycle`` is a base class of ``ModemService`` (modem.service.modem_service), which
holds the state these methods use and the thread that calls them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from modem import ports
from modem.at import urc
from modem.at.channel import (
    AtChannel,
    AtError,
    AtTimeout,
    CommandError,
    ModemRestarted,
    PortGone,
    Response,
    SerialLike,
)
from modem.at.reader import PortReader
from modem.at.trace import AtTrace
from modem.events import ModemEvent, ModemState, ModemStatus, PortChanged
from modem.service import connect, health, init_ops
from modem.service.incoming import Incoming
from modem.service.reconnect import Backoff, TroubleLog
from modem.service.requests import Requests, Stop
from modem.service.sms_ops import parse_cpms_counts

log = logging.getLogger("modem.service.modem_service")  # the service's log, as before the split


class Hung(AtError):
    """The modem stopped answering (a command and the AT probe after it timed out)."""


class ConnectionLifecycle:
    """Set in ModemService.__init__; owned by the modem thread."""

    port: str | None
    baudrate: int
    command_timeout: float
    send_timeout: float
    poll_interval: float
    sim_busy_wait: float
    storage: str
    direct_delivery: bool
    _pin: health.PinKeeper
    _opener: connect.Opener
    _trace: AtTrace | None
    _backoff: Backoff
    _troubles: TroubleLog
    _last_exchange: tuple[str | None, list[str]]
    _req: Requests
    _stopping: threading.Event
    _serial: SerialLike | None
    _reader: PortReader | None
    _ch: AtChannel | None
    _device: str | None
    _sim_ready: bool
    _next_poll: float
    _cnmi: str | None
    _incoming: Incoming

    if TYPE_CHECKING:  # defined by ModemService

        @property
        def channel(self) -> AtChannel: ...

        @property
        def status(self) -> ModemStatus: ...

        def command(
            self, cmd: str, *, expect: str | bool | None = True, final_on_info: bool = False
        ) -> Response: ...

        def check_alive(self) -> None: ...

        def emit(self, event: ModemEvent) -> None: ...

        def set_status(self, **changes: object) -> None: ...

        def _take_requests(self, wait: float = 0.0) -> None: ...

        def _sleep(self, seconds: float) -> None: ...

    def _after_timeout(self) -> None:
        """A command timed out: go on if the modem still answers, else reconnect."""
        try:
            self.check_alive()
        except (PortGone, Hung) as exc:
            self._drop(connect.init_failure(exc), exc)

    def _restarted(self, exc: ModemRestarted) -> None:
        """Real evidence the modem restarted (echo back on, the PIN asked again, our +CNMI
        gone): set it up again on the same port (after a growing wait when this repeats); if
        that fails, reconnect."""
        log.info("modem restarted: %s", exc)
        self._sim_ready = False
        self._incoming.on_disconnect()
        reason = self._trouble(connect.init_failure(exc), exc)
        self.set_status(state=ModemState.DISCONNECTED, last_error=reason)
        if self._troubles.looping():
            self._sleep(self._backoff.next_delay(looping=True))
        self.set_status(state=ModemState.CONNECTING)
        try:
            self._initialise()
        except (PortGone, ModemRestarted, Hung, AtTimeout, CommandError, init_ops.SimBusy) as err:
            self._drop(connect.init_failure(err), err)

    def _trouble(self, reason: str, exc: BaseException | None = None) -> str:
        """Record a reconnect / re-initialisation; the words for ``last_error``: ``reason``,
        or, once it repeats, with what the modem last answered and what was expected."""
        ch = self._ch
        exchange = (ch.last_command, ch.last_lines) if ch else self._last_exchange
        troubles = self._troubles
        text = troubles.note(reason, exc, exchange)
        if text is None:
            troubles.warned = None
            return reason
        last = troubles.last
        assert last is not None
        if last.reason != troubles.warned:  # once per loop, not per attempt (the status counts)
            log.warning("modem trouble repeats: %s", text)
            troubles.warned = last.reason
        else:
            log.info("modem trouble repeats: %s", text)
        self.set_status(
            repeats=self._troubles.repeats(),
            modem_answer=last.answer if last.command else None,
            expected=last.expected,
        )
        return text

    def _calm(self) -> None:
        """No trouble for a while: clear the repeat details from the status."""
        if self.status.repeats and not self._troubles.repeats():
            self.set_status(repeats=0, modem_answer=None, expected=None)

    # --- connecting ---------------------------------------------------------------------------

    def _connect(self) -> None:
        self._take_requests()
        path = connect.choose_path(
            self.port, self._backoff.attempts, min(self.command_timeout, 1.0)
        )
        if path is None:
            self._wait_retry("No modem found. Plug the modem in.", ModemState.DISCONNECTED)
            return
        try:
            serial_port = self._opener(path, self.baudrate)
        except Exception as exc:
            text = ports.explain_open_error(exc, path)
            denied = "Permission denied" in text
            self._wait_retry(text, ModemState.ERROR if denied else ModemState.DISCONNECTED)
            return
        device = connect.device_of(path)
        if self._device is not None and device != self._device:
            self.emit(PortChanged(self._device, device))
        self._device = device
        self._serial = serial_port
        self._reader = PortReader(serial_port)
        self._ch = AtChannel(serial_port, trace=self._trace, reader=self._reader)
        if self._trace is not None:
            self._trace.note(f"connected to {path}")
        self._ch.interrupt = self._stopping
        self.set_status(state=ModemState.CONNECTING, port=path, last_error=None)
        try:
            # a process killed inside the +CMGS prompt leaves the modem taking every byte as
            # message text: cancel it (ESC, never Ctrl-Z) and drain before the first AT
            self._ch.cancel_prompt()
            self._initialise()
        except Stop:
            raise
        except Exception as exc:
            if not isinstance(exc, AtError | init_ops.SimBusy):
                log.exception("modem initialisation failed")
            reason = connect.init_failure(exc)
            self._wait_retry(reason, ModemState.DISCONNECTED, exc)
            return
        if not self._troubles.looping():
            self._backoff.reset()

    def _wait_retry(self, reason: str, state: ModemState, exc: BaseException | None = None) -> None:
        reason = self._trouble(reason, exc)
        self._close()
        self.set_status(state=state, last_error=reason)
        # the wait grows past the usual cap only for a modem that answers and still fails (a
        # loop); a modem that is just not there is looked for again at the usual pace
        talking = isinstance(exc, AtError | init_ops.SimBusy)
        self._sleep(self._backoff.next_delay(looping=talking and self._troubles.looping()))

    def _close(self) -> None:
        ch, self._ch = self._ch, None
        if ch is not None:
            self._last_exchange = (ch.last_command, list(ch.last_lines))
        port, self._serial = self._serial, None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        self._sim_ready = False
        self._incoming.on_disconnect()
        if port is not None:
            try:
                port.close()
            except Exception:
                pass

    def _drop(self, reason: str, exc: BaseException | None = None) -> None:
        log.info("modem connection lost: %s", reason)
        self._wait_retry(reason, ModemState.DISCONNECTED, exc)

    def _initialise(self) -> None:
        ch = self.channel
        try:
            self._init_steps()
        finally:
            # boot lines while setting up are expected (a modem just powered on): no hint
            kept = [u for u in ch.urcs if not isinstance(u, urc.Boot)]
            ch.urcs.clear()
            ch.urcs.extend(kept)
            self._incoming.take_boot_hint()

    def _init_steps(self) -> None:
        ch = self.channel
        t = self.command_timeout
        init_ops.wake(ch, min(t, 2.0), attempts=max(2, int(t / 2.0) + 1))
        init_ops.optional(ch, "AT+CMEE=1", t)
        ch.echo_seen = False
        info = init_ops.wait_sim(
            lambda: init_ops.identity(ch, t), time.monotonic() + self.sim_busy_wait
        )
        self.set_status(**info)
        self._sim_ready = False
        if health.check_pin(self, self._pin):
            self._finish_init()

    def _finish_init(self) -> None:
        ch = self.channel
        t = self.command_timeout
        try:
            chosen = init_ops.wait_sim(
                lambda: init_ops.set_up_sms(ch, self.storage, t, direct=self.direct_delivery),
                time.monotonic() + self.sim_busy_wait,
            )
        except CommandError as exc:
            kind = init_ops.pin_asked(exc)
            if kind is None:
                raise
            # the PIN state was unknown (AT+CPIN? said nothing readable); this says it
            self.set_status(
                state=ModemState.PIN_NEEDED, pin_kind=kind, last_error=f"Enter the {kind}."
            )
            return
        self._cnmi = chosen.cnmi
        self._incoming.storage = chosen.storage or self.storage
        self._incoming.csms = chosen.csms
        self._incoming.cnmi = chosen.cnmi
        self._incoming.refuse_stale()
        init_ops.set_up_network(ch, t, self.status.manufacturer)
        self._sim_ready = True
        counts = parse_cpms_counts(chosen.counts or "")
        self.set_status(
            pin_kind=None,
            storage_used=counts[0] if counts else None,
            storage_total=counts[1] if counts else None,
        )
        # everything left in any storage (a killed process's reports in SR too) is handed over
        # before READY, so the first sends do not wait behind the sweep
        self._incoming.sweep()
        self._poll()

    def _poll(self) -> None:
        self._next_poll = time.monotonic() + self.poll_interval
        health.poll_status(self, self._cnmi, self._incoming.storage)

    def _enter_pin(self, pin: str) -> None:
        outcome = health.enter_user_pin(self, self._pin, pin)
        if outcome is health.PinEntry.BUSY:
            self._req.pins.appendleft(pin)  # the SIM is still being read: try again shortly
            self._sleep(0.3)
        elif outcome is health.PinEntry.READY and not self._sim_ready:
            self._finish_init()
