"""Bulk jobs (desk.store.bulk) run by the core thread, one short step per turn of its loop.

An appointment import of 100,000 rows, an erasure or a retention run holds the write lock for
one step at a time (about 50-100 ms); between two steps the core stores what arrived (incoming
texts first: the loop handles its queue before the next step) and other processes get their
turn. ``Engine.run_job(job)`` queues one; its Future resolves with ``job.result()`` (or the
step's exception; a cancelled job resolves with what it did so far). Progress goes to
subscribers as JobProgress (at most every PROGRESS_EVERY seconds, and at the end) and to the busy
note other processes read (desk.engine.busy_note). Jobs run one after the other, never while
the database cannot be written (desk.engine.storage_guard): a step then waits for the retry.

A mixin of desk.engine.core_loop.Core (core thread only).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from desk.base import events as ev
from desk.base.paths import Profile
from desk.engine import busy_note
from desk.store.bulk import BulkJob, JobState

log = logging.getLogger("desk.engine.api")

PROGRESS_EVERY = 0.5


class JobRunner:
    # Provided by Core.
    profile: Profile | None

    def emit(self, event: ev.DeskEvent) -> None: ...

    def _init_jobs(self) -> None:
        self._jobs: deque[tuple[BulkJob[Any], Future[Any]]] = deque()
        self._job_said = 0.0
        self._note: busy_note.Writer | None = None

    def add_job(self, job: BulkJob[Any], future: Future[Any]) -> None:
        """On the core thread (through a Call): queue ``job``; ``future`` gets its result."""
        if future.set_running_or_notify_cancel():
            self._jobs.append((job, future))

    @property
    def jobs_waiting(self) -> bool:
        return bool(self._jobs)

    def step_job(self) -> None:
        """One step of the first job (outside any transaction: a step is its own)."""
        if not self._jobs:
            return
        job, future = self._jobs[0]
        try:
            more = job.step()
        except Exception as exc:
            self._jobs.popleft()
            log.error("%s stopped: %s", job.description, exc)
            self._progress(job, force=True)
            self._finish_note()
            future.set_exception(exc)
            return
        self._progress(job, force=not more)
        if more:
            return
        self._jobs.popleft()
        self._finish_note()
        if job.state is JobState.CANCELLED:
            log.info("%s", job.status.words())
        else:
            log.info("%s: done in %d steps (longest %.0f ms)", job.description, job.times.count,
                     job.times.longest * 1000)  # fmt: skip
        future.set_result(job.result())

    def cancel_jobs(self) -> None:
        """Stopping: every job still queued is cancelled before its next step (what earlier
        steps committed stays; each job says what that means)."""
        while self._jobs:
            job, future = self._jobs.popleft()
            job.cancel()
            try:
                job.step()  # marks it cancelled and runs its hook; no transaction is opened
            except Exception:
                log.debug("cancelling %s failed", job.description, exc_info=True)
            if not future.done():
                future.set_result(job.result())
        self._finish_note()

    def _progress(self, job: BulkJob[Any], *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._job_said < PROGRESS_EVERY:
            return
        self._job_said = now
        status = job.status
        self.emit(ev.JobProgress(status.description, status.percent, status.state.value,
                                 status.words()))  # fmt: skip
        if self.profile is not None:
            if self._note is None:
                self._note = busy_note.Writer(Path(self.profile.data_dir))
            self._note.say(status.words(), force=force)

    def _finish_note(self) -> None:
        if self._note is not None:
            self._note.clear()
