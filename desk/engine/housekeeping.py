"""The core thread's housekeeping: retention as a bulk job, the daily backup on its own thread, and
the shop's time zone, said once when it cannot be found.

A mixin of desk.engine.core_loop.Core (core thread only; see there for when each runs).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from desk.base import events as ev
from desk.base.clock import Clock
from desk.base.paths import Profile
from desk.compliance import retention
from desk.data import backup
from desk.store.bulk import BulkJob
from desk.store.settings import Settings, ZoneUnknown

log = logging.getLogger("desk.engine.api")

RETENTION_EVERY = 6 * 3600.0
BACKUP_EVERY = 3600.0  # how often to ask auto_backup; it writes at most one a day (UTC)
BACKUP_KEEP = 14
BACKUP_JOIN_TIMEOUT = 30.0


class Housekeeping:
    # Provided by Core.
    settings: Settings
    clock: Clock
    profile: Profile | None
    stopping: bool

    if TYPE_CHECKING:  # provided by Core and its other mixins (no stubs that could shadow them)

        def emit(self, event: ev.DeskEvent) -> None: ...
        def add_job(self, job: BulkJob[Any], future: Future[Any]) -> None: ...
        def put(self, item: Any) -> None: ...
        def _call_emit(self, event: ev.DeskEvent) -> Any: ...

    def _init_housekeeping(self) -> None:
        self._next_retention = 0.0
        self._retention_running = False
        self._next_backup = 0.0
        self._backup_thread: threading.Thread | None = None
        self._zone_told: str | None = None  # the ZoneUnknown sentence said, until a zone is found

    # --- the time zone ------------------------------------------------------------------------

    def _check_zone(self) -> None:
        """Say once, in plain words, when the shop's time zone cannot be found (quiet hours and
        reminder times need it); say when it is found again."""
        try:
            zone = self.settings.shop_zone()
        except ZoneUnknown as exc:
            self._tell_zone(exc)
            return
        if self._zone_told is not None:
            self._zone_told = None
            log.info("the shop's time zone is %s: reminders and quiet hours work again", zone)

    def _tell_zone(self, exc: ZoneUnknown) -> None:
        text = str(exc)
        if text == self._zone_told:
            log.debug("still no time zone: %s", text)
            return
        self._zone_told = text
        log.debug("no time zone: %s", text)  # subscribers log the Problem (textdesk serve does)
        self.emit(ev.Problem(text, "error"))

    def _maybe_retention(self) -> None:
        """Every RETENTION_EVERY seconds, queue a RetentionJob (desk.compliance.retention: short
        steps, incoming texts stored in between) for the retention_days setting (0 is off);
        one notice for the whole run, not one per step. Outside any transaction."""
        now = time.monotonic()
        if self.stopping or now < self._next_retention or self._retention_running:
            return
        self._next_retention = now + RETENTION_EVERY
        try:
            days = int(self.settings.get("retention_days"))
            job = retention.RetentionJob(days, clock=self.clock) if days > 0 else None
        except Exception as exc:
            log.exception("could not start deleting old messages")
            self.emit(ev.Problem(f"Old messages could not be deleted: {exc}", "error"))
            return
        log.debug("retention: %s messages past %d days", job.total if job else 0, days)
        if job is None or job.total == 0:
            return
        done: Future[int] = Future()
        self._retention_running = True

        def finished(f: Future[int]) -> None:
            self._retention_running = False
            exc = f.exception()
            if exc is not None:
                self.emit(ev.Problem(f"Old messages could not be deleted: {exc}", "error"))
                return
            total = f.result()
            if total:
                log.info("retention: %d old messages deleted", total)
                self.emit(
                    ev.Problem(f"{total} messages past the retention period were deleted.", "info")
                )

        done.add_done_callback(finished)
        self.add_job(job, done)

    # --- the daily backup ---------------------------------------------------------------------

    def _maybe_backup(self) -> None:
        """Start the automatic backup on its own thread (it writes at most one a day)."""
        now = time.monotonic()
        if self.profile is None or self.stopping or now < self._next_backup:
            return
        if self._backup_thread is not None and self._backup_thread.is_alive():
            return
        self._next_backup = now + BACKUP_EVERY
        thread = threading.Thread(target=self._backup, name="desk-backup", daemon=True)
        self._backup_thread = thread
        thread.start()

    def _backup(self) -> None:
        """On the backup thread: its own connection; events go back through the core's queue."""
        assert self.profile is not None
        try:
            made = backup.auto_backup(self.profile, keep=BACKUP_KEEP, clock=self.clock)
        except Exception as exc:
            if isinstance(exc, backup.BackupError):  # said in plain words: no traceback
                log.debug("the automatic backup was not written", exc_info=True)
            else:
                log.exception("the automatic backup failed")
            problem = ev.Problem(f"The daily backup could not be written: {exc}", "error")
            self.put(self._call_emit(problem))
            return
        if made is None:
            log.debug("today's automatic backup exists already")

    def _join_backup(self) -> None:
        thread = self._backup_thread
        if thread is not None and thread.is_alive():
            thread.join(BACKUP_JOIN_TIMEOUT)
            if thread.is_alive():
                log.error("the automatic backup did not finish within %.0f s", BACKUP_JOIN_TIMEOUT)
