"""Export one conversation or everything, as JSON or CSV (audit-logged "exported").

Times are given twice: ISO 8601 UTC ("2026-01-05T09:00:00Z") and the shop's local time with its
offset ("2026-01-05T10:00:00+01:00"). Masked messages export their masked body (the original is
gone). Incoming messages TextDesk could not read are listed in the JSON ("unreadable") with
their sender when the data says it, and the words "this message could not be read; the raw data
is kept" in place of a text: the raw data stays in the database and its backups (it may be
damaged, and nothing in it could be masked). Read-mostly: only the one AuditLog line is written.

Export files are the owner's alone (0600): a new file is written next to the target with that
mode and then put in its place, so an export never lands in a file others could read, and a
failed export leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO, TypedDict
from zoneinfo import ZoneInfo

from desk.base.clock import Clock, SystemClock, utc
from desk.read import unreadable
from desk.store import audit
from desk.store.models import Contact, Conversation, Message
from desk.store.settings import Settings

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


class MessageDoc(TypedDict):
    id: int
    direction: str
    state: str
    body: str
    created_utc: str | None
    created_local: str | None
    sent_utc: str | None
    sent_local: str | None
    delivered_utc: str | None
    delivered_local: str | None
    sender_time_utc: str | None
    parts: int
    encoding: str
    staff: str | None
    source: str
    automated: bool
    error: str | None
    flags: list[str]
    masked: bool


class ContactDoc(TypedDict):
    id: int
    number: str
    name: str | None
    notes: str
    tags: list[str]
    opted_out: bool
    callback_requested: bool


class ConversationDoc(TypedDict):
    id: int
    status: str
    unread: int
    last_activity_utc: str | None
    last_activity_local: str | None
    contact: ContactDoc
    messages: list[MessageDoc]


class UnreadableDoc(TypedDict):
    """An incoming message that could not be read: who sent it (when known), when, and why."""

    id: int
    sender: str | None
    conversation_id: int | None  # the conversation with that sender, if there is one
    received_utc: str | None
    received_local: str | None
    text: str  # unreadable.NOTE
    error: str
    storage: str | None


class ExportDoc(TypedDict):
    format: str
    version: int
    exported_at: str | None
    timezone: str
    conversations: list[ConversationDoc]
    unreadable: list[UnreadableDoc]


CsvRow = dict[str, str | int | None]


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_local(value: datetime | None, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    return utc(value).astimezone(tz).replace(microsecond=0).isoformat()


def _zone(tz: ZoneInfo | None) -> ZoneInfo:
    return tz if tz is not None else Settings().shop_zone()


def _country(country: str | None) -> str:
    return country if country is not None else str(Settings().get("default_country"))


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


def _message_dict(m: Message, tz: ZoneInfo) -> MessageDoc:
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


def _contact_dict(c: Contact) -> ContactDoc:
    return {
        "id": c.id,
        "number": c.number,
        "name": c.name,
        "notes": c.notes,
        "tags": c.tag_list,
        "opted_out": c.opted_out,
        "callback_requested": c.callback_requested,
    }


def _unreadable(
    conversations: list[Conversation], *, everything: bool, zone: ZoneInfo, country: str
) -> list[UnreadableDoc]:
    """The unreadable messages of an export: all of them for a full one, else those from the
    exported conversations' customers."""
    by_number = {c.contact.number: c.id for c in conversations}
    rows = (
        unreadable.all_unreadable(default_country=country)
        if everything
        else unreadable.unreadable_from(by_number, default_country=country)
    )
    return [
        {
            "id": row.id,
            "sender": row.sender,
            "conversation_id": by_number.get(row.sender) if row.sender else None,
            "received_utc": iso_utc(row.received_at),
            "received_local": iso_local(row.received_at, zone),
            "text": row.note,
            "error": row.error,
            "storage": row.storage,
        }
        for row in rows
    ]


