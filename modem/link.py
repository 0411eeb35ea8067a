"""The link interface: what the core drives, whatever the device (AT modem, HiLink stick, phone).

``ModemLink`` is the surface desk.engine calls today on ModemService: ``start``/``stop`` the one
thread that owns the device, ``submit`` a SendJob, ``ack_incoming(token)`` once an IncomingSms or
DeliveryReport is stored (only then does the link delete it from the device or answer the phone),
``release_incoming(token)`` when the core could not store it (the link forgets the token, keeps
the message on the device and offers it again soon, as if it had never been handed over),
``query_ussd``, ``enter_pin``, ``refresh_status``, and ``status``. Every call returns at once;
results come as ``modem.events`` dataclasses through the sink given to the link's constructor
(called on the link's own threads; it must not block). ModemService satisfies it structurally.

``LinkWorker`` is the thread shared by the HTTP links (modem.hilink, modem.android): requests go
through a queue, the device is touched only on the worker thread, a lost connection is retried
with backoff, and on stop every job not handed to the device gets SendFailed (retryable, certainly
not sent) so the core never loses track of it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from modem.events import (
    ModemEvent,
    ModemState,
    ModemStatus,
    SendFailed,
    SendJob,
    StatusChanged,
    UssdResult,
)
from modem.service.reconnect import Backoff

log = logging.getLogger(__name__)

EventSink = Callable[[ModemEvent], None]
LINK_METHODS = (
    "start",
    "stop",
    "submit",
    "ack_incoming",
    "release_incoming",
    "query_ussd",
    "enter_pin",
    "refresh_status",
)
CLOSING = "TextDesk was closing; not sent"


@runtime_checkable
class ModemLink(Protocol):
    """One device TextDesk sends and receives through. Nothing here blocks the caller."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def submit(self, job: SendJob) -> None: ...
    def ack_incoming(self, token: str) -> None: ...
    def release_incoming(self, token: str) -> None: ...
    def query_ussd(self, code: str) -> None: ...
    def enter_pin(self, pin: str) -> None: ...
    def refresh_status(self) -> None: ...

    @property
    def status(self) -> ModemStatus: ...

    @property
    def running(self) -> bool: ...


def missing_methods(obj: object) -> list[str]:
    """The link methods ``obj`` lacks (or has but cannot call); empty for a complete link."""
    missing = [name for name in LINK_METHODS if not callable(getattr(obj, name, None))]
    for name in ("status", "running"):
        if not hasattr(type(obj), name):
            missing.append(name)
    return missing


