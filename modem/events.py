"""Plain-Python events the modem service hands to its consumer, and the jobs it accepts.

Events are delivered by calling the consumer's sink on the modem thread; the sink must not block
(put the event on a queue). Every event is an immutable dataclass so it can cross threads safely.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modem.codec.pdu import Pdu


class ModemState(enum.StrEnum):
    DISCONNECTED = "disconnected"  # no device, or it went away; reconnecting with backoff
    CONNECTING = "connecting"  # opening the port, initialising
    PIN_NEEDED = "pin_needed"  # the SIM asks for its PIN (or PUK: see ModemStatus.pin_kind)
    READY = "ready"  # registered on a network, can send and receive
    NO_NETWORK = "no_network"  # modem fine, not registered (no coverage, denied, searching)
    ERROR = "error"  # something a person must fix (no SIM, PUK locked, permission denied)


@dataclass(frozen=True)
class ModemStatus:
    state: ModemState = ModemState.DISCONNECTED
    port: str | None = None
    signal: int | None = None  # +CSQ rssi 0..31, None when unknown (99)
    operator: str | None = None
    registration: str | None = None  # "home", "roaming", "searching", "denied", "not registered"
    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    storage_used: int | None = None
    storage_total: int | None = None
    pin_kind: str | None = None  # "SIM PIN", "SIM PUK" when state is PIN_NEEDED / ERROR
    last_error: str | None = None  # plain words for staff
    # while reconnecting repeats (3 times in 2 minutes): how often, what the modem last
    # answered and what TextDesk expected (also spelled out in ``last_error``)
    repeats: int = 0
    modem_answer: str | None = None
    expected: str | None = None

    @property
    def bars(self) -> int:
        """Signal as 0..4 bars, the way a phone shows it."""
        if self.signal is None:
            return 0
        rssi = self.signal
        if rssi >= 20:
            return 4
        if rssi >= 15:
            return 3
        if rssi >= 10:
            return 2
        if rssi >= 2:
            return 1
        return 0

    @property
    def dbm(self) -> int | None:
        return None if self.signal is None else -113 + 2 * self.signal


@dataclass(frozen=True)
class SendJob:
    """One message to send. ``job_id`` is the caller's (the core uses the message id).

    ``concat_ref`` and ``start_part`` let a resend continue a long message at the part that failed,
    with the same concatenation reference, instead of sending part 1 twice. ``concat_ref`` None:
    the service picks one and reports it in PartSent / SendFailed.
    """

    job_id: int | str
    number: str
    text: str
    concat_ref: int | None = None
    start_part: int = 1
    request_report: bool = True


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModemEvent:
    at: datetime | None = field(default=None, kw_only=True, compare=False)


@dataclass(frozen=True)
class StatusChanged(ModemEvent):
    status: ModemStatus


@dataclass(frozen=True)
class IncomingSms(ModemEvent):
    """One received SMS part (a TP-DELIVER). Store it, then call ``service.ack_incoming(token)``;
    only then is it deleted from the SIM (or acknowledged with +CNMA for direct delivery).

    ``pdu`` is None when the PDU could not be decoded: ``error`` says why and ``raw`` keeps the hex
    so nothing is lost. Ack those too once they are stored.
    """

    token: str
    raw: str
    pdu: Pdu | None
    error: str | None = None
    storage: str | None = None  # "SM", "ME", or None for +CMT direct delivery
    index: int | None = None


@dataclass(frozen=True)
class PartSubmitting(ModemEvent):
    """Emitted just before part ``part`` of a job is written to the modem."""

    job_id: int | str
    part: int
    parts: int
    concat_ref: int | None


@dataclass(frozen=True)
class PartSent(ModemEvent):
    """The modem accepted part ``part`` (1-based) of ``parts``; ``reference`` is its TP-MR."""

    job_id: int | str
    part: int
    parts: int
    reference: int
    concat_ref: int | None


@dataclass(frozen=True)
class SendFailed(ModemEvent):
    """Part ``part`` failed: parts before it went out, it and the rest did not.

    ``code`` is the +CMS ERROR code when the modem gave one; ``reason`` is plain words for staff;
    ``retryable`` says whether trying again later can help (no network, modem busy) or not (bad
    number, barred). ``uncertain`` is True when the part may or may not have gone out (the modem
    vanished or went silent after the PDU was written): never resend those automatically.
    """

    job_id: int | str
    part: int
    parts: int
    concat_ref: int | None
    code: int | None
    reason: str
    retryable: bool
    uncertain: bool = False


@dataclass(frozen=True)
class DeliveryReport(ModemEvent):
    """A status report (TP-STATUS-REPORT) for a part we sent, matched by ``reference``."""

    token: str | None  # ack like IncomingSms when it came from storage/+CDS; None if nothing to ack
    reference: int
    number: str | None
    status: int  # TP-ST
    delivered: bool  # TP-ST 0x00..0x02
    final: bool  # False while the SMSC is still trying (TP-ST 0x20..0x3F)
    discharge_time: datetime | None
    raw: str


@dataclass(frozen=True)
class UssdResult(ModemEvent):
    text: str | None
    code: str
    error: str | None = None


@dataclass(frozen=True)
class CallMissed(ModemEvent):
    """A voice call rang and ended unanswered (TextDesk never answers one): the caller gave up,
    or the service declined it (``declined``, after the rings it was told to wait). ``number``:
    the caller (+E164, or national digits), None when withheld or the modem gave no caller ID.
    ``rings``: how many RING / +CRING came; ``ended_at``: aware UTC."""

    number: str | None
    rings: int
    ended_at: datetime
    declined: bool = False


@dataclass(frozen=True)
class PortChanged(ModemEvent):
    """The modem came back on a different device path (replugged)."""

    old: str | None
    new: str
