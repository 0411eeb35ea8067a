"""Bulk work cut into short transactions, with progress and cancel.

One long writer blocks everyone: SQLite has one write lock per file, so a 100,000-row import in one
transaction keeps the engine from storing incoming texts, and ``textdesk send`` from queueing, for
as long as it runs. A ``BulkJob`` is such work (importing appointments, retention, an erasure,
reminders falling due) cut into *steps*:

- each step is its own top-level transaction (``BEGIN IMMEDIATE``, as every transaction opened
  through ``desk.store.db``) and stops taking more work once its time budget (``step_seconds``,
  50 ms by default) is spent, so the write lock is held for about that long at a time;
- between two steps the lock is free: the engine stores what arrived, another process writes;
- ``status`` says what is going on in words and as a fraction ("importing appointments (41%)");
- ``cancel()`` (any thread) stops the job before its next step; what earlier steps committed stays
  committed and each job says what that means for it (an import keeps the rows already created:
  importing the file again creates only the rest).

Two ways to run one, the same steps either way:

- the engine's core thread calls ``job.step()`` between its other work (incoming texts first), one
  step per turn of its loop, until it returns False;
- a plain loop (the command line when no engine runs): ``job.run()`` steps and sleeps
  ``pause_seconds`` between steps, long enough for another process's busy handler (SQLite retries
  a locked database at most 100 ms apart) to get its write in.

A subclass implements ``advance(deadline)`` (do units of work inside the open transaction until
``monotonic() >= deadline``, at least one unit; return True when nothing is left) and ``result()``.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

import peewee as pw

from desk.store.db import db

R = TypeVar("R")

STEP_SECONDS = 0.05  # work per transaction: the write lock is held about this long
PAUSE_SECONDS = 0.05  # a plain loop's rest between steps (another process's turn)


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of a job for the window, the command line and the log."""

    description: str  # "importing appointments"
    done: int
    total: int
    state: JobState

    @property
    def fraction(self) -> float:
        """0.0 to 1.0 (1.0 once done, whatever the units said)."""
        if self.state is JobState.DONE:
            return 1.0
        if self.total <= 0:
            return 0.0
        return min(1.0, max(0.0, self.done / self.total))

    @property
    def percent(self) -> int:
        return int(self.fraction * 100)

    def words(self) -> str:
        """ "importing appointments (41%)", as the command line and the window say it."""
        if self.state is JobState.CANCELLED:
            return f"{self.description}: cancelled at {self.percent}%"
        if self.state is JobState.FAILED:
            return f"{self.description}: stopped by an error at {self.percent}%"
        return f"{self.description} ({self.percent}%)"


@dataclass
class StepTimes:
    """How long each step held the write lock (seconds): for the log and the tests."""

    count: int = 0
    total: float = 0.0
    longest: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        self.longest = max(self.longest, seconds)


