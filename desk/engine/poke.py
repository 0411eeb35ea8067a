"""Waking a running engine on one PC when another process has queued something (SQLite).

On the shop's PostgreSQL server every writer notifies (desk.engine.live). On one PC the engine
would otherwise see a text queued by ``textdesk send`` (a reminder created by ``textdesk
remind``, appointments imported) only at its next look at ``PRAGMA data_version``
(desk.engine.wake.WATCH_EVERY): up to a second late. So while an engine runs on a SQLite
profile it listens on a UDP port of the loopback interface (127.0.0.1, a port the system
picks), and writes that port with a random token to ``engine.wake`` in the profile's data
folder. A writer calls ``poke(data_dir)`` after its commit: one datagram carrying the token. The
engine turns any number of pokes into one item on the core's queue at a time (``Poked``); the
core handles it as it does a change of data_version: one cycle, which finds the new rows.

The poke is a hint, never the only way: it is best effort and never raises (a poke nobody hears,
a stale file from an engine that was killed, a full socket buffer cost nothing), and the
data_version look stays as the fallback. A datagram without the exact token is ignored, so
nothing else on the computer can make the engine work harder than one cycle per datagram it
knows the token for; the file is readable by the profile's owner only (POSIX). Loopback traffic
needs no firewall rule on Windows. The engine removes the file when it stops.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["WAKE_FILE", "Listener", "Poked", "poke"]

log = logging.getLogger(__name__)

WAKE_FILE = "engine.wake"
HOST = "127.0.0.1"
_MAX_DATAGRAM = 512  # a token is 32 bytes; anything longer is not ours


class Poked:
    """The core queue's item for "another process committed something: run a cycle". At most
    one is waiting at a time; ``taken`` (on the core thread, before the cycle reads) lets the
    next poke queue another."""

    __slots__ = ("_listener",)

    def __init__(self, listener: Listener) -> None:
        self._listener = listener

    def taken(self) -> None:
        self._listener.pending.clear()

    def __repr__(self) -> str:
        return "Poked()"


class Listener:
    """The engine's side: bind, write the wake file, hand ``Poked`` items to ``put`` from a
    daemon thread until ``stop``. ``start`` raises OSError when the port or the file cannot be
    made (the engine then goes on without it: data_version still finds the rows)."""

    def __init__(self, data_dir: Path, put: Callable[[Poked], None]) -> None:
        self.path = Path(data_dir) / WAKE_FILE
        self._put = put
        self._token = secrets.token_hex(16).encode("ascii")
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.pending = threading.Event()  # a Poked item is on the queue, not taken yet
        self.port = 0

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((HOST, 0))
            self.port = sock.getsockname()[1]
            self._write_file()
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="desk-wake", daemon=True)
        self._thread.start()

    def _write_file(self) -> None:
        body = json.dumps({"port": self.port, "token": self._token.decode(), "pid": os.getpid()})
        tmp = self.path.with_name(f"{WAKE_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        for attempt in range(5):
            try:
                os.replace(tmp, self.path)
                return
            except PermissionError:  # Windows: a writer is reading the old file this moment
                if attempt == 4:
                    tmp.unlink(missing_ok=True)
                    raise
                time.sleep(0.05)

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stopping:
            try:
                data, _ = sock.recvfrom(_MAX_DATAGRAM)
            except OSError as exc:  # Windows: an ICMP "unreachable" for an earlier datagram
                if self._stopping:
                    return
                log.debug("wake port: %s", exc)
                continue
            if self._stopping:
                return
            if not hmac.compare_digest(data, self._token):
                continue  # not a writer of this profile
            if not self.pending.is_set():
                self.pending.set()
                self._put(Poked(self))

    def stop(self) -> None:
        """Remove the wake file (if it is still this engine's), end the thread, close the port."""
        self._stopping = True
        try:
            if (
                json.loads(self.path.read_text(encoding="utf-8")).get("token")
                == self._token.decode()
            ):
                self.path.unlink()
        except (OSError, ValueError, AttributeError):
            pass  # gone already, or another engine's since
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.sendto(b"", (HOST, self.port))  # wakes recvfrom, which then sees _stopping
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(2.0)
        sock.close()


def poke(data_dir: Path) -> bool:
    """After a commit: wake the engine running on this profile, if one listens (see the module
    doc). True when a datagram was sent; never raises."""
    try:
        found = json.loads((Path(data_dir) / WAKE_FILE).read_text(encoding="utf-8"))
        port, token = int(found["port"]), str(found["token"]).encode("ascii")
        if not 0 < port < 65536:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(token, (HOST, port))
    except FileNotFoundError:
        return False  # no engine runs on this profile
    except (OSError, ValueError, TypeError, KeyError, UnicodeError) as exc:
        log.debug("could not wake the engine: %s", exc)
        return False
    return True
