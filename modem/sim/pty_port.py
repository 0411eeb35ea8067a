"""The serial side of the virtual modem: a real pseudo-terminal.

The client opens the slave (``device``, e.g. /dev/pts/7) like a USB modem's /dev/ttyUSB0. We keep
the master and also hold the slave open ourselves, so a client that closes and reopens the port
does not hang up the line. ``close()`` is an unplug: both ends go, the client's next read or write
fails with an I/O error, and the device path disappears.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

WRITE_TIMEOUT = 2.0  # a client that stops reading: drop output after this long, like a real UART


class PtyPort:
    """One pseudo-terminal with a reader thread that hands received bytes to ``on_data``."""

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        *,
        baud: int | None = None,
        link: str | os.PathLike[str] | None = None,
        avoid: str | None = None,
    ) -> None:
        self._on_data = on_data
        self.baud = baud
        self.link = Path(link) if link else None
        self._write_lock = threading.Lock()
        self._closed = threading.Event()
        self._stalled = False
        self.master, self.slave, self.device = self._open(avoid)
        if self.link is not None:
            self._point_link()
        self._thread = threading.Thread(
            target=self._reader, name=f"sim-pty{self.device}", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _open(avoid: str | None) -> tuple[int, int, str]:
        spare: list[tuple[int, int]] = []
        try:
            for _ in range(8):
                master, slave = os.openpty()
                device = os.ttyname(slave)
                if device != avoid:
                    break
                spare.append((master, slave))  # hold the old number so the kernel gives a new one
            tty.setraw(slave)
            os.set_blocking(master, False)
            return master, slave, device
        finally:
            for m, s in spare:
                os.close(m)
                os.close(s)

    def _point_link(self) -> None:
        assert self.link is not None
        tmp = self.link.with_name(self.link.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(self.device)
        os.replace(tmp, self.link)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def _pace(self, nbytes: int) -> None:
        if self.baud:
            time.sleep(nbytes * 10 / self.baud)

    def _reader(self) -> None:
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self.master, 4096)
            except (OSError, ValueError) as exc:
                if self._closed.is_set():
                    return
                if isinstance(exc, OSError) and exc.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                log.warning("pty read failed: %s", exc)
                time.sleep(0.05)
                continue
            if not data:
                continue
            self._pace(len(data))
            try:
                self._on_data(data)
            except Exception:  # the modem must never die from one bad input
                log.exception("virtual modem failed on input %r", data[:80])

    def write(self, data: bytes) -> bool:
        """Write everything (paced at the baud rate); False when unplugged or the client stalls."""
        if not data:
            return True
        with self._write_lock:
            view = memoryview(data)
            # once a write timed out, don't wait again until the client drains the line
            deadline = time.monotonic() + (0.0 if self._stalled else WRITE_TIMEOUT)
            while view:
                if self._closed.is_set():
                    return False
                try:
                    n = os.write(self.master, view[:256] if self.baud else view)
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        if not self._stalled:
                            log.warning("client is not reading: dropping output")
                        self._stalled = True
                        return False
                    with contextlib.suppress(OSError, ValueError):
                        select.select([], [self.master], [], 0.05)
                    continue
                except OSError as exc:
                    log.warning("pty write failed: %s", exc)
                    return False
                self._pace(n)
                view = view[n:]
            self._stalled = False
            return True

    def close(self) -> None:
        """Unplug: stop the reader, close both ends, remove the link."""
        if self._closed.is_set():
            return
        with self._write_lock:
            self._closed.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.link.is_symlink() and os.readlink(self.link) == self.device:
                    self.link.unlink()