class BulkJob(ABC, Generic[R]):
    """Bulk work in steps of one short transaction each (see the module doc)."""

    def __init__(
        self,
        description: str,
        total: int,
        *,
        step_seconds: float = STEP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        on_status: Callable[[JobStatus], None] | None = None,
    ) -> None:
        if step_seconds <= 0:
            raise ValueError(f"step_seconds must be positive, not {step_seconds}")
        self.description = description
        self.total = max(0, total)
        self.done = 0  # units finished, set by the subclass as it goes
        self.step_seconds = step_seconds
        self.monotonic = monotonic
        self.on_status = on_status
        self.state = JobState.PENDING
        self.times = StepTimes()
        self._cancel = threading.Event()

    # --- the subclass's part ------------------------------------------------------------------
    @abstractmethod
    def advance(self, deadline: float) -> bool:
        """Do units of work in the open transaction until ``self.monotonic() >= deadline`` (at
        least one unit, so every step makes progress); update ``self.done``; True when finished."""

    @abstractmethod
    def result(self) -> R:
        """What the job did so far (all of it once ``state`` is DONE)."""

    def cancelled(self) -> None:
        """Called once, outside any transaction, when the job stops on ``cancel()``."""

    # --- running ------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.CANCELLED, JobState.FAILED)

    @property
    def status(self) -> JobStatus:
        return JobStatus(self.description, self.done, self.total, self.state)

    def cancel(self) -> None:
        """Stop before the next step (safe from any thread); committed steps stay."""
        self._cancel.set()

    def step(self) -> bool:
        """Run one step in its own transaction. True while more steps remain.

        An exception inside a step rolls that step back, marks the job FAILED and propagates:
        bulk work never switches itself off quietly."""
        if self.finished:
            return False
        if self._cancel.is_set():
            self.state = JobState.CANCELLED
            self.cancelled()
            self._report()
            return False
        self.state = JobState.RUNNING
        started = self.monotonic()
        try:
            with db.atomic():
                finished = self.advance(started + self.step_seconds)
        except BaseException:
            self.state = JobState.FAILED
            self._report()
            raise
        finally:
            self.times.add(self.monotonic() - started)
        if finished:
            self.state = JobState.DONE
        self._report()
        return not finished

    def run(
        self,
        *,
        pause_seconds: float = PAUSE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> R:
        """Step until finished or cancelled, resting ``pause_seconds`` between steps (a plain
        loop, for the command line when no engine runs); returns ``result()``."""
        while self.step():
            if pause_seconds > 0:
                sleep(pause_seconds)
        return self.result()

    def _report(self) -> None:
        if self.on_status is not None:
            self.on_status(self.status)


def insert_rows(model: type[pw.Model], rows: Iterable[Mapping[str, object]]) -> int:
    """Insert ``rows`` (field name -> value, the same fields in every row; the others get their defaults) into ``model``'s table
    with one prepared statement (``executemany``), in the caller's transaction; returns the count.

    For bulk steps: peewee's ``insert_many`` builds its SQL value by value, which costs more than
    SQLite's work. Values go through each field's ``db_value``, as peewee stores them; triggers
    (the search index) run as for any insert."""
    rows = list(rows)
    if not rows:
        return 0
    names = list(rows[0])
    meta = model._meta
    defaults: dict[str, object] = {}
    for field in meta.sorted_fields:  # what peewee would fill in: the fields' defaults
        if field.name not in names and field.default is not None:
            defaults[field.name] = field.default() if callable(field.default) else field.default
    if defaults:
        rows = [{**row, **{k: v for k, v in defaults.items() if k not in row}} for row in rows]
        names += list(defaults)
    fields = [meta.fields[name] for name in names]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    marks = ", ".join(db.param for _ in fields)  # "?" on SQLite, "%s" on PostgreSQL
    sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({marks})'
    values = [tuple(f.db_value(row[n]) for f, n in zip(fields, names, strict=True)) for row in rows]
    cursor = db.cursor()
    cursor.executemany(sql, values)
    return len(values)


def update_rows(model: type[pw.Model], rows: Iterable[Mapping[str, object]]) -> int:
    """``UPDATE`` each of ``rows`` (field name -> value, the same fields in every row, ``id``
    among them: the row to change) with one prepared statement, in the caller's transaction."""
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    names = [name for name in rows[0] if name != "id"]
    fields = [meta.fields[name] for name in names]
    key = meta.fields["id"]
    mark = db.param  # "?" on SQLite, "%s" on PostgreSQL
    assignments = ", ".join(f'"{field.column_name}" = {mark}' for field in fields)
    sql = f'UPDATE "{meta.table_name}" SET {assignments} WHERE "{key.column_name}" = {mark}'
    values = [
        (*(f.db_value(row[n]) for f, n in zip(fields, names, strict=True)), key.db_value(row["id"]))
        for row in rows
    ]
    db.cursor().executemany(sql, values)
    return len(values)
