"""The serial side of the virtual modem on a real pseudo-terminal (POSIX only: ``os.openpty``).

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
import time
from collections.abc import Callable
from pathlib import Path

from modem.sim.line import Line

log = logging.getLogger(__name__)


def has_pty() -> bool:
    """True where the virtual modem can sit on a pseudo-terminal (not on Windows)."""
    return hasattr(os, "openpty")


class PtyPort(Line):
    """One pseudo-terminal; received bytes go to ``on_data``, ``write`` queues output."""

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        *,
        baud: int | None = None,
        link: str | os.PathLike[str] | None = None,
        avoid: str | None = None,
    ) -> None:
        super().__init__(on_data, baud=baud)
        self.link = Path(link) if link else None
        self.master, self.slave, self.device = self._open(avoid)
        if self.link is not None:
            self._point_link()
        self._start(f"sim-pty{self.device}")

    @staticmethod
    def _open(avoid: str | None) -> tuple[int, int, str]:
        if not has_pty():
            raise OSError("this system has no pseudo-terminals: serve the modem over TCP")
        import tty  # POSIX only; imported here so the module loads on Windows

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

    def _read_loop(self) -> None:
        while not self._closed.is_set():
            try:
                wake = self._wake_r.fileno()
                ready, _, _ = select.select([self.master, wake], [], [])
                if wake in ready:
                    self._woken()
                if self.master not in ready or self._closed.is_set():
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
            if data:
                self._deliver(data)

    def _send_some(self, view: memoryview) -> int:
        return os.write(self.master, view)

    def _wait_writable(self, timeout: float) -> None:
        with contextlib.suppress(OSError, ValueError):
            select.select([], [self.master], [], timeout)

    def _release(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError, OSError):
                if self.link.is_symlink() and os.readlink(self.link) == self.device:
                    self.link.unlink()
