"""Reading what the SMS Gateway app sends: webhook payloads and inbox entries into modem events.

Times come with the phone's UTC offset (ISO 8601); one without an offset is taken in ``zone``.
Nothing here raises on the content: a payload with missing fields or wrong types gives an
IncomingSms with ``pdu`` None and the raw body kept, so nothing is lost.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from modem.codec.pdu import Pdu

OUR_PREFIX = "td-"


def when(value: object, zone: tzinfo) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC).replace(microsecond=0)


def reference(message_id: str) -> int:
    """The reference a message id stands for in PartSent / DeliveryReport (stable across
    restarts: the id is TextDesk's own, sent with the message)."""
    return zlib.crc32(message_id.encode()) & 0x7FFFFFFF


def text_pdu(sender: str, text: str, at: datetime | None) -> Pdu:
    digits = any(ch.isdigit() for ch in sender)
    number_type = (
        "international" if sender.startswith("+") else ("unknown" if digits else "alphanumeric")
    )
    encoding = "gsm7" if all(ord(ch) < 128 for ch in text) else "ucs2"
    return Pdu("deliver", sender, number_type, text, at, encoding=encoding)


def inbox_entry(
    mid: str, sender: object, text: object, created: datetime, zone: tzinfo
) -> tuple[str, Pdu]:
    """(raw JSON kept with the text, pdu) of one entry of the phone's inbox; a time without
    an offset is the phone's ``zone``."""
    at = (
        created.astimezone(UTC).replace(microsecond=0)
        if created.tzinfo
        else created.replace(tzinfo=zone).astimezone(UTC)
    )
    raw = json.dumps(
        {"inbox": mid, "sender": sender, "text": text, "at": at.isoformat()}, ensure_ascii=False
    )
    return raw, text_pdu(str(sender), str(text), at)


def received(payload: object, zone: tzinfo) -> tuple[str | None, Pdu | None, str | None]:
    """(message id, pdu, error) of an sms:received payload."""
    if not isinstance(payload, Mapping):
        return None, None, "the phone sent a received text without its details"
    message_id = payload.get("messageId")
    sender = payload.get("phoneNumber") or payload.get("sender")
    text = payload.get("message")
    mid = message_id if isinstance(message_id, str) and message_id else None
    if not isinstance(sender, str) or not sender.strip() or not isinstance(text, str):
        return mid, None, "the phone sent a received text without sender or text"
    return mid, text_pdu(sender.strip(), text, when(payload.get("receivedAt"), zone)), None


def field(payload: object, key: str) -> str | None:
    if isinstance(payload, Mapping):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None