def export_data(
    conversation_ids: Iterable[int] | None = None,
    *,
    tz: ZoneInfo | None = None,
    country: str | None = None,
    clock: Clock | None = None,
) -> ExportDoc:
    """The export (no audit line): {"format", "version", "exported_at", "timezone",
    "conversations": [{id, status, contact, last_activity_utc, messages: [...]}, …],
    "unreadable": [{id, sender, conversation_id, received_utc, text, error, …}, …]}.
    ``country``: to read unreadable messages' national-format senders (default: the setting)."""
    zone = _zone(tz)
    now = (clock or SystemClock()).now()
    conversations = _conversations(conversation_ids)
    out: list[ConversationDoc] = []
    for conv in conversations:
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
        "unreadable": _unreadable(
            conversations,
            everything=conversation_ids is None,
            zone=zone,
            country=_country(country),
        ),
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
    country: str | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> ExportDoc:
    """``export_data`` plus an AuditLog line "exported"."""
    ids = list(conversation_ids) if conversation_ids is not None else None
    data = export_data(ids, tz=tz, country=country, clock=clock)
    count = sum(len(c["messages"]) for c in data["conversations"])
    detail = f"JSON, {_scope(ids)}, {count} messages"
    if data["unreadable"]:
        detail += f", {len(data['unreadable'])} unreadable"
    audit.record("exported", detail, staff, clock=clock)
    return data


def write_json(
    path: str | os.PathLike[str] | None,
    conversation_ids: Iterable[int] | None = None,
    *,
    stream: TextIO | None = None,
    tz: ZoneInfo | None = None,
    country: str | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> int:
    """Write the JSON export to ``path`` (0600) or, when ``path`` is None, to ``stream``;
    returns the number of messages."""
    target = _target(path, stream)
    data = export_json(conversation_ids, tz=tz, country=country, staff=staff, clock=clock)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if isinstance(target, Path):
        write_private(target, text)
    else:
        target.write(text)
    return sum(len(c["messages"]) for c in data["conversations"])


def _target(path: str | os.PathLike[str] | None, stream: TextIO | None) -> Path | TextIO:
    if path is not None:
        return Path(path)
    if stream is None:
        raise ValueError("an export needs a file or a stream")
    return stream


@contextlib.contextmanager
def private_file(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """A text file (UTF-8) only its owner can read, to write an export into.

    A regular file (or none yet) at ``path``: the text goes to a new file beside it, created
    0600, which then replaces ``path`` (an old export's looser mode is not inherited; on an
    error ``path`` is left as it was). Something else at ``path`` (a FIFO, /dev/null) is
    written in place."""
    target = Path(path)
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_private(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` as an owner-only file (see ``private_file``): for any export,
    including the window's plain-text one."""
    with private_file(path) as fh:
        fh.write(text)


def safe_cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula: a customer's "=HYPERLINK(…)" gets a
    leading apostrophe (the usual CSV-injection guard)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def csv_rows(
    conversation_ids: Iterable[int] | None = None, *, tz: ZoneInfo | None = None
) -> Iterator[CsvRow]:
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
    stream: TextIO | None = None,
    tz: ZoneInfo | None = None,
    staff: str | None = None,
    clock: Clock | None = None,
) -> int:
    """Write the CSV export (UTF-8, header row) to ``path`` (0600) or, when ``path`` is None,
    to ``stream``; returns the number of messages written. Audit-logged."""
    target = _target(path, stream)
    ids = list(conversation_ids) if conversation_ids is not None else None
    rows = csv_rows(ids, tz=tz)
    if isinstance(target, Path):
        with private_file(target) as fh:
            n = _write_rows(fh, rows)
    else:
        n = _write_rows(target, rows)
    audit.record("exported", f"CSV, {_scope(ids)}, {n} messages", staff, clock=clock)
    return n


def _write_rows(fh: TextIO, rows: Iterator[CsvRow]) -> int:
    writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n
