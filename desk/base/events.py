"""Plain-Python events the Engine emits to its subscribers (the window's bridge, the CLI's log).

Subscribers are called on the engine's core thread and must not block: the window's bridge
re-emits them as queued Qt signals. Ids only, never model instances: a subscriber reads what it
needs through its own database connection.

``ModemStatus`` (carried by ModemStatusChanged) and its ``ModemState`` are the modem layer's; they
are re-exported here so the window reads the modem's state from the core, never from modem/.
"""

from __future__ import annotations

from dataclasses import dataclass

from modem.events import ModemState, ModemStatus

__all__ = [
    "AppointmentUpdated",
    "BalanceReceived",
    "ConversationRemoved",
    "ConversationUpdated",
    "DeskEvent",
    "JobProgress",
    "MessageAdded",
    "MessageUpdated",
    "ModemState",
    "ModemStatus",
    "ModemStatusChanged",
    "PresenceChanged",
    "Problem",
    "QueueChanged",
    "RemindersChanged",
    "StorageRecovered",
    "StorageTrouble",
]


@dataclass(frozen=True)
class DeskEvent:
    pass


@dataclass(frozen=True)
class MessageAdded(DeskEvent):
    message_id: int
    conversation_id: int
    direction: str  # "in" / "out"


@dataclass(frozen=True)
class MessageUpdated(DeskEvent):
    """An outgoing message changed state (sent, delivered, failed, uncertain…)."""

    message_id: int
    conversation_id: int
    state: str


@dataclass(frozen=True)
class ConversationUpdated(DeskEvent):
    """Unread count, status, contact details or markers of a conversation changed."""

    conversation_id: int


@dataclass(frozen=True)
class ConversationRemoved(DeskEvent):
    conversation_id: int


@dataclass(frozen=True)
class PresenceChanged(DeskEvent):
    """Someone signed in or out at a counter, or started or stopped typing a reply in
    ``conversation_id`` (None: no conversation in particular): "Anna is replying…" is read
    again (desk.store.counters.replying_in)."""

    conversation_id: int | None = None


@dataclass(frozen=True)
class ModemStatusChanged(DeskEvent):
    status: ModemStatus


@dataclass(frozen=True)
class QueueChanged(DeskEvent):
    queued: int  # outgoing messages waiting (queued + sending)


@dataclass(frozen=True)
class BalanceReceived(DeskEvent):
    text: str | None
    error: str | None = None


@dataclass(frozen=True)
class Problem(DeskEvent):
    """Something staff should know, in plain words (a bad PDU stored raw, a full SIM, …)."""

    text: str
    severity: str = "warning"  # info, warning, error


@dataclass(frozen=True)
class RemindersChanged(DeskEvent):
    pass


@dataclass(frozen=True)
class AppointmentUpdated(DeskEvent):
    appointment_id: int
    state: str


@dataclass(frozen=True)
class StorageTrouble(DeskEvent):
    """TextDesk cannot save to its database (the disk is full, another program holds the write
    lock too long, the file cannot be written). Emitted once when the trouble starts (again only
    if its reason changes), never per retry. The window shows ``text`` as a red banner until
    StorageRecovered; incoming texts wait on the SIM meanwhile and nothing is lost.

    ``reason``: "disk_full", "busy" or "failed" (desk.engine.db_trouble)."""

    reason: str
    text: str


@dataclass(frozen=True)
class StorageRecovered(DeskEvent):
    """Saving works again after a StorageTrouble (the banner goes); what waited is stored."""

    text: str = "TextDesk can save again: the texts that waited on the SIM are being stored."


@dataclass(frozen=True)
class JobProgress(DeskEvent):
    """Bulk work the engine runs in short steps (an import, an erasure) moved on: at most twice a
    second, and once at its end. ``words``: "importing appointments (41%)"; ``state``: pending,
    running, done, cancelled or failed (desk.store.bulk.JobState)."""

    description: str
    percent: int
    state: str
    words: str
