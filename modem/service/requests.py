"""What callers ask of the modem thread: a queue any thread may put to, and the thread's own
lists the requests are moved into (jobs to send, PINs staff typed, USSD codes, a refresh)."""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable

from modem.events import SendJob


class Stop(Exception):
    """stop() was asked: the modem thread ends."""


class Requests:
    """``on_put`` is called after every put (from the putting thread): the service wakes its
    thread with it."""

    def __init__(self, on_put: Callable[[], None] | None = None) -> None:
        self._queue: queue.Queue[tuple[str, SendJob | str | None]] = queue.Queue()
        self._on_put = on_put
        # owned by the modem thread
        self.jobs: deque[SendJob] = deque()
        self.pins: deque[str] = deque()
        self.ussd: deque[str] = deque()
        self.refresh = False

    def put(self, kind: str, value: SendJob | str | None = None) -> None:
        """From any thread: "send" (a SendJob), "ack", "release", "pin", "ussd" (str),
        "refresh", "stop"; "decline" (rings as text, "" for none)."""
        self._queue.put((kind, value))
        if self._on_put is not None:
            self._on_put()

    def take(
        self,
        on_ack: Callable[[str], None],
        wait: float = 0.0,
        on_release: Callable[[str], None] | None = None,
        on_decline: Callable[[str], None] | None = None,
    ) -> None:
        """Move queued requests into the lists (acks to ``on_ack``, releases to
        ``on_release``), waiting up to ``wait`` for the first; raises Stop when stop() was
        asked."""
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return
        while True:
            kind, value = item
            if kind == "stop":
                raise Stop
            if isinstance(value, SendJob):
                self.jobs.append(value)
            elif kind == "refresh":
                self.refresh = True
            elif isinstance(value, str):
                if kind in ("release", "decline"):
                    handler = on_release if kind == "release" else on_decline
                    if handler is not None:
                        handler(value)
                else:
                    {"ack": on_ack, "pin": self.pins.append, "ussd": self.ussd.append}[kind](value)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return

    def unsent_jobs(self) -> deque[SendJob]:
        """Stopping: every job not sent yet, those still in the queue too."""
        while True:
            try:
                _kind, value = self._queue.get_nowait()
            except queue.Empty:
                return self.jobs
            if isinstance(value, SendJob):
                self.jobs.append(value)
