"""The virtual modem on a TCP socket: raw (``socket://host:port``) or RFC 2217 (``rfc2217://``).

This is how a modem on a router or a small board is reached (ser2net), and the transport where no
pseudo-terminal exists (Windows). One client at a time, as a COM port opens once: a second
connection is closed at once. When the client goes away the modem keeps running with all its
state (settings, SIM, stored messages), exactly as a USB modem does when a program closes its
port; output nobody is connected for is lost, as on a UART with no one listening. ``close()`` is
the unplug: the listening socket and the client go, and the client's next read fails.

In RFC 2217 mode pyserial's server side (``serial.rfc2217.PortManager``) sits in front of the
modem: it answers the Telnet / COM-PORT-OPTION negotiation and the client's line settings, and
strips the protocol from the byte stream; the modem's output has its 0xFF bytes doubled.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable

from serial import rfc2217

from modem.sim.line import Line

log = logging.getLogger(__name__)

IAC = b"\xff"


def split_address(text: str) -> tuple[str, int]:
    """``"127.0.0.1:0"`` -> ("127.0.0.1", 0); ValueError in plain words otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT (e.g. 127.0.0.1:0), got {text!r}")
    return host.strip("[]"), int(port)


class LineSettings:
    """What an RFC 2217 client may ask about or set on the "serial port": a modem does not care
    about the baud rate it is told (the pacing is the virtual modem's own), so values are kept and
    reported back. The modem raises CTS and DSR (it is there and ready) and no carrier."""

    def __init__(self, line: TcpPort) -> None:
        self._line = line
        self.baudrate = 115200
        self.bytesize = 8
        self.parity = "N"
        self.stopbits = 1
        self.xonxoff = False
        self.rtscts = False
        self.dtr = True
        self.rts = True
        self.break_condition = False
        self.cts = True
        self.dsr = True
        self.ri = False
        self.cd = False

    def reset_input_buffer(self) -> None:
        """Nothing is buffered on the way in: bytes go to the modem as they arrive."""

    def reset_output_buffer(self) -> None:
        self._line.discard_output()


class _Negotiation:
    """The ``connection`` PortManager writes Telnet answers to: straight into the output queue."""

    def __init__(self, line: TcpPort) -> None:
        self._line = line

    def write(self, data: bytes) -> None:
        self._line.queue_raw(data)


class TcpPort(Line):
    """A listening socket with at most one client; the modem's bytes go to that client."""

    def __init__(
        self,
        on_data: Callable[[bytes], None],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        baud: int | None = None,
        rfc2217_mode: bool = False,
        on_client: Callable[[bool], None] | None = None,
    ) -> None:
        super().__init__(on_data, baud=baud)
        self.rfc2217 = rfc2217_mode
        self._on_client = on_client
        self._listener = socket.create_server((host, port))
        self._listener.setblocking(False)
        bound_host, bound_port = self._listener.getsockname()[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        scheme = "rfc2217" if rfc2217_mode else "socket"
        self.device = f"{scheme}://{self.host}:{self.port}"
        self._client: socket.socket | None = None
        self._client_lock = threading.Lock()
        self._manager: rfc2217.PortManager | None = None
        self.settings = LineSettings(self)
        self._start(f"sim-tcp{self.port}")

    # ------------------------------------------------------------------ clients
    def _read_loop(self) -> None:
        while not self._closed.is_set():
            client = self._client
            watch: list[socket.socket] = [self._listener, self._wake_r]
            if client is not None:
                watch.append(client)
            try:
                ready, _, _ = select.select(watch, [], [])
            except (OSError, ValueError):  # the client was dropped by the writer meanwhile
                if self._closed.is_set():
                    return
                continue
            if self._wake_r in ready:
                self._woken()
            if self._closed.is_set():
                return
            # the old client's goodbye first: a reconnecting client closes, then connects
            if client is not None and client in ready:
                self._read_client(client)
            if self._listener in ready and not self._closed.is_set():
                self._accept()

    def _read_client(self, client: socket.socket) -> None:
        try:
            data = client.recv(4096)
        except BlockingIOError:
            return
        except OSError as exc:
            log.info("client connection failed: %s", exc)
            data = b""
        if not data:
            self._drop(client)
            return
        manager = self._manager
        if manager is not None:
            data = b"".join(manager.filter(data))
        if data:
            self._deliver(data)

    def _accept(self) -> None:
        try:
            conn, addr = self._listener.accept()
        except OSError:
            return
        if self._client is not None:
            log.info("turned away %s: a client is already connected", addr)
            with contextlib.suppress(OSError):
                conn.close()
            return
        conn.setblocking(False)
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.discard_output()
        with self._client_lock:
            self._client = conn
            self._stalled = False
        if self.rfc2217:
            self._manager = rfc2217.PortManager(self.settings, _Negotiation(self))
        log.info("client %s connected to %s", addr, self.device)
        if self._on_client is not None:
            self._on_client(True)

    def _drop(self, client: socket.socket) -> None:
        with self._client_lock:
            if self._client is not client:
                return
            self._client = None
            self._manager = None
        self.discard_output()
        with contextlib.suppress(OSError):
            client.close()
        log.info("client left %s", self.device)
        self._wake()  # the reader may be waiting on the socket just closed
        if self._on_client is not None and not self._closed.is_set():
            self._on_client(False)

    # ------------------------------------------------------------------ output
    def write(self, data: bytes) -> bool:
        """Queue the modem's bytes for the client (0xFF doubled in RFC 2217 mode)."""
        if self.rfc2217:
            data = data.replace(IAC, IAC + IAC)
        return super().write(data)

    def queue_raw(self, data: bytes) -> None:
        """Protocol bytes (Telnet negotiation) that must not be escaped."""
        super().write(data)

    def _send_some(self, view: memoryview) -> int:
        client = self._client
        if client is None:
            return len(view)  # nobody connected: the bytes go nowhere
        return client.send(view)

    def _wait_writable(self, timeout: float) -> None:
        client = self._client
        if client is None:
            return
        with contextlib.suppress(OSError, ValueError):
            select.select([], [client], [], timeout)

    def _write_failed(self) -> None:
        client = self._client
        if client is not None:
            self._drop(client)

    def _release(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        for sock in (client, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
