"""Export one conversation or everything, as JSON or CSV (audit-logged "exported").

Times are given twice: ISO 8601 UTC ("2026-01-05T09:00:00Z") and the shop's local time with its
offset ("2026-01-05T10:00:00+01:00"). Masked messages export their masked body (the original is
gone). Read-mostly: only the one AuditLog line is written.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from desk.base.clock import Clock, SystemClock, utc
from desk.store import audit
from desk.store.models import Contact, Conversation, Message

FORMAT_VERSION = 1

CSV_COLUMNS = [
    "conversation_id",
    "number",
    "name",
    "message_id",
    "direction",
    "state",
    "body",
    "created_utc",
    "created_local",
    "sent_utc",
    "delivered_utc",
    "parts",
    "encoding",
    "staff",
    "source",
    "error",
    "flags",
]


class ExportError(RuntimeError):
    pass


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(value: datetime | None, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    return utc(value).astimezone(tz).replace(microsecond=0).isoformat()


def _zone(tz: ZoneInfo | None) -> ZoneInfo:
    if tz is not None:
        return tz
    from desk.store.settings import Settings

    return Settings().shop_zone()


def _conversations(conversation_ids: Iterable[int] | None) -> list[Conversation]:
    query = (
        Conversation.select(Conversation, Contact)
        .join(Contact)
        .order_by(Conversation.last_activity_at.desc(), Conversation.id)
    )
    if conversation_ids is not None:
        ids = list(conversation_ids)
        query = query.where(Conversation.id.in_(ids))
        found = {c.id for c in query}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ExportError(f"No conversation {missing[0]}.")
    return list(query)


def _messages(conversation: Conversation) -> Iterator[Message]:
    return (
        Message.select()
        .where(Message.conversation == conversation.id)
        .order_by(Message.created_at, Message.id)
        .iterator()
    )


def _message_dict(m: Message, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction,
        "state": m.state,
        "body": m.body,
        "created_utc": iso_utc(m.created_at),
        "created_local": iso_local(m.created_at, tz),
        "sent_utc": iso_utc(m.sent_at),
        "sent_local": iso_local(m.sent_at, tz),
        "delivered_utc": iso_utc(m.delivered_at),
        "delivered_local": iso_local(m.delivered_at, tz),
        "sender_time_utc": iso_utc(m.sender_time),
        "parts": m.parts,
        "encoding": m.encoding,
        "staff": m.staff,
        "source": m.source,
        "automated": m.automated,
        "error": m.error,
        "flags": m.flag_list,
        "masked": m.masked,
    }


def _contact_dict(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "notes": c.notes,
        "tags": c.tag_list,
        "opted_out": c.opted_out,
        "callback_requested": c.callback_requested,
    }


def export_data(
    conversation_ids: Iterable[int] | None = None,
    *,
    tz: ZoneInfo | None = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """The export as a dict (no audit line): {"format", "exported_at", "timezone",
    "conversations": [{id, status, contact, last_activity_utc, messages: [...]}, …]}."""
    zone = _zone(tz)
    now = (clock or SystemClock()).now()
    out = []
    for conv in _conversations(conversation_ids):
        out.append(
            {
                "id": conv.id,
                "status": conv.status,
                "unread": conv.unread,
                "last_activity_utc": iso_utc(conv.last_activity_at),
                "last_activity_local": iso_local(conv.last_activity_at, zone),
                "contact": _contact_dict(conv.contact),
                "messages": [_message_dict(m, zone) for m in _messages(conv)],
            }
        )
    return {
        "format": "textdesk-export",
        "version": FORMAT_VERSION,
        "exported_at": iso_utc(now),
        "timezone": zone.key,
        "conversations": out,
    }


def _scope(conversation_ids: Iterable[int] | None) -> str:
    if conversation_ids is None:
        return "all conversations"
    ids = list(conversation_ids)
    return f"conversation {ids[0]}" if len(ids) == 1 else f"{len(ids)} conversations"


def export_json(
    conversation_ids: Iterable[int] | None = None,
    *,
    tz: ZoneInfo | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """``export_data`` plus an AuditLog line "exported"."""
    ids = list(conversation_ids) if conversation_ids is not None else None
    data = export_data(ids, tz=tz, clock=clock)
    count = sum(len(c["messages"]) for c in data["conversations"])
    audit.record("exported", f"JSON, {_scope(ids)}, {count} messages", staff, clock=clock)
    return data


def write_json(
    path: str | os.PathLike[str] | None,
    conversation_ids: Iterable[int] | None = None,
    *,
    stream=None,
    tz: ZoneInfo | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> int:
    """Write the JSON export to ``path`` (or ``stream``); returns the number of messages."""
    data = export_json(conversation_ids, tz=tz, staff=staff, clock=clock)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if path is None:
        stream.write(text + "\n")
    else:
        _write_private(Path(path), text + "\n")
    return sum(len(c["messages"]) for c in data["conversations"])


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def safe_cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a customer's "=HYPERLINK(…)" gets a
    leading apostrophe (the usual CSV-injection guard)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def csv_rows(
    conversation_ids: Iterable[int] | None = None, *, tz: ZoneInfo | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per message (CSV_COLUMNS), conversation by conversation, oldest first."""
    zone = _zone(tz)
    for conv in _conversations(conversation_ids):
        contact = conv.contact
        for m in _messages(conv):
            yield {
                "conversation_id": conv.id,
                "number": contact.number,
                "name": safe_cell(contact.name or ""),
                "message_id": m.id,
                "direction": m.direction,
                "state": m.state,
                "body": safe_cell(m.body),
                "created_utc": iso_utc(m.created_at),
                "created_local": iso_local(m.created_at, zone),
                "sent_utc": iso_utc(m.sent_at) or "",
                "delivered_utc": iso_utc(m.delivered_at) or "",
                "parts": m.parts,
                "encoding": m.encoding,
                "staff": safe_cell(m.staff or ""),
                "source": m.source,
                "error": safe_cell(m.error or ""),
                "flags": m.flags,
            }


def write_csv(
    path: str | os.PathLike[str] | None,
    conversation_ids: Iterable[int] | None = None,
    *,
    stream=None,
    tz: ZoneInfo | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> int:
    """Write the CSV export (UTF-8, header row) to ``path`` or ``stream``; returns the number
    of messages written. Audit-logged."""
    ids = list(conversation_ids) if conversation_ids is not None else None
    rows = csv_rows(ids, tz=tz)
    n = 0
    if path is None:
        n = _write_rows(stream, rows)
    else:
        fd = os.open(Path(path), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            n = _write_rows(fh, rows)
    audit.record("exported", f"CSV, {_scope(ids)}, {n} messages", staff, clock=clock)
    return n


def _write_rows(fh, rows: Iterator[dict[str, Any]]) -> int:
    writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n
