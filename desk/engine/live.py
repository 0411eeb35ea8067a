"""Live updates between counters on the shop's PostgreSQL server: LISTEN/NOTIFY (issue 15).

A counter that commits something the others must see (a text stored, a reply queued or sent, a
conversation marked done, read or assigned, someone signing in or out or starting or stopping a
reply: PRESENCE) calls ``notify(kind, id)`` on its own connection,
inside the transaction that made the change or after its commit: PostgreSQL delivers the
notification when that transaction commits, never when it rolls back. Each engine runs one
``Listener`` thread with its own connection (``LISTEN textdesk``) that waits on psycopg's
notifies generator (a timeout only to notice ``stop``; no polling of tables) and turns each
notification into the core's usual events (desk.base.events), so the window refreshes exactly as
it does for the counter's own changes. Notifications a counter sent itself are skipped (its core
emitted the events already). On SQLite (one PC) ``notify`` does nothing.

Payload: ``"<kind> <id> <conversation id> <direction or state or -> <origin>"``, a few dozen
bytes (PostgreSQL allows 8000). If the listener's connection fails it says so once (a Problem),
connects again every ``retry_every`` seconds and says when live updates work again; what was
notified meanwhile is lost, so once LISTEN is in place again it hands the core one
``PresenceChanged(None)``: the core runs a cycle on it (its scan of new rows finds the texts
stored meanwhile, the modem owner takes what was queued) and the window reads who is replying.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import peewee as pw
import psycopg

from desk.base import events as ev
from desk.engine.pg_session import Connect, SessionThread
from desk.store.db import db

__all__ = [
    "CHANNEL",
    "CONVERSATION_REMOVED",
    "CONVERSATION_UPDATED",
    "KINDS",
    "MESSAGE_ADDED",
    "MESSAGE_UPDATED",
    "ORIGIN",
    "PRESENCE",
    "REMINDERS",
    "Listener",
    "events_for",
    "notify",
    "notify_event",
]

log = logging.getLogger(__name__)

CHANNEL = "textdesk"
MESSAGE_ADDED = "message_added"  # id: the message (in or out)
MESSAGE_UPDATED = "message_updated"  # id: an outgoing message whose state changed
CONVERSATION_UPDATED = "conversation_updated"  # id: done, reopened, read, assigned, contact edited
CONVERSATION_REMOVED = "conversation_removed"  # id: erased
PRESENCE = "presence"  # id: the conversation someone started or stopped replying in (0: none)
REMINDERS = "reminders"  # id: the reminder created or changed (0: several); the owner's next due
KINDS = (
    MESSAGE_ADDED,
    MESSAGE_UPDATED,
    CONVERSATION_UPDATED,
    CONVERSATION_REMOVED,
    PRESENCE,
    REMINDERS,
)
ORIGIN = uuid.uuid4().hex[:12]  # this process's engine; a listener skips what it sent itself

# One statement for a message: its conversation and direction (added) or state (updated) read in
# the notifying transaction, so the listener needs no query of its own.
_NOTIFY_MESSAGE = (
    "SELECT pg_notify(%s, concat_ws(' ', %s::text, id, conversation_id, "
    "CASE WHEN %s::text = 'message_added' THEN direction ELSE state END, %s::text)) "
    "FROM message WHERE id = %s"
)
_NOTIFY = "SELECT pg_notify(%s, %s)"


def notify(kind: str, id: int, *, origin: str = ORIGIN) -> None:
    """Tell the other counters that ``kind`` happened to ``id`` (see KINDS), on the calling
    thread's connection: delivered when its transaction commits (at once outside one)."""
    if kind not in KINDS:
        raise ValueError(f"unknown live update {kind!r}")
    if not isinstance(db.obj, pw.PostgresqlDatabase):
        return  # one PC: nobody else to tell
    if kind in (MESSAGE_ADDED, MESSAGE_UPDATED):
        db.execute_sql(_NOTIFY_MESSAGE, (CHANNEL, kind, kind, origin, id))
    else:
        db.execute_sql(_NOTIFY, (CHANNEL, f"{kind} {id:d} {id:d} - {origin}"))


