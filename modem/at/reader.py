"""A thread that blocks on the serial port and hands its bytes to the thread that owns the port.

Why: the owner (the modem service) must wake for two things, bytes from the modem and requests
from other threads, and otherwise sleep. Reading the port itself with a short timeout would wake
it many times a second for nothing. Here one thread sits in a blocking ``read`` (pyserial's
``cancel_read`` ends it on close; a port without it, such as ``socket://``, is read with a 1 s
timeout instead), and the owner waits on one condition that both the bytes and ``poke()`` (a
request queued) signal. A read error (unplug, EIO, a dropped connection) is kept and raised to
the owner as it asks for bytes, so nothing is lost between the two threads.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

NO_CANCEL_TIMEOUT = 1.0  # the read timeout of a port without cancel_read (how fast close ends it)


class ReadablePort(Protocol):
    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...


class PortReader:
    """Reads ``port`` on its own daemon thread into a buffer; ``take`` / ``wait`` for it."""

    def __init__(self, port: ReadablePort, name: str = "textdesk-modem-reader") -> None:
        self._port = port
        self._cond = threading.Condition()
        self._buf = bytearray()
        self._error: BaseException | None = None
        self._poked = False
        self._closed = False
        cancel = getattr(port, "cancel_read", None)
        self._cancel = cancel if callable(cancel) else None
        if hasattr(port, "timeout"):
            # blocking reads where close can end them; else a slow timeout to notice close
            port.timeout = None if self._cancel is not None else NO_CANCEL_TIMEOUT
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        port = self._port
        while not self._closed:
            try:
                waiting = port.in_waiting
                data = port.read(waiting or 1)
                if data:
                    more = port.in_waiting
                    if more:
                        data += port.read(more)
            except Exception as exc:  # serial.SerialException, OSError (EIO after unplug)
                with self._cond:
                    if not self._closed:
                        self._error = exc
                    self._cond.notify_all()
                return
            if data:
                with self._cond:
                    self._buf += data
                    self._cond.notify_all()

    def take(self, timeout: float) -> bytes:
        """The bytes read so far, waiting up to ``timeout`` for some (b"" when none came or
        ``poke`` was called). Raises the read error once the buffer is empty."""
        end = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while not self._buf:
                if self._error is not None:
                    raise self._error
                if self._poked:
                    self._poked = False
                    return b""
                left = end - time.monotonic()
                if left <= 0:
                    return b""
                self._cond.wait(left)
            data = bytes(self._buf)
            self._buf.clear()
            return data

    def poke(self) -> None:
        """From any thread: end the owner's current wait (a request is queued for it)."""
        with self._cond:
            self._poked = True
            self._cond.notify_all()

    def close(self) -> None:
        """Stop reading (before the port is closed): the blocking read is cancelled."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._cancel is not None:
            try:
                self._cancel()
            except Exception:
                pass
        if self._thread is not threading.current_thread():
            self._thread.join(NO_CANCEL_TIMEOUT + 0.5)
