"""The core thread's side of several counters on one PostgreSQL server (issue 15).

A mixin of desk.engine.core_loop.Core, active only when the Engine gives it a ``ServerLink``
(the profile's database is the shop's server: desk.store.fencing.is_server). On one PC (SQLite)
none of this runs and the core behaves exactly as before.

On a server the core never starts the modem link by itself and never runs
outbox.recover_interrupted (another counter may be sending right now). Instead:

- A counter that may drive the modem (one attached or a network modem configured here:
  desk.engine.owner.modem_here, and not set "never drive the modem here", database.json's
  ``no_modem``) runs a ``ModemOwnership`` election thread. Its ``on_won(generation)`` and
  ``on_lost(generation)`` only put a call on the core's queue; the core thread then recovers what
  an older owner left in flight (fencing.recover_stale: uncertain, never resent), starts the link
  and passes the generation to every claim and mark. Lost, or ``Fenced`` raised by any claim or
  mark (another counter took over while this one slept), the core stops the link at once, writes
  nothing more for it (what it had in flight is the new owner's to call uncertain) and says so in
  the modem status ("Another counter drives the modem now (Front desk).").
- A counter that does not drive the modem shows in its modem status which counter does (the
  ``modem_owner`` row, and whether that counter's lock is held now), looked at every
  OWNER_LOOK_EVERY seconds.
- Every event the core emits that other counters must see is also sent with NOTIFY
  (desk.engine.live.notify_event) inside the batch that made it, so it goes out when the batch
  commits. A ``live.Listener`` thread turns the other counters' notifications into ``Remote``
  items on the core queue; the core hands them to its own subscribers (the window) and runs its
  usual cycle (the owner then takes a text another counter or ``textdesk send`` queued: it
  wakes on the notification, with no polling), never a modem action for them. A message
  announced both by a notification and by the core's own scan of new rows is emitted once.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desk.base import events as ev
from desk.engine import live
from desk.engine.owner import LOCK_KEY, ModemOwnership
from desk.engine.pg_session import Connect
from desk.store import fencing
from desk.store.counters import OWNER_ROW, ModemOwner
from desk.store.db import db
from desk.store.fencing import Fenced
from modem import events as me

__all__ = ["OWNER_LOOK_EVERY", "Remote", "ServerLink", "ServerSide"]

log = logging.getLogger("desk.engine.api")

OWNER_LOOK_EVERY = 2.0  # a counter that does not drive the modem looks who does this often
_REMEMBER = 2000  # message ids remembered as announced (one per MessageAdded)
_LOCK_HELD = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
    "AND objid = %s AND objsubid = 1 AND granted"
)
WAITING = "This counter is waiting to drive the modem."
NEVER_HERE = "This PC is set never to drive the modem (textdesk database modem on changes it)."


@dataclass(frozen=True)
class ServerLink:
    """What the core needs to be one of several counters: connections of its own for the
    election and the live updates, its name for the others, and whether it may drive the
    modem (``modem_here`` is asked on the core thread)."""

    connect: Connect
    counter: str
    modem_here: Callable[[], bool]
    no_modem: bool = False  # this PC never drives the modem (database.json / serve --no-modem)
    try_every: float = 1.0
    beat_every: float = 0.5
    lose_after: float = 3.0


@dataclass(frozen=True)
class Remote:
    """An event another counter committed (a live update), for this counter's subscribers."""

    event: ev.DeskEvent


