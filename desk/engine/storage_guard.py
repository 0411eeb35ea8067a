"""The core's answer to a database that cannot be written: hold, retry with backoff, say it once.

A mixin of desk.engine.core_loop.Core (core thread only). When a batch fails to commit (the disk
is full, another program holds the write lock past the busy timeout, an I/O error):

- the connection is put back in a clean state: SQLite may have rolled the transaction back by
  itself (a COMMIT on a full disk does), or may still hold it open; either way it is rolled back
  and peewee's transaction stack emptied, so nothing after it runs in autocommit by accident and
  no "cannot rollback - no transaction is active" follows;
- the batch's modem events are *held* and handled again, in order and first, by the next batch:
  an incoming text keeps its token, so it is acknowledged (and only then deleted from the SIM)
  once it is stored; a part sent or failed is recorded late rather than never. Calls fail with
  ``SaveFailed`` (the caller is told in plain words; nothing of theirs was saved);
- the next attempt waits RETRY_FIRST seconds, doubling up to RETRY_MAX (a call from staff tries at
  once); when the trouble goes away everything held is stored within RETRY_MAX seconds; beyond
  HOLD_LIMIT held texts the newest are given back to the modem (``release_incoming``: they stay
  on the SIM and are offered again later);
- StorageTrouble is emitted and logged once per episode (again only if the reason changes),
  StorageRecovered once it is over.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from concurrent.futures import Future
from contextlib import suppress
from typing import Any

from desk.base import events as ev
from desk.engine import db_trouble
from desk.engine.db_trouble import Trouble
from desk.store.db import db
from modem import events as me

log = logging.getLogger("desk.engine.api")

RETRY_FIRST = 0.5
RETRY_MAX = 4.0
HOLD_LIMIT = 1000  # held incoming texts beyond this are given back to the modem (release_incoming)


class SaveFailed(RuntimeError):
    """A call's work was not saved: the database could not be written (``trouble`` says why)."""

    def __init__(self, trouble: Trouble) -> None:
        super().__init__(trouble.text)
        self.trouble = trouble


class StorageGuard:
    def emit(self, event: ev.DeskEvent) -> None: ...

    def _init_storage_guard(self) -> None:
        self._held: list[Any] = []  # modem events of failed batches, handled first next time
        self.trouble: Trouble | None = None
        self._retry_at: float | None = None
        self._retry_delay = RETRY_FIRST

    # --- what the loop asks -------------------------------------------------------------------

    def waiting_to_retry(self, now: float) -> bool:
        """True while in trouble and the next attempt is not due yet."""
        return self._retry_at is not None and now < self._retry_at

    def retry_wait(self, now: float, default: float) -> float:
        if self._retry_at is None:
            return default
        return max(0.0, min(default, self._retry_at - now))

    def hold(self, items: list[Any]) -> None:
        """Keep modem events for the next attempt; of several status changes only the newest."""
        for item in items:
            if isinstance(item, me.StatusChanged):
                self._held = [h for h in self._held if not isinstance(h, me.StatusChanged)]
            self._held.append(item)

    def trim_held(self) -> list[str]:
        """Tokens of the newest held incoming texts and reports beyond HOLD_LIMIT, removed from
        the held list: the caller gives them back to the modem, which keeps them on the SIM and
        offers them again later (memory stays bounded through a long outage)."""
        tokened = [h for h in self._held if isinstance(h, me.IncomingSms | me.DeliveryReport)]
        extra = tokened[HOLD_LIMIT:]
        if not extra:
            return []
        drop = {id(h) for h in extra}
        self._held = [h for h in self._held if id(h) not in drop]
        return [h.token for h in extra if h.token is not None]

    def take_held(self) -> list[Any]:
        held, self._held = self._held, []
        return held

    @property
    def held_count(self) -> int:
        return len(self._held)

    # --- after a batch ------------------------------------------------------------------------

    def batch_failed(
        self, events: list[Any], futures: list[Future[Any]], exc: BaseException
    ) -> SaveFailed:
        """A batch did not commit: clean the connection, hold its modem ``events`` (ahead of
        anything held already), fail the ``futures`` of its calls, schedule the retry, say so
        once. Returns the SaveFailed the calls got (what went wrong, in plain words)."""
        reset_connection()
        trouble = db_trouble.classify(exc) or Trouble(
            db_trouble.FAILED,
            db_trouble.FAILED_TEXT.format(detail=" ".join(str(exc).split()) or type(exc).__name__),
        )
        if trouble.reason == db_trouble.FAILED:
            close_connection()  # an I/O error may have left it unusable: the retry reconnects
        failed = SaveFailed(trouble)
        failed.__cause__ = exc
        for future in futures:
            if not future.done():
                future.set_exception(failed)
        self._held = [*events, *self._held]
        now = time.monotonic()
        if self.trouble is None:
            self._retry_delay = RETRY_FIRST
        else:
            self._retry_delay = min(RETRY_MAX, self._retry_delay * 2)
        self._retry_at = now + self._retry_delay
        if self.trouble is None or self.trouble.reason != trouble.reason:
            log.error("%s", trouble.text)
            log.debug("the database write failed", exc_info=exc)
            self.trouble = trouble
            self.emit(ev.StorageTrouble(trouble.reason, trouble.text))
        else:
            log.debug("the database still cannot be written (%s); %d event(s) held, next try "
                      "in %.1f s", trouble.reason, len(self._held), self._retry_delay)  # fmt: skip
        return failed

    def batch_committed(self) -> None:
        if self.trouble is None:
            return
        self.trouble = None
        self._retry_at = None
        self._retry_delay = RETRY_FIRST
        recovered = ev.StorageRecovered()
        log.info("%s", recovered.text)
        self.emit(recovered)


def in_transaction() -> bool:
    """Whether this thread's SQLite connection is inside a transaction right now (SQLite's own
    view: after a failed COMMIT it may have rolled back while peewee still thinks otherwise)."""
    if db.obj is None or db.is_closed():
        return False
    try:
        return bool(db.connection().in_transaction)
    except (sqlite3.Error, Exception):
        return False


def reset_connection() -> None:
    """Leave no transaction open, in SQLite or in peewee's bookkeeping."""
    if db.obj is None:
        return
    while db.transaction_depth():
        db.pop_transaction()
    if in_transaction():
        with suppress(Exception):
            db.connection().execute("ROLLBACK")


def close_connection() -> None:
    with suppress(Exception):
        if db.obj is not None and not db.is_closed():
            db.close()
