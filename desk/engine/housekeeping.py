"""The core thread's housekeeping: retention in chunks, the daily backup on its own thread, and
the shop's time zone, said once when it cannot be found.

A mixin of desk.engine.core_loop.Core (core thread only; see there for when each runs).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from desk.base import events as ev
from desk.base.clock import Clock
from desk.base.paths import Profile
from desk.compliance import retention
from desk.data import backup
from desk.store.settings import Settings, ZoneUnknown

log = logging.getLogger("desk.engine.api")

RETENTION_CHUNK = 5000  # messages deleted per core-loop turn (~0.5 s on a large database)
BACKUP_EVERY = 3600.0  # how often to ask auto_backup; it writes at most one a day (UTC)
BACKUP_KEEP = 14
BACKUP_JOIN_TIMEOUT = 30.0


class Housekeeping:
    # Provided by Core.
    settings: Settings
    clock: Clock
    profile: Profile | None
    stopping: bool

    def emit(self, event: ev.DeskEvent) -> None: ...
    def put(self, item: Any) -> None: ...
    def _call_emit(self, event: ev.DeskEvent) -> Any: ...

    def _init_housekeeping(self) -> None:
        self._retention_more = False  # the last chunk was full: carry on next turn
        self._retention_total = 0
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

    def _retention(self) -> None:
        """Delete messages past the retention period (the retention_days setting; 0 is off), at
        most RETENTION_CHUNK in this turn; a full chunk means more wait for the next turn."""
        self._retention_more = False
        chunk = RETENTION_CHUNK
        deleted = retention.apply_from_settings(
            settings=self.settings, clock=self.clock, limit=chunk
        )
        self._retention_total += deleted
        if deleted >= chunk:
            self._retention_more = True
            log.info("retention: %d old messages deleted so far", self._retention_total)
            return
        total, self._retention_total = self._retention_total, 0
        if total:
            log.info("retention: %d old messages deleted", total)
            self.emit(
                ev.Problem(f"{total} messages past the retention period were deleted.", "info")
            )

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
