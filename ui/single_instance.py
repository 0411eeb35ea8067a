"""One window per profile: a second launch asks the running one to come forward, then exits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket


def server_name(profile_dir: Path) -> str:
    digest = hashlib.sha1(str(profile_dir.resolve()).encode()).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"textdesk-{user}-{digest}"


def ask_running(profile_dir: Path, timeout_ms: int = 800) -> bool:
    """True if a TextDesk window for this profile answered and was asked to show itself."""
    sock = QLocalSocket()
    sock.connectToServer(server_name(profile_dir))
    if not sock.waitForConnected(timeout_ms):
        return False
    sock.write(b"show\n")
    sock.flush()
    sock.waitForBytesWritten(timeout_ms)
    ok = sock.waitForReadyRead(timeout_ms) and bytes(sock.readAll().data()).startswith(b"ok")
    sock.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    showRequested = Signal()

    def __init__(self, profile_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(profile_dir)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._connection)

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)  # a stale socket left by a crash
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()

            def read(s: QLocalSocket = sock) -> None:
                if bytes(s.readAll().data()).startswith(b"show"):
                    s.write(b"ok\n")
                    s.flush()
                    self.showRequested.emit()

            sock.readyRead.connect(read)
            sock.disconnected.connect(sock.deleteLater)
