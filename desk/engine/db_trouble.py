"""What a failed database write means, in a shop's words: disk full, busy, or broken.

The engine's core and every ``textdesk`` command ask ``classify(exc)``. SQLite's own error (with
its ``sqlite_errorname``) is often not the exception raised: when a COMMIT fails on a full disk
SQLite has already rolled the transaction back, and peewee's rollback after it fails again with
"cannot rollback - no transaction is active", the real cause two links down the exception chain.
``classify`` walks the whole chain (``__cause__``, ``__context__``) for the first error it knows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

__all__ = ["BUSY", "DISK_FULL", "FAILED", "Trouble", "classify", "is_storage_error"]

DISK_FULL = "disk_full"
BUSY = "busy"
FAILED = "failed"

DISK_FULL_TEXT = (
    "The disk is full: new texts stay on the SIM until there is space; free some space."
)
BUSY_TEXT = (
    "The database is busy (another TextDesk program is writing to it): new texts stay on the "
    "SIM and are stored as soon as it is free."
)
FAILED_TEXT = (
    "TextDesk cannot save to its database ({detail}): new texts stay on the SIM until it can."
)

_FULL_NAMES = {"SQLITE_FULL", "SQLITE_IOERR_SHMSIZE"}  # SHMSIZE: the -shm file cannot grow
NEARLY_FULL = 256 * 1024  # an I/O error with less free space than this is a full disk
_BUSY_NAMES = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY"}
_STORAGE_NAMES = {"SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_CORRUPT",
                  "SQLITE_NOTADB", "SQLITE_NOMEM", "SQLITE_PROTOCOL"}  # fmt: skip


@dataclass(frozen=True)
class Trouble:
    """Why a write failed: ``reason`` is DISK_FULL, BUSY or FAILED; ``text`` is for the shop."""

    reason: str
    text: str


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        item = todo.pop(0)
        if any(item is s for s in seen):
            continue
        seen.append(item)
        for nxt in (item.__cause__, item.__context__):
            if nxt is not None:
                todo.append(nxt)
        todo.extend(a for a in item.args if isinstance(a, BaseException))
    return seen


def _name(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", None)
    return name if isinstance(name, str) else ""


def _kind(exc: BaseException) -> str | None:
    name = _name(exc)
    text = str(exc).lower()
    if name in _FULL_NAMES or "disk is full" in text or "no space left" in text:
        return DISK_FULL
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return DISK_FULL
    if name in _BUSY_NAMES or name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return BUSY
    if "database is locked" in text or "database table is locked" in text:
        return BUSY
    if name in _STORAGE_NAMES or name.startswith("SQLITE_IOERR"):
        return FAILED
    return None


def _open_db_dir() -> Path | None:
    from desk.store.db import db  # the open database, if any (not needed to classify)

    name = getattr(db.obj, "database", None)
    return Path(name).parent if isinstance(name, str) and name != ":memory:" else None


def _nearly_full(where: Path | None) -> bool:
    if where is None:
        return False
    try:
        st = os.statvfs(where) if hasattr(os, "statvfs") else None
    except OSError:
        return False
    if st is None:  # Windows: shutil's disk_usage works there
        import shutil

        try:
            return shutil.disk_usage(where).free < NEARLY_FULL
        except OSError:
            return False
    return st.f_bavail * st.f_frsize < NEARLY_FULL


def classify(exc: BaseException, where: Path | None = None) -> Trouble | None:
    """The storage trouble behind ``exc`` (anywhere in its chain), or None when it is not a
    database problem (a bug, bad input: those are the caller's to report). An I/O error while
    the disk holding the database (``where``, default: the open database's folder) has next to
    no free space is a full disk: SQLite reports some of those (a write, the -shm file) so."""
    chain = _chain(exc)
    for item in chain:
        kind = _kind(item)
        if kind == DISK_FULL:
            return Trouble(DISK_FULL, DISK_FULL_TEXT)
    if any(_kind(item) == FAILED for item in chain) and _nearly_full(where or _open_db_dir()):
        return Trouble(DISK_FULL, DISK_FULL_TEXT)
    for item in chain:
        kind = _kind(item)
        if kind == BUSY:
            return Trouble(BUSY, BUSY_TEXT)
    for item in chain:
        if _kind(item) == FAILED:
            return Trouble(FAILED, FAILED_TEXT.format(detail=_detail(item)))
    for item in chain:  # any other error of the database itself (not of our SQL)
        if isinstance(item, pw.OperationalError | pw.InterfaceError | sqlite3.OperationalError):
            return Trouble(FAILED, FAILED_TEXT.format(detail=_detail(_deepest(chain))))
    return None


def _deepest(chain: list[BaseException]) -> BaseException:
    """The first database error raised (the last in the chain): the cause, not its echoes."""
    errors = [e for e in chain if isinstance(e, sqlite3.Error | pw.PeeweeException)]
    return errors[-1] if errors else chain[0]


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def is_storage_error(exc: BaseException) -> bool:
    return classify(exc) is not None


def command_words(exc: BaseException, where: Path | None = None) -> str:
    """One line for a ``textdesk`` command whose database work failed (nothing it did was
    saved: its transaction was rolled back)."""
    trouble = classify(exc, where)
    if trouble is None:
        return f"TextDesk's database refused this ({_detail(_deepest(_chain(exc)))}); nothing was changed."
    if trouble.reason == DISK_FULL:
        return "The disk is full, so nothing was saved; free some space and try again."
    if trouble.reason == BUSY:
        return (
            "TextDesk's database stayed busy (another TextDesk program is writing to it); "
            "nothing was changed. Try again in a moment."
        )
    return f"TextDesk could not save to its database ({_detail(_deepest(_chain(exc)))}); nothing was changed."