class ServerSide:
    # Provided by Core and its other mixins.
    service: Any
    status: me.ModemStatus
    flights: dict[Any, Any]
    stopping: bool
    _last_id: int
    _next_cycle: float
    _others_wrote: bool

    if TYPE_CHECKING:

        def later(self, kind: str, payload: Any) -> None: ...
        def put(self, item: Any) -> None: ...
        def put_outside(self, fn: Callable[..., Any], *args: Any) -> None: ...
        def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
        def stop_service(self) -> bool: ...
        def _start_service(self) -> None: ...
        def _message_updated(self, message_id: int | None) -> None: ...

    def _init_server_side(self, server: ServerLink | None) -> None:
        self.server = server
        self.origin = uuid.uuid4().hex[:12]  # this engine's notifications (skipped by its listener)
        self.generation: int | None = None  # this counter's fencing token while it drives
        self.ownership: ModemOwnership | None = None
        self.listener: live.Listener | None = None
        self._here = False  # may stand for modem owner (read on the core thread)
        self._owner_said: str | None = None
        self._next_owner_look = 0.0
        self._announced: dict[int, None] = {}  # MessageAdded emitted here (ordered set)
        self._from_others: dict[int, None] = {}  # MessageAdded another counter notified

    @property
    def may_link(self) -> bool:
        """Whether the core may run a modem link now: always on one PC; on a server only
        while this counter drives the modem."""
        return self.server is None or self.generation is not None

    # --- start and stop ---------------------------------------------------------------------

    def _start_counters(self) -> None:
        server = self.server
        assert server is not None
        self.listener = live.Listener(
            server.connect, lambda e: self.put(Remote(e)), origin=self.origin
        )
        self.listener.start()
        self._start_service()  # no link yet: who drives the modem, and whether one is here
        if not server.no_modem:
            self.ownership = ModemOwnership(
                server.connect,
                counter=server.counter,
                can_drive=lambda: self._here,
                on_won=lambda gen: self.put_outside(self._won, gen),
                on_lost=lambda gen: self.put_outside(self._lost, gen),
                try_every=server.try_every,
                beat_every=server.beat_every,
                lose_after=server.lose_after,
            )
            self.ownership.start()

    def _stop_counters(self) -> None:
        """Leaving: the lock goes back at once (another counter may take over)."""
        ownership, self.ownership = self.ownership, None
        listener, self.listener = self.listener, None
        self.generation = None
        if ownership is not None:
            ownership.stop()
        if listener is not None:
            listener.stop()

    def _look_here(self) -> None:
        if self.server is None or self.server.no_modem:
            self._here = False
            return
        try:
            self._here = bool(self.server.modem_here())
        except Exception as exc:  # no address yet, an unknown kind: no modem here for now
            log.debug("no modem this counter could drive: %s", exc)
            self._here = False

    # --- winning and losing (calls the election thread put on the queue) ---------------------

    def _won(self, generation: int) -> None:
        if self.stopping or self.server is None:
            return
        self.generation = generation
        try:
            stale: list[int] = self.write(fencing.recover_stale, generation) or []
        except Fenced as exc:
            self.fenced(exc)
            return
        if stale:
            log.warning(
                "%d message(s) another counter was sending when it stopped; marked uncertain: %s",
                len(stale), ", ".join(map(str, stale)),
            )  # fmt: skip
        for mid in stale:
            self._message_updated(mid)
        log.info("this counter drives the modem now (generation %d)", generation)
        self._owner_said = None
        self._start_service()
        self._next_cycle = 0.0

    def _lost(self, generation: int, why: str = "") -> None:
        if self.generation != generation:
            return  # told already (a Fenced came first), or an older win
        self.generation = None
        ownership = self.ownership
        said = why or (ownership is not None and ownership.gave_back == generation)
        # Fenced: the election thread says it in its one WARNING line (giving the lock back).
        log.log(logging.INFO if said else logging.WARNING,
                "this counter no longer drives the modem (generation %d)%s", generation,
                f": {why}" if why else "")  # fmt: skip
        # What was in flight stays "sending" under this generation: the new owner marks it
        # uncertain (fencing.recover_stale). Nothing is written for it here.
        self.flights.clear()
        self.stop_service()
        self._say_owner(force=True)

    def fenced(self, exc: Fenced) -> None:
        """A claim or mark was refused: another counter drives the modem. Stop at once; the
        election thread gives the lock back if it still holds it (ModemOwnership.fenced: its
        WARNING line is the one said; the session already gone, its own check says so)."""
        if self.generation is None or self.generation != exc.mine:
            return
        if self.ownership is not None:
            self.ownership.fenced(exc.mine, str(exc))
        self.put_outside(self._lost, exc.mine, str(exc))

    # --- status ---------------------------------------------------------------------------------

    def _watch_server(self, now: float) -> None:
        """Every WATCH_EVERY seconds on a server: settings may have changed at another counter
        (read again at most every SETTINGS_EVERY); a counter that does not drive the modem looks
        who does. No cycle is run for texts queued elsewhere: every writer notifies (the other
        counters' cores in their batches, ``textdesk send`` in its transaction), the notification
        is a Remote item and every batch runs the cycle; while the listener was disconnected,
        its first item once LISTEN is back (desk.engine.live) runs that cycle."""
        self._others_wrote = True
        if self.generation is None and now >= self._next_owner_look:
            self._say_owner()

    def _say_owner(self, *, force: bool = False) -> None:
        """While this counter does not drive the modem: who does, in the modem status."""
        if self.server is None or self.generation is not None:
            return
        self._next_owner_look = time.monotonic() + OWNER_LOOK_EVERY
        try:
            text = self._owner_words()
        except Exception as exc:
            log.debug("could not look who drives the modem: %s", exc)
            return
        if text == self._owner_said and not force:
            return
        self._owner_said = text
        self.status = me.ModemStatus(last_error=text)
        self.later("emit", ev.ModemStatusChanged(self.status))

    def _owner_words(self) -> str:
        server = self.server
        assert server is not None
        row = (
            ModemOwner.select(ModemOwner.counter, ModemOwner.generation)
            .where(ModemOwner.id == OWNER_ROW)
            .tuples()
            .first()
        )
        held = db.execute_sql(_LOCK_HELD, (LOCK_KEY,)).fetchone()
        owner = str(row[0]) if row and row[0] else None
        if held and held[0] and owner:
            words = f"Another counter drives the modem now ({owner})."
        elif owner:
            words = f"No counter drives the modem now ({owner} did last)."
        else:
            words = "No counter drives the modem yet."
        if server.no_modem:
            return f"{words} {NEVER_HERE}"
        if self._here:
            return f"{words} {WAITING}"
        return f"{words} This counter has no modem attached."

    # --- live updates ---------------------------------------------------------------------------

    def notify_others(self, event: ev.DeskEvent) -> None:
        """Called by Core.emit for this counter's own events (inside the open batch: the
        notification goes when it commits)."""
        if isinstance(event, ev.MessageAdded):
            _remember(self._announced, event.message_id)
            if event.message_id in self._from_others:
                return  # the counter that wrote it told everyone already
        live.notify_event(event, origin=self.origin)

    def _remote(self, event: ev.DeskEvent) -> None:
        """Another counter's change, for this counter's subscribers only."""
        self._others_wrote = True
        if isinstance(event, ev.MessageAdded):
            mid = event.message_id
            _remember(self._from_others, mid)
            if mid in self._announced or mid > self._last_id:
                return  # emitted already, or the scan of new rows in this batch's cycle will
            # committed after a row with a higher id (another counter's transaction): the scan
            # passed it by
            _remember(self._announced, mid)
        self.later("emit", event)

    def modem_event_ignored(self, event: me.ModemEvent) -> bool:
        """On a server, what a link that is being stopped still reports once this counter no
        longer drives the modem is not this counter's to write (the SIM keeps the texts it
        did not acknowledge; the new owner reads them)."""
        if self.may_link:
            return False
        log.debug("ignored %s: this counter no longer drives the modem", type(event).__name__)
        return True


def _remember(seen: dict[int, None], mid: int) -> None:
    seen[mid] = None
    if len(seen) > _REMEMBER:
        for old in list(seen)[: len(seen) - _REMEMBER]:
            del seen[old]
