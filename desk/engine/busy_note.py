"""A note next to the database saying what long work is running, for other processes to show.

Bulk work (an appointment import, in steps of short transactions) writes ``busy.json`` in the
profile's data folder as it goes, at most once a second: ``{"pid": 1234, "at": <unix time>,
"words": "importing appointments (41%)"}``. A ``textdesk`` command that has to wait for the
write lock reads it to say why it waits ("TextDesk is busy (importing appointments (41%))…"). A
note not refreshed for STALE seconds belongs to work that ended or died and is ignored (no
process probing: on Windows ``os.kill(pid, 0)`` would send Ctrl-C). Best effort: a note that
cannot be written (a full disk) changes nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

NOTE = "busy.json"
STALE = 30.0
EVERY = 1.0


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / NOTE


class Writer:
    """Keeps the note of one piece of work up to date (call ``say`` as often as you like)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self._last = 0.0

    def say(self, words: str, *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last < EVERY:
            return
        self._last = now
        path = _path(self.data_dir)
        tmp = path.with_name(f".{NOTE}.{os.getpid()}")
        with contextlib.suppress(OSError):
            data = {"pid": os.getpid(), "at": now, "words": words}
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, path)

    def clear(self) -> None:
        path = _path(self.data_dir)
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("pid") == os.getpid():
                path.unlink()


def read(data_dir: Path) -> str | None:
    """What the running bulk work says about itself, or None (no note, or a stale one)."""
    try:
        data = json.loads(_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    at, words = data.get("at"), data.get("words")
    if not isinstance(at, int | float) or not isinstance(words, str):
        return None
    if abs(time.time() - at) > STALE:
        return None
    return words
