"""Which counter drives the modem: an election on the shop's PostgreSQL server (issue 15).

Every counter with a modem attached (or a network modem configured) runs a ``ModemOwnership``
thread; a counter with none never tries (``can_drive``). The thread keeps one dedicated
connection and asks for a session-level advisory lock on it (``pg_try_advisory_lock``, never a
waiting one) every ``try_every`` seconds. The winner raises the fencing generation in the one-row
``modem_owner`` table on that same connection, while it holds the lock, so generations go up in
the order the lock was won; then ``on_won(generation)`` tells the engine to recover what an older
owner left in flight (desk.store.fencing.recover_stale) and start the modem link. Every claim and
mark of an outgoing text carries the generation (desk.store.fencing), so an owner that lost the
lock can write nothing even if it has not noticed yet.

The lock lives as long as the session: when the owner's PC dies its connection closes and the
server frees the lock. Power cut or cable pulled (no FIN reaches the server): the lock session
sets the server's TCP keepalives and ``tcp_user_timeout`` so the server drops it within about
``SERVER_GIVES_UP`` seconds; the owner side checks its lock every ``beat_every`` seconds, stops
counting itself owner ``lose_after`` seconds after the last good check (before the server lets
another counter in) and calls ``on_lost`` when a check fails, so the engine stops its link.

Fenced while still holding the lock (a newer generation in ``modem_owner``: each check reads it
with the lock; or the engine's claim or mark was refused and it calls ``fenced``): the lock would
otherwise keep every other counter out while this one may no longer write anything. The thread
gives the lock back (``pg_advisory_unlock``; the session is closed if that fails), says so in one
WARNING line and calls ``on_lost``; ``gave_back`` keeps that generation, so the engine does not
say it a second time. Later it stands again like any counter (a newer owner holding the lock
keeps it out; one that died lets it win under a generation above both).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg

from desk.base.clock import to_db
from desk.engine import ports
from desk.engine.links import LinkChoice
from desk.engine.pg_session import Connect, SessionThread
from desk.store.db import server_params

__all__ = ["LOCK_KEY", "ModemOwnership", "connector", "modem_here", "take_ownership"]

log = logging.getLogger(__name__)

# "texm": the modem owner's advisory lock key (the migrations use "text", pg_advisory_xact_lock).
LOCK_KEY = 0x7465_786D
SERVER_GIVES_UP = 6  # seconds: keepalive idle 2 + 2 probes 1 s apart, or unacknowledged data
_SERVER_SIDE = (
    "SET tcp_keepalives_idle = 2",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 2",
    f"SET tcp_user_timeout = {SERVER_GIVES_UP * 1000}",
)
# Whether this session still holds the lock, and the generation the modem_owner row says is
# current (above this counter's: another counter won meanwhile).
_HOLDS = (
    "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND pid = pg_backend_pid() AND classid = 0 AND objid = %s AND objsubid = 1 AND granted), "
    "(SELECT generation FROM modem_owner WHERE id = 1)"
)


def connector(
    url: str, *, password: str | None = None, name: str = "textdesk", lose_after: float = 3.0
) -> Connect:
    """A function opening a new autocommit psycopg connection to ``url`` (the same address
    rules as desk.store.db: no password in it) with client-side keepalives, so a dead network
    fails a query within about ``lose_after`` seconds instead of hanging."""
    params = server_params(url)
    params["dbname"] = params.pop("database")
    if password:
        params["password"] = password
    params.update(
        keepalives=1,
        keepalives_idle=1,
        keepalives_interval=1,
        keepalives_count=2,
        tcp_user_timeout=int(lose_after * 1000),
        application_name=name,
    )

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(autocommit=True, **params)

    return connect


NETWORK_SERIAL = ("socket://", "rfc2217://")


def modem_here(
    choice: LinkChoice,
    *,
    list_ports: Callable[[], list[ports.PortInfo]] = ports.list_ports,
    exists: Callable[[str], bool] = os.path.exists,
) -> bool:
    """Whether this counter can drive the modem ``choice`` names, so may stand for owner: a
    network modem (a HiLink stick, an Android phone, an AT modem over socket:// or rfc2217://)
    from any counter that has its address; an AT modem on a serial port only on the PC where
    that port is (with no port set: where a serial port that may be a modem is attached)."""
    address = choice.address
    if choice.kind in ("hilink", "android"):
        return bool(address)
    if address is None:
        return bool(list_ports())
    return address.startswith(NETWORK_SERIAL) or exists(address)


def take_ownership(con: psycopg.Connection[Any], counter: str, now: datetime) -> int:
    """On the lock's own connection, while it holds the lock: the next generation, recorded with
    who won it and when. Returns it."""
    with con.transaction():
        row = con.execute(
            "UPDATE modem_owner SET generation = generation + 1, counter = %s, since = %s "
            "WHERE id = 1 RETURNING generation",
            (counter, to_db(now)),
        ).fetchone()
    if row is None:
        raise RuntimeError("The database has no modem owner row (schema 7 is missing).")
    return int(row[0])


class ModemOwnership(SessionThread):
    """The election thread of one counter. ``generation`` is this counter's fencing token while
    it drives the modem, None otherwise. ``on_won`` / ``on_lost`` run on this thread and must not
    block (the engine hands them to its core thread). Its connection, and connecting again
    after a failure, are desk.engine.pg_session's."""

    name = "modem-owner"

    def __init__(
        self,
        connect: Connect,
        *,
        counter: str,
        can_drive: Callable[[], bool],
        on_won: Callable[[int], None],
        on_lost: Callable[[int], None],
        try_every: float = 1.0,
        beat_every: float = 0.5,
        lose_after: float = 3.0,
    ) -> None:
        if lose_after >= SERVER_GIVES_UP:
            raise ValueError("the owner must give up before the server lets another counter in")
        super().__init__(connect, retry_every=try_every)
        self.counter = counter
        self._can_drive = can_drive
        self._on_won = on_won
        self._on_lost = on_lost
        self.try_every = try_every
        self.beat_every = beat_every
        self.lose_after = lose_after
        self._generation: int | None = None
        self._checked_at = float("-inf")
        self.tries = 0  # lock requests made (a counter without a modem makes none)
        self._wake = threading.Event()  # a check now: stopping, or the engine was fenced
        self._fenced: tuple[int, str] | None = None  # (generation, why) the engine was refused
        self.gave_back: int | None = None  # the last generation whose lock went back, fenced

    @property
    def generation(self) -> int | None:
        """This counter's generation while it drives the modem and its last lock check is
        recent; None otherwise (claims must stop at once)."""
        gen = self._generation
        if gen is None or time.monotonic() - self._checked_at > self.lose_after:
            return None
        return gen

    def fenced(self, generation: int, why: str = "") -> None:
        """The engine's claim or mark under ``generation`` was refused (desk.store.fencing:
        a newer owner exists). From any thread: the election thread gives the lock back at
        once if it still holds it for that generation."""
        if self._generation == generation:
            self._fenced = (generation, why)
            self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        super().stop(timeout)

    # --- the thread (desk.engine.pg_session runs these) -------------------------------------

    def prepare(self, con: psycopg.Connection[Any]) -> None:
        for sql in _SERVER_SIDE:
            con.execute(sql)

    def session(self) -> None:
        if self._can_drive() and self._try():
            self._hold()

    def failed(self, exc: psycopg.Error) -> None:
        log.warning("modem owner election: %s", exc)
        self._lose()

    def ended(self) -> None:
        """Leaving: closing the session freed the lock on the server."""
        self._lose()

    def _try(self) -> bool:
        con = self.connection()
        self.tries += 1
        row = con.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        if not (row and row[0]):
            return False
        self._generation = take_ownership(con, self.counter, datetime.now(UTC))
        self._checked_at = time.monotonic()
        log.info("this counter drives the modem now (generation %d)", self._generation)
        self._tell(self._on_won, self._generation)
        return True

    def _hold(self) -> None:
        """Check the lock every ``beat_every`` seconds until it is lost, stopped, this counter
        can no longer drive a modem, or a newer owner exists (then the lock is given back)."""
        con = self.connection()
        gen = self._generation
        assert gen is not None
        try:
            while True:
                self._wake.wait(self.beat_every)
                self._wake.clear()
                if self._stop.is_set():
                    break
                if not self._can_drive():
                    con.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
                    log.info("no modem here any more: the modem is left to another counter")
                    break
                row = con.execute(_HOLDS, (LOCK_KEY,)).fetchone()
                if not (row and row[0] == 1):
                    log.warning("the modem owner lock is gone (generation %d)", gen)
                    break
                fenced, self._fenced = self._fenced, None
                newer = int(row[1]) if row[1] is not None else gen
                if newer > gen:
                    self._give_back(con, gen, f"generation {newer} is newer")
                    break
                if fenced is not None and fenced[0] == gen:
                    self._give_back(con, gen, fenced[1] or "a claim or mark was refused")
                    break
                self._checked_at = time.monotonic()
        except psycopg.Error as exc:
            log.warning("lost the modem owner lock (generation %d): %s", gen, exc)
            self.close()
        finally:
            self._generation = None
            self._tell(self._on_lost, gen)

    def _give_back(self, con: psycopg.Connection[Any], gen: int, why: str) -> None:
        """Fenced while holding the lock: give it back (close the session if that fails), in
        one WARNING line."""
        self._generation = None  # claims stop at once, before the lock goes
        self.gave_back = gen
        try:
            row = con.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,)).fetchone()
            if not (row and row[0]):
                raise psycopg.OperationalError("pg_advisory_unlock found no lock to give back")
        except psycopg.Error:
            self.close()  # the server frees a closed session's locks
        log.warning(
            "another counter drives the modem now (%s) while this counter still held the modem "
            "lock under generation %d: the lock is given back and this counter stops driving "
            "the modem", why, gen,
        )  # fmt: skip

    def _lose(self) -> None:
        gen, self._generation = self._generation, None
        if gen is not None:
            self._tell(self._on_lost, gen)

    @staticmethod
    def _tell(callback: Callable[[int], None], generation: int) -> None:
        """A failing callback is the engine's bug, logged: it never stops the election (a dead
        thread would hold the lock with nobody checking it)."""
        try:
            callback(generation)
        except Exception:
            log.exception("the engine could not take in the modem owner's change")