class LinkLost(Exception):
    """The device cannot be reached (or answered nonsense to a required step): reconnect."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LinkRefused(LinkLost):
    """A person must fix something (wrong password, no SIM): do not retry until restarted."""


class _Stop(Exception):
    pass


class GiveBack:
    """When a text the core could not store (``release_incoming``) is offered again: 2 s after
    the first release, the wait doubling (up to 60 s) while releases keep coming without a
    stored one in between, as ModemService does; ``stored()`` (an ack) starts over. Any
    thread."""

    def __init__(self, first: float = 2.0, cap: float = 60.0) -> None:
        self._backoff = Backoff(first, cap)
        self._lock = threading.Lock()

    def next_time(self) -> float:
        """The monotonic time to offer a text just given back again."""
        with self._lock:
            return time.monotonic() + self._backoff.next_delay()

    def stored(self) -> None:
        with self._lock:
            self._backoff.reset()


class LinkWorker:
    """Base of the HTTP links: the worker thread, its request queue, status and backoff.

    Subclasses implement ``_open`` / ``_close`` (raise LinkLost), ``_send``, ``_ack``, ``_poll``
    and optionally ``_ussd``, ``_pin``; all run on the worker thread only.
    """

    thread_name = "textdesk-link"

    def __init__(
        self,
        sink: EventSink,
        *,
        poll_interval: float = 2.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        self._sink = sink
        self.poll_interval = poll_interval
        self._backoff = Backoff(backoff_initial, backoff_max)
        self._requests: queue.Queue[tuple[str, object]] = queue.Queue()
        self._status = ModemStatus()
        self._status_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connected = False
        self._jobs: deque[SendJob] = deque()
        self._acks: deque[str] = deque()
        self._pins: deque[str] = deque()
        self._ussd_codes: deque[str] = deque()
        self._calls: deque[Callable[[], None]] = deque()
        self._refresh = False
        self._next_poll = 0.0
        self.connects = 0  # successful connections so far (tests read it)

    # --- public API (any thread) ----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._requests.put(("stop", None))
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def submit(self, job: SendJob) -> None:
        self._requests.put(("send", job))

    def ack_incoming(self, token: str) -> None:
        self._requests.put(("ack", token))

    def release_incoming(self, token: str) -> None:
        self._requests.put(("release", token))

    def query_ussd(self, code: str) -> None:
        self._requests.put(("ussd", code))

    def enter_pin(self, pin: str) -> None:
        self._requests.put(("pin", pin))

    def refresh_status(self) -> None:
        self._requests.put(("refresh", None))

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread (for the link's own helper threads: a webhook
        listener hands over what touches the link's state this way)."""
        self._requests.put(("call", fn))

    @property
    def status(self) -> ModemStatus:
        with self._status_lock:
            return self._status

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- for subclasses ---------------------------------------------------------------------------

    def emit(self, event: ModemEvent) -> None:
        if event.at is None:
            object.__setattr__(event, "at", datetime.now(UTC))
        try:
            self._sink(event)
        except Exception:
            log.exception("link event sink failed on %r", event)

    def set_status(self, status: ModemStatus) -> None:
        with self._status_lock:
            if status == self._status:
                return
            self._status = status
        self.emit(StatusChanged(status))

    def update_status(self, **changes: str | int | ModemState | None) -> None:
        with self._status_lock:
            current = self._status
        self.set_status(replace(current, **changes))  # type: ignore[arg-type]

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _send(self, job: SendJob) -> None:
        raise NotImplementedError

    def _ack(self, token: str) -> None:
        raise NotImplementedError

    def _release(self, token: str) -> None:
        """The core could not store what ``token`` handed over: forget the token, keep the
        message on the device and offer it again (see GiveBack). Each HTTP link implements it;
        there is no default that would leave the message waiting for the next connection."""
        raise NotImplementedError

    def _poll(self) -> None:
        raise NotImplementedError

    def _ussd(self, code: str) -> None:
        self.emit(UssdResult(None, code, "This modem cannot ask balance codes (USSD)."))

    def _pin(self, pin: str) -> None:
        log.info("this link has no SIM PIN to enter")

    def _work_pending(self) -> bool:
        """Subclasses with their own deferred work (a send waiting for its result) say when a
        step of it is due now."""
        return False

    def _busy(self) -> bool:
        """True while a send is still being settled: the next job waits for it."""
        return False

    def _work(self) -> None:
        """One step of the subclass's deferred work (only called when _work_pending)."""

    # --- the thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                if not self._connected:
                    self._connect()
                    continue
                try:
                    self._serve_once()
                except _Stop:
                    raise
                except LinkRefused as exc:
                    self._drop(exc.reason, ModemState.ERROR)
                    self._wait_for_stop()
                except LinkLost as exc:
                    self._drop(exc.reason, ModemState.DISCONNECTED)
                except Exception as exc:  # the thread must outlive any surprise: reconnect
                    log.exception("link thread: unexpected error")
                    self._drop(f"Internal error in the modem link ({type(exc).__name__}).")
        except _Stop:
            pass
        finally:
            self._close_quietly()
            self._fail_queued()
            self.update_status(state=ModemState.DISCONNECTED, last_error=None)

    def _connect(self) -> None:
        self._take_requests()
        self.update_status(state=ModemState.CONNECTING)
        try:
            self._open()
        except _Stop:
            raise
        except LinkRefused as exc:
            self._close_quietly()
            self.update_status(state=ModemState.ERROR, last_error=exc.reason)
            self._wait_for_stop()
            return
        except LinkLost as exc:
            self._close_quietly()
            self.update_status(state=ModemState.DISCONNECTED, last_error=exc.reason)
            self._sleep(self._backoff.next_delay())
            return
        except Exception as exc:
            log.exception("link: connecting failed")
            self._close_quietly()
            self.update_status(
                state=ModemState.DISCONNECTED,
                last_error=f"Internal error in the modem link ({type(exc).__name__}).",
            )
            self._sleep(self._backoff.next_delay())
            return
        self._connected = True
        self.connects += 1
        self._backoff.reset()
        self._next_poll = 0.0

    def _drop(self, reason: str, state: ModemState = ModemState.DISCONNECTED) -> None:
        log.info("link lost: %s", reason)
        self._close_quietly()
        self.update_status(state=state, last_error=reason)
        if state != ModemState.ERROR:
            self._sleep(self._backoff.next_delay())

    def _close_quietly(self) -> None:
        self._connected = False
        try:
            self._close()
        except Exception:
            log.debug("link: closing failed", exc_info=True)

    def _wait_for_stop(self) -> None:
        """A person must act (the engine restarts the link with new settings): keep taking
        requests so stop() stays prompt, and hold the jobs."""
        while True:
            self._take_requests(0.5)

    def _serve_once(self) -> None:
        self._take_requests()
        now = time.monotonic()
        if self._pins:
            self._pin(self._pins.popleft())
        elif self._acks:
            token = self._acks.popleft()
            try:
                self._ack(token)
            except LinkLost:
                self._acks.appendleft(token)  # delete it after the reconnect
                raise
        elif self._calls:
            self._calls.popleft()()
        elif self._work_pending():
            self._work()
        elif self._jobs and not self._busy():
            self._send(self._jobs.popleft())
        elif self._ussd_codes:
            self._ussd(self._ussd_codes.popleft())
        elif self._refresh or now >= self._next_poll:
            self._refresh = False
            self._next_poll = now + self.poll_interval
            self._poll()
        else:
            self._take_requests(min(0.2, max(0.01, self._next_poll - now)))

    def _take_requests(self, wait: float = 0.0) -> None:
        try:
            item = self._requests.get(timeout=wait) if wait > 0 else self._requests.get_nowait()
        except queue.Empty:
            return
        while True:
            kind, value = item
            if kind == "stop":
                raise _Stop
            if kind == "send" and isinstance(value, SendJob):
                self._jobs.append(value)
            elif kind == "ack" and isinstance(value, str):
                self._acks.append(value)
            elif kind == "release" and isinstance(value, str):
                self._release(value)
            elif kind == "pin" and isinstance(value, str):
                self._pins.append(value)
            elif kind == "ussd" and isinstance(value, str):
                self._ussd_codes.append(value)
            elif kind == "call" and callable(value):
                self._calls.append(value)
            elif kind == "refresh":
                self._refresh = True
            try:
                item = self._requests.get_nowait()
            except queue.Empty:
                return

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._take_requests(min(left, 0.2))

    def _fail_queued(self) -> None:
        while True:
            try:
                kind, value = self._requests.get_nowait()
            except queue.Empty:
                break
            if kind == "send" and isinstance(value, SendJob):
                self._jobs.append(value)
        while self._jobs:
            job = self._jobs.popleft()
            self.emit(SendFailed(job.job_id, 1, 1, job.concat_ref, None, CLOSING, True))
