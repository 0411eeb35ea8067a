"""Messages of one conversation, with a day header row wherever the local day changes.

Loads the newest page first; ``load_older()`` prepends the previous page (whole days, see
desk.read.queries.thread_page). Live changes come from the bridge: ``add_message`` / ``update_message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desk.messaging import notes
from desk.messaging.notes import NoteRow
from desk.read import queries
from desk.read.queries import MessageRow
from ui import fmt

Index = QModelIndex | QPersistentModelIndex
ItemRole = Qt.ItemDataRole.UserRole + 1
MessageIdRole = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class DayItem:
    day: date
    at: datetime


Item = DayItem | MessageRow | NoteRow
Dated = MessageRow | NoteRow  # what a day holds: texts and staff's internal notes


class ThreadModel(QAbstractListModel):
    def __init__(self, *, zone: tzinfo, page: int = 60, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.page = page
        self.now: datetime | None = None
        self.conversation_id: int | None = None
        self.has_more = False
        self._items: list[Item] = []
        self._pos: dict[int, int] = {}

    def _day(self, row: Dated) -> date:
        return fmt.local(row.created_at, self.zone).date()

    def _with_notes(self, rows: list[MessageRow], until: MessageRow | None = None) -> list[Dated]:
        """``rows`` (one page of texts, oldest first) with the conversation's internal notes of
        the same stretch of time (from the first text on, or all when no older texts exist;
        before ``until``, the first text already shown) merged in by time."""
        if self.conversation_id is None:
            return list(rows)
        since = rows[0].created_at if rows and self.has_more else None
        found = notes.notes_for(self.conversation_id, since=since)
        if until is not None:
            found = [n for n in found if n.key < until.key]
        merged: list[Dated] = [*rows, *found]
        merged.sort(key=lambda r: r.key)
        return merged

    def _with_days(self, rows: list[Dated], prev_day: date | None = None) -> list[Item]:
        out: list[Item] = []
        for row in rows:
            d = self._day(row)
            if d != prev_day:
                out.append(DayItem(d, row.created_at))
                prev_day = d
            out.append(row)
        return out

    def _reindex(self) -> None:
        self._pos = {it.id: n for n, it in enumerate(self._items) if isinstance(it, MessageRow)}

    # --- loading ---------------------------------------------------------------------------
    def load(self, conversation_id: int | None) -> None:
        self.beginResetModel()
        self.conversation_id = conversation_id
        if conversation_id is None:
            self._items, self.has_more = [], False
        else:
            page = queries.thread_page(conversation_id, limit=self.page, zone=self.zone)
            self.has_more = page.has_more
            self._items = self._with_days(self._with_notes(page.messages))
        self._reindex()
        self.endResetModel()

    def oldest(self) -> MessageRow | None:
        for it in self._items:
            if isinstance(it, MessageRow):
                return it
        return None

    def load_older(self) -> int:
        """Prepend the previous page; returns how many rows were added."""
        oldest = self.oldest()
        if self.conversation_id is None or not self.has_more or oldest is None:
            return 0
        page = queries.thread_page(
            self.conversation_id, before=oldest.key, limit=self.page, zone=self.zone
        )
        self.has_more = page.has_more
        if not page.messages:
            return 0
        new = self._with_days(self._with_notes(page.messages, until=oldest))
        # The old first row is the header of the day the new page may end in: drop it.
        if (
            self._items
            and isinstance(self._items[0], DayItem)
            and self._items[0].day == self._day(page.messages[-1])
        ):
            self.beginRemoveRows(QModelIndex(), 0, 0)
            self._items.pop(0)
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        self._items[0:0] = new
        self._reindex()
        self.endInsertRows()
        return len(new)

    def add_message(self, message_id: int) -> bool:
        """A new message in this conversation (live). Returns True if a row was added."""
        if message_id in self._pos:
            return self.update_message(message_id)
        row = queries.message_row(message_id)
        if row is None or row.conversation_id != self.conversation_id:
            return False
        last = next((it for it in reversed(self._items) if not isinstance(it, DayItem)), None)
        if last is not None and row.key < last.key:
            self.load(self.conversation_id)  # out of order (rare): reload
            return True
        new = self._with_days([row], self._day(last) if last else None)
        start = len(self._items)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._items.extend(new)
        self._reindex()
        self.endInsertRows()
        return True

    def update_message(self, message_id: int) -> bool:
        n = self._pos.get(message_id)
        if n is None:
            return False
        row = queries.message_row(message_id)
        if row is None:
            return False
        self._items[n] = row
        idx = self.index(n, 0)
        self.dataChanged.emit(idx, idx)
        return True

    def row_of(self, message_id: int) -> int | None:
        return self._pos.get(message_id)

    def load_until(self, message_id: int, *, max_pages: int = 200) -> int | None:
        pages = 0
        while message_id not in self._pos and self.has_more and pages < max_pages:
            self.load_older()
            pages += 1
        return self._pos.get(message_id)

    def messages(self) -> list[MessageRow]:
        return [it for it in self._items if isinstance(it, MessageRow)]

    def notes(self) -> list[NoteRow]:
        return [it for it in self._items if isinstance(it, NoteRow)]

    # --- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == ItemRole:
            return item
        if isinstance(item, DayItem):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return fmt.day_label(item.at, self.zone, self.now)
            return None
        if isinstance(item, NoteRow):
            if role == Qt.ItemDataRole.DisplayRole:
                return item.body
            if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
                by = f" by {item.staff}" if item.staff else ""
                at = fmt.clock_time(item.created_at, self.zone)
                return f"Internal note{by} at {at}, never sent to the customer: {item.body}"
            return None
        if role == MessageIdRole:
            return item.id
        if role == Qt.ItemDataRole.DisplayRole:
            return item.body
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return describe(item, self.zone)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        item = self._items[index.row()]
        base = Qt.ItemFlag.ItemNeverHasChildren
        if isinstance(item, DayItem | NoteRow):
            return base | Qt.ItemFlag.ItemIsEnabled
        return base | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def describe(row: MessageRow, zone: tzinfo) -> str:
    who = "You sent" if row.outgoing else "Customer wrote"
    bits = [f"{who} at {fmt.clock_time(row.created_at, zone)}: {row.body}"]
    if row.outgoing:
        bits.append(fmt.STATE_WORDS.get(row.state, row.state))
        if row.error:
            bits.append(row.error)
    if row.incomplete:
        bits.append("part of this message has not arrived yet")
    if row.masked:
        bits.append("sensitive numbers were hidden")
    return ". ".join(bits)