def notify_event(event: ev.DeskEvent, *, origin: str = ORIGIN) -> bool:
    """``notify`` for one of the core's own events that the other counters must see (the core
    calls it where it emits them, inside the batch: sent when the batch commits). False for an
    event that stays on this counter (modem status, progress, problems)."""
    if isinstance(event, ev.MessageAdded):
        notify(MESSAGE_ADDED, event.message_id, origin=origin)
    elif isinstance(event, ev.MessageUpdated):
        notify(MESSAGE_UPDATED, event.message_id, origin=origin)
    elif isinstance(event, ev.ConversationUpdated):
        notify(CONVERSATION_UPDATED, event.conversation_id, origin=origin)
    elif isinstance(event, ev.ConversationRemoved):
        notify(CONVERSATION_REMOVED, event.conversation_id, origin=origin)
    elif isinstance(event, ev.PresenceChanged):
        notify(PRESENCE, event.conversation_id or 0, origin=origin)
    elif isinstance(event, ev.RemindersChanged):
        notify(REMINDERS, 0, origin=origin)
    else:
        return False
    return True


def events_for(payload: str) -> tuple[str, list[ev.DeskEvent]]:
    """The origin of a notification and the events it stands for (ValueError: not ours)."""
    kind, ident, conv, detail, origin = payload.split(" ")
    item, conversation = int(ident), int(conv)
    if kind == MESSAGE_ADDED:
        direction = detail if detail in ("in", "out") else "out"
        events: list[ev.DeskEvent] = [
            ev.MessageAdded(item, conversation, direction),
            ev.ConversationUpdated(conversation),
        ]
    elif kind == MESSAGE_UPDATED:
        events = [
            ev.MessageUpdated(item, conversation, detail),
            ev.ConversationUpdated(conversation),
        ]
    elif kind == CONVERSATION_UPDATED:
        events = [ev.ConversationUpdated(item)]
    elif kind == CONVERSATION_REMOVED:
        events = [ev.ConversationRemoved(item)]
    elif kind == PRESENCE:
        events = [ev.PresenceChanged(item or None)]
    elif kind == REMINDERS:
        events = [ev.RemindersChanged()]
    else:
        raise ValueError(f"unknown live update {kind!r}")
    return origin, events


class Listener(SessionThread):
    """One engine's listening thread. ``emit`` is called on this thread and must hand the event
    to the core (thread-safe, never blocking). Its connection, and connecting again after a
    failure, are desk.engine.pg_session's."""

    name = "live-updates"

    def __init__(
        self,
        connect: Connect,
        emit: Callable[[ev.DeskEvent], None],
        *,
        origin: str = ORIGIN,
        timeout: float = 0.5,
        retry_every: float = 1.0,
    ) -> None:
        super().__init__(connect, retry_every=retry_every)
        self._emit = emit
        self.origin = origin
        self.timeout = timeout
        self.listening = threading.Event()  # set while LISTEN is in place
        self._down: str | None = None  # the failure last told, while there is one
        self.received = 0
        self.reconnects = 0  # LISTEN in place again after a failure

    def failed(self, exc: psycopg.Error) -> None:
        self.listening.clear()
        if self._down is None:
            self._down = str(exc).strip() or type(exc).__name__
            log.warning("live updates from the other counters stopped: %s", exc)
            self._tell(
                ev.Problem(
                    "Changes made at the other counters no longer show here at once "
                    f"({self._down}); TextDesk keeps trying to reconnect."
                )
            )

    def session(self) -> None:
        con = self.connection()
        con.execute(f"LISTEN {CHANNEL}")
        self.listening.set()
        if self._down is not None:
            self._down = None
            log.info("live updates from the other counters work again")
            self._tell(
                ev.Problem("Changes made at the other counters show here at once again.", "info")
            )
            # What the others notified while this connection was down is lost: one re-read.
            self.reconnects += 1
            self._tell(ev.PresenceChanged(None))
        while not self.stopping:
            for note in con.notifies(timeout=self.timeout):
                self._handle(note.payload)

    def _handle(self, payload: str) -> None:
        self.received += 1
        try:
            origin, events = events_for(payload)
        except ValueError:
            log.warning("ignored a notification that is not TextDesk's: %r", payload[:100])
            return
        if origin == self.origin:
            return
        for event in events:
            self._tell(event)

    def _tell(self, event: ev.DeskEvent) -> None:
        """A failing ``emit`` is logged, never the end of live updates."""
        try:
            self._emit(event)
        except Exception:
            log.exception("could not hand a live update to the engine")
