"""What the two HTTP virtual devices (the HiLink stick, the Android gateway) share: a threaded
server on 127.0.0.1 that knows its open connections (so "unreachable" really cuts keep-alive
ones) and stays quiet when a client hangs up mid-answer (a killed ``textdesk serve``), and the
device object's life: ``start() -> url``, ``url``, ``port``, events recorded and passed on.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from modem.sim.event_log import Event, EventLog

log = logging.getLogger(__name__)


class DeviceServer(ThreadingHTTPServer):
    """``lock`` is the device's own (it guards ``open_sockets`` too)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        lock: threading.RLock | threading.Lock,
    ) -> None:
        self.lock = lock
        self.open_sockets: set[socket.socket] = set()
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            log.debug("client %s went away mid-request", client_address)
            return
        super().handle_error(request, client_address)

    def cut_all(self) -> None:
        with self.lock:
            sockets = list(self.open_sockets)
        for sock in sockets:  # keep-alive connections would go on being served
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TrackedHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive, as real devices), each connection known to its server."""

    protocol_version = "HTTP/1.1"
    server: DeviceServer

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.lock:
                self.server.open_sockets.discard(self.connection)


class HttpDevice(EventLog):
    """A virtual HTTP device in this process. Subclasses give ``_make_server(address)``."""

    thread_name = "http-sim"

    def __init__(
        self, *, on_event: Callable[[Event], None] | None = None, record: bool = True
    ) -> None:
        super().__init__(record=record)
        self._on_event = on_event
        self._server: DeviceServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def _emit(self, event: Event) -> None:
        self._record(event)
        if self._on_event is not None:
            self._on_event(event)

    def _make_server(self, address: tuple[str, int]) -> DeviceServer:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def serving(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        self._server = self._make_server(("127.0.0.1", self.port))
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self.url

    def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.cut_all()
        if self._thread is not None:
            self._thread.join(5)
