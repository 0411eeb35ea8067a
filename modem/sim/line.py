"""The serial line under the virtual modem, whatever carries it (pseudo-terminal, TCP, RFC 2217).

A real UART is full duplex: the modem's output and the client's input each take 10 bits per byte
at the baud rate, at the same time. So input is paced on the reader thread and output on a writer
thread of its own; the echo of a command costs the client no time on its own input. Output is
queued (``write`` never blocks the modem); a client that stops reading gets its output dropped
after ``WRITE_TIMEOUT``, as a UART with a full buffer would lose it.

An idle line costs nothing: both threads sleep until there is something to do (the reader in
``select`` with a wake-up socket that ``close`` pokes, the writer on a condition).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 2.0  # a client that stops reading: drop output after this long, like a real UART
CHUNK = 256  # paced output goes out in pieces this big, so pacing is smooth
RX_PIECE = 16  # paced input reaches the modem in pieces this big (a UART's FIFO trigger level)


class Line:
    """Reader and writer threads with independent baud-rate pacing; subclasses move the bytes.

    A subclass sets ``device``, implements ``_read_loop`` (calls ``_deliver`` with what arrives),
    ``_send_some`` (returns bytes written; raises BlockingIOError when the client's buffer is
    full), ``_wait_writable`` and ``_release`` (closes its descriptors), then calls ``_start``.
    """

    device: str

    def __init__(self, on_data: Callable[[bytes], None], *, baud: int | None = None) -> None:
        self._on_data = on_data
        self.baud = baud
        self._closed = threading.Event()
        self._out: deque[bytes] = deque()
        self._out_cond = threading.Condition()
        self._stalled = False
        self._sending = False
        self._wake_r, self._wake_w = socket.socketpair()  # pokes the reader out of select
        self._wake_r.setblocking(False)
        self._reader_thread: threading.Thread | None = None
        self._writer_thread: threading.Thread | None = None

    def _start(self, name: str) -> None:
        self._reader_thread = threading.Thread(target=self._read_loop, name=name, daemon=True)
        self._writer_thread = threading.Thread(
            target=self._write_loop, name=name + "-out", daemon=True
        )
        self._reader_thread.start()
        self._writer_thread.start()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # ------------------------------------------------------------------ input
    def _read_loop(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def _wake(self) -> None:
        """Make the reader look again (closing, or its client changed)."""
        with contextlib.suppress(OSError):
            self._wake_w.send(b"!")

    def _woken(self) -> None:
        """Empty the wake-up socket (the reader calls this when it is readable)."""
        with contextlib.suppress(OSError):
            while self._wake_r.recv(64):
                pass

    def _deliver(self, data: bytes) -> None:
        """Bytes the client sent: they take their time on the wire, then the modem sees them. At
        a baud rate they arrive a few at a time, so the echo of a long line runs alongside it."""
        if not self.baud:
            self._hand_over(data)
            return
        for start in range(0, len(data), RX_PIECE):
            piece = data[start : start + RX_PIECE]
            time.sleep(len(piece) * 10 / self.baud)
            if self._closed.is_set():
                return
            self._hand_over(piece)

    def _hand_over(self, data: bytes) -> None:
        try:
            self._on_data(data)
        except Exception:  # the modem must never die from one bad input
            log.exception("virtual modem failed on input %r", data[:80])

    # ------------------------------------------------------------------ output
    def write(self, data: bytes) -> bool:
        """Queue ``data`` for the client; False when the line is closed."""
        if self._closed.is_set():
            return False
        if data:
            with self._out_cond:
                self._out.append(data)
                self._out_cond.notify_all()
        return True

    def discard_output(self) -> None:
        """Forget output not yet on the wire (its client went away)."""
        with self._out_cond:
            self._out.clear()

    def _write_loop(self) -> None:
        while not self._closed.is_set():
            with self._out_cond:
                while not self._out and not self._closed.is_set():
                    self._out_cond.wait()
                if self._closed.is_set():
                    return
                data = self._out.popleft()
                self._sending = True
            try:
                self._send_all(data)
            except Exception:
                log.exception("virtual modem output failed")
            finally:
                with self._out_cond:
                    self._sending = False
                    self._out_cond.notify_all()

    def _send_all(self, data: bytes) -> None:
        view = memoryview(data)
        # once a write timed out, don't wait again until the client drains the line
        deadline = time.monotonic() + (0.0 if self._stalled else WRITE_TIMEOUT)
        while view:
            if self._closed.is_set():
                return
            try:
                n = self._send_some(view[:CHUNK] if self.baud else view)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    if not self._stalled:
                        log.warning("client is not reading: dropping output")
                    self._stalled = True
                    return
                self._wait_writable(0.05)
                continue
            except OSError as exc:
                if not self._closed.is_set():
                    log.info("line write failed: %s", exc)
                self._write_failed()
                return
            if self.baud:
                time.sleep(n * 10 / self.baud)
            view = view[n:]
        self._stalled = False

    def _send_some(self, view: memoryview) -> int:  # pragma: no cover
        raise NotImplementedError

    def _wait_writable(self, timeout: float) -> None:  # pragma: no cover
        raise NotImplementedError

    def _write_failed(self) -> None:
        """The client end broke while writing (TCP overrides: that client is gone)."""

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Unplug: stop both threads and release the line."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._out_cond:
            self._out.clear()
            self._out_cond.notify_all()
        self._wake()
        me = threading.current_thread()
        for thread in (self._reader_thread, self._writer_thread):
            if thread is not None and thread is not me:
                thread.join(timeout=2.0)
        self._release()
        for sock in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                sock.close()

    def _release(self) -> None:  # pragma: no cover
        raise NotImplementedError
