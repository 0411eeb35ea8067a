"""Incoming messages TextDesk could not read (RawIncoming rows), as staff and exports see them.

The inbox keeps such a message exactly as it arrived (a hex PDU from a modem, the JSON entry from
a HiLink stick or an Android gateway) with the reason it could not be decoded. Nothing about it is
shown as text: it may be damaged, and a card number inside it could not be masked. What can be
said is who sent it, when that can be read from the data: the originating address of a PDU (it
comes before the damaged part more often than not) or the sender field of a JSON entry.

No Qt, no writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import peewee as pw

from desk.base import phones
from desk.store import models as m
from modem.codec.addresses import PduError, Reader, read_address, read_smsc

NOTE = "this message could not be read; the raw data is kept"

_HEX = frozenset("0123456789abcdefABCDEF")
# Where the gateways put the sender in what they send (desk never imports their modules).
_JSON_SENDER_KEYS = ("Phone", "phoneNumber", "sender", "from")
_PREFILTER_MAX = 50  # numbers; more would make one SQL expression too deep: parse every row


@dataclass(frozen=True)
class UnreadableRow:
    """One message that could not be read. ``sender``: as TextDesk stores numbers (E.164, or an
    alphanumeric sender as it came), None when the data does not say."""

    id: int
    sender: str | None
    received_at: datetime  # aware UTC
    error: str  # why it could not be read, as the decoder said it
    storage: str | None  # where it came from: "SM", "ME", "hilink", "android", None (direct)

    @property
    def note(self) -> str:
        return NOTE


def _pdu_sender(text: str) -> tuple[str, str] | None:
    """(number, type) of a TP-DELIVER's originating address, read field by field up to there."""
    try:
        reader = Reader(bytes.fromhex(text))
        read_smsc(reader)
        first = reader.byte("first octet")
        if first & 0x03 != 0x00:  # not a text someone sent (a status report, a submit)
            return None
        number, number_type = read_address(reader, "originating address")
    except (PduError, ValueError):
        return None
    return (number, number_type) if number else None


def _json_sender(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    for entry in (data, data.get("payload") if isinstance(data, Mapping) else None):
        if isinstance(entry, Mapping):
            for key in _JSON_SENDER_KEYS:
                value = entry.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return None


def sender_of(raw: str, default_country: str) -> str | None:
    """The sender of an unreadable message, from its raw data, in stored form; None if unknown."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) % 2 == 0 and _HEX.issuperset(text):
        found = _pdu_sender(text)
        if found is None:
            return None
        number, number_type = found
        if number_type == "alphanumeric":
            return number
        return phones.received_number(number, default_country)
    sender = _json_sender(text)
    return phones.received_number(sender, default_country) if sender else None


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(raw: m.RawIncoming, default_country: str) -> UnreadableRow:
    return UnreadableRow(
        id=raw.id,
        sender=sender_of(raw.raw_data, default_country),
        received_at=_aware(raw.received_at),
        error=raw.error,
        storage=raw.storage,
    )


def _semi_octets(digits: str) -> str:
    return "".join(digits[i + 1] + digits[i] for i in range(0, len(digits) - 1, 2))


def _candidates(number: str) -> pw.Expression | None:
    """A cheap SQL test every raw row from ``number`` passes (most others fail), so that a
    thread does not parse every unreadable message ever received. None: no such test (a short
    code; an alphanumeric sender is packed into septets and cannot be matched as text)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 7 or phones.is_alphanumeric(number):
        return None
    # Whatever form the sender came in (international, national, with a trunk 0), its digits end
    # with our last 7. A PDU holds digits swapped in pairs, counted from the sender's first
    # digit, so those 7 are paired in one of two ways. A gateway's JSON may format the number
    # ("(555) 765-4321"): every JSON row is read.
    tail = digits[-7:]
    return (
        m.RawIncoming.raw_data.contains("{")
        | m.RawIncoming.raw_data.contains(_semi_octets(tail[:6]))
        | m.RawIncoming.raw_data.contains(_semi_octets(tail[1:]))
    )


def unreadable_from(
    numbers: Iterable[str], *, default_country: str, limit: int | None = None
) -> list[UnreadableRow]:
    """Unreadable messages whose sender is one of ``numbers`` (stored form), oldest first;
    ``limit``: at most the newest that many."""
    wanted = set(numbers)
    if not wanted:
        return []
    query = m.RawIncoming.select()
    conds = [c for c in (_candidates(n) for n in sorted(wanted)) if c is not None]
    if len(conds) == len(wanted) <= _PREFILTER_MAX:
        cond = conds[0]
        for more in conds[1:]:
            cond = cond | more
        query = query.where(cond)
    query = query.order_by(m.RawIncoming.received_at.desc(), m.RawIncoming.id.desc())
    found: list[UnreadableRow] = []
    for raw in query.iterator():
        row = _row(raw, default_country)
        if row.sender in wanted:
            found.append(row)
            if limit is not None and len(found) >= limit:
                break
    found.reverse()
    return found


def all_unreadable(*, default_country: str) -> list[UnreadableRow]:
    """Every unreadable message, oldest first (for a full export)."""
    query = m.RawIncoming.select().order_by(m.RawIncoming.received_at, m.RawIncoming.id)
    return [_row(raw, default_country) for raw in query.iterator()]
