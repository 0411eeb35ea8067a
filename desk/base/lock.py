"""Only one engine may own a profile (its database writer and its modem) at a time.

An OS file lock on ``profile.lock_path`` (fcntl.flock on POSIX, msvcrt.locking on Windows) is the
truth: the OS drops it when the process dies, even by SIGKILL, so a crash never leaves a stale lock.
Next to it a small JSON note (pid, host, started, mode) lets a second start say who holds it:
"TextDesk is already running for this profile (pid 1234, the window, since 09:12)".
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

MODES = {
    "window": "the window",
    "serve": "textdesk serve",
    "bench": "a benchmark",
    "test": "a test",
}


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or last held) a profile's lock, from the JSON note."""

    pid: int | None = None
    host: str | None = None
    started: datetime | None = None  # aware UTC
    mode: str | None = None

    def describe(self) -> str:
        """ "pid 1234, the window, since 09:12" (local time; the date too when not today)."""
        bits: list[str] = []
        if self.pid is not None:
            bits.append(f"pid {self.pid}")
        if self.host and self.host != socket.gethostname():
            bits.append(f"on {self.host}")
        if self.mode:
            bits.append(MODES.get(self.mode, self.mode))
        if self.started is not None:
            local = self.started.astimezone()
            today = datetime.now(local.tzinfo).date()
            when = (
                local.strftime("%H:%M")
                if local.date() == today
                else local.strftime("%Y-%m-%d %H:%M")
            )
            bits.append(f"since {when}")
        return ", ".join(bits) if bits else "details unknown"

    @classmethod
    def from_json(cls, text: str) -> LockInfo:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("lock note is not an object")
        started = data.get("started")
        when = None
        if isinstance(started, str):
            when = datetime.fromisoformat(started)
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        pid = data.get("pid")
        return cls(
            pid=int(pid) if isinstance(pid, int | str) and str(pid).isdigit() else None,
            host=data.get("host") if isinstance(data.get("host"), str) else None,
            started=when,
            mode=data.get("mode") if isinstance(data.get("mode"), str) else None,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "host": self.host,
                "started": self.started.isoformat() if self.started else None,
                "mode": self.mode,
            }
        )


class ProfileLocked(RuntimeError):
    """Another engine owns this profile. ``str()`` is the sentence for staff."""

    def __init__(self, path: Path, info: LockInfo | None) -> None:
        self.path = path
        self.info = info
        detail = info.describe() if info is not None else "details unknown"
        super().__init__(f"TextDesk is already running for this profile ({detail}).")


def note_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".json")


def read_note(lock_path: Path) -> LockInfo | None:
    """The note next to the lock, or None when missing or unreadable."""
    try:
        return LockInfo.from_json(note_path(lock_path).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError (EWOULDBLOCK), or EACCES on some systems
        return False
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass


class ProfileLock:
    """``acquire()`` raises ProfileLocked; ``release()`` is idempotent. Also a context manager."""

    def __init__(self, lock_path: Path, *, mode: str = "window") -> None:
        self.path = Path(lock_path)
        self.mode = mode
        self._handle: IO[bytes] | None = None
        self.info: LockInfo | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> LockInfo:
        if self._handle is not None and self.info is not None:  # set together: already held
            return self.info
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+b", buffering=0)
        if not _try_lock(handle):
            handle.close()
            raise ProfileLocked(self.path, read_note(self.path))
        self._handle = handle
        self.info = LockInfo(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.now(UTC).replace(microsecond=0),
            mode=self.mode,
        )
        self._write_note(self.info)
        return self.info

    def _write_note(self, info: LockInfo) -> None:
        target = note_path(self.path)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(info.to_json(), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            # The note is a courtesy; the lock itself is what protects the profile.
            try:
                tmp.unlink()
            except OSError:
                pass

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            note_path(self.path).unlink()
        except OSError:
            pass
        _unlock(handle)
        handle.close()

    def __enter__(self) -> ProfileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(lock_path: Path) -> LockInfo | None:
    """Who holds the lock right now, or None when nobody does (probes with a non-blocking lock)."""
    if not Path(lock_path).exists():
        return None
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except OSError:
        return read_note(Path(lock_path))
    handle = os.fdopen(fd, "r+b", buffering=0)
    try:
        if _try_lock(handle):
            _unlock(handle)
            return None
        return read_note(Path(lock_path)) or LockInfo()
    finally:
        handle.close()
