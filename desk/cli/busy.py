"""A ``textdesk`` command waits for the database's write lock, saying why, instead of failing.

Another process may hold the write lock for a while (an import in another window, a migration,
``textdesk serve`` busy for a moment). SQLite's busy timeout (15 s) would then end a command with
"database is locked". ``watch(profile)`` makes every top-level transaction of this command wait
instead: BEGIN is tried in short attempts (Ctrl-C stays prompt), after SAY_AFTER seconds one line
on stderr says who is busy ("TextDesk is busy (importing appointments (41%)); waiting…", from the
note bulk work leaves: desk.engine.busy_note), and only after WAIT_LIMIT seconds the command gives
up with one plain line. Nothing is written before the lock is held, so giving up loses nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import peewee as pw

from desk.base.paths import Profile
from desk.cli.output import CliError
from desk.engine import busy_note, db_trouble
from desk.store.db import PRAGMAS, db

__all__ = ["busy_words", "watch"]

ATTEMPT_MS = 250  # one BEGIN attempt waits this long for the lock
SAY_AFTER = 1.0
WAIT_LIMIT = 600.0


def busy_words(profile: Profile) -> str:
    note = busy_note.read(profile.data_dir)
    return note or "another TextDesk program is writing to the database"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def watch(
    profile: Profile,
    *,
    say: Callable[[str], None] = _say,
    wait_limit: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Make this process's database begin its transactions by waiting for the write lock (see
    the module doc). Call once the database is open (desk.cli.profiles.open_profile does)."""
    database = db.obj
    if database is None or getattr(database, "_textdesk_watched", False):
        return
    original: Callable[..., Any] = database.begin
    normal_ms = int(str(PRAGMAS.get("busy_timeout", 15000)))
    limit = WAIT_LIMIT if wait_limit is None else wait_limit

    def begin(*args: Any, **kwargs: Any) -> Any:
        started = monotonic()
        told = False
        database.execute_sql(f"PRAGMA busy_timeout = {ATTEMPT_MS}")
        try:
            while True:
                try:
                    return original(*args, **kwargs)
                except pw.OperationalError as exc:
                    trouble = db_trouble.classify(exc)
                    if trouble is None or trouble.reason != db_trouble.BUSY:
                        raise
                    waited = monotonic() - started
                    if waited >= limit:
                        raise CliError(
                            f"TextDesk was still busy after {waited / 60:.0f} minutes "
                            f"({busy_words(profile)}); nothing was changed. Try again later."
                        ) from None
                    if not told and waited >= SAY_AFTER:
                        told = True
                        say(f"TextDesk is busy ({busy_words(profile)}); waiting…")
        finally:
            database.execute_sql(f"PRAGMA busy_timeout = {normal_ms}")

    setattr(database, "begin", begin)  # noqa: B010 (an instance's own begin, this process only)
    setattr(database, "_textdesk_watched", True)  # noqa: B010
