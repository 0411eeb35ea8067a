"""Logging to the user log dir (rotating), optionally also to stdout (``textdesk serve``).

When the log file cannot be written (the disk is full, the folder went away), TextDesk says so
once, in one plain line on stderr and as ``trouble()`` for the window to show, instead of the
standard library's traceback for every record (``logging.Handler.handleError``); the records
meanwhile are dropped. Once a record is written again it says that once too, and ``trouble()`` is
None again. ``watch(fn)`` calls ``fn(text | None)`` at each of those changes (on the thread that
logged: it must not block or log).
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from desk.base.paths import Profile

FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
# Names of the handlers ``configure`` adds, so that configuring again replaces them.
_FILE, _STDOUT = "textdesk.file", "textdesk.stdout"

_watchers: list[Callable[[str | None], None]] = []
_state_lock = threading.Lock()
_trouble: str | None = None


def trouble() -> str | None:
    """Why the log file cannot be written now, in plain words (None: it can)."""
    return _trouble


def watch(fn: Callable[[str | None], None]) -> Callable[[], None]:
    """Call ``fn(trouble())`` whenever log writing fails or works again; returns unwatch."""
    _watchers.append(fn)
    return lambda: _watchers.remove(fn) if fn in _watchers else None


def _words(path: str, exc: BaseException | None) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"TextDesk cannot write its log file {path}: the disk is full. Texts are not "
            "affected by this; log lines are left out until there is space again."
        )
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or "unknown error"
    return (
        f"TextDesk cannot write its log file {path} ({reason}); log lines are left out until it "
        "can again."
    )


def _say(text: str) -> None:
    stream: TextIO | None = sys.stderr
    if stream is None:  # a windowed build has no stderr: the window shows trouble()
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except Exception:  # stderr gone as well: nothing more to tell anyone here
        pass


def _change(text: str | None) -> None:
    global _trouble
    with _state_lock:
        if text == _trouble:
            return
        before, _trouble = _trouble, text
    _say(text if text is not None else f"TextDesk can write its log file again ({before}).")
    for fn in list(_watchers):
        try:
            fn(text)
        except Exception:  # a watcher must not break logging (and may not log: we are in it)
            pass


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler that reports a failing disk once, not a traceback per record."""

    def emit(self, record: logging.LogRecord) -> None:
        self._failed = False
        super().emit(record)  # calls handleError on failure
        if not self._failed and _trouble is not None:
            _change(None)

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed = True
        _change(_words(self.baseFilename, sys.exc_info()[1]))


def configure(profile: Profile, *, stdout: bool = False, level: int = logging.INFO) -> None:
    profile.log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if handler.name in (_FILE, _STDOUT):
            root.removeHandler(handler)
            handler.close()
    file_handler = QuietFileHandler(
        profile.log_path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler.name = _FILE
    root.addHandler(file_handler)
    # A windowed (frozen, no console) build has no stderr/stdout at all.
    if stdout and sys.stdout is not None:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
        out.name = _STDOUT
        root.addHandler(out)
