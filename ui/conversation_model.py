"""The conversation list: ids in pages (fetchMore), rows cached and fetched in chunks on demand.

Holds only ids for the loaded pages plus a small cache of rows, so 20k conversations cost a few
hundred KB and scroll smoothly. ``refresh()`` re-reads the loaded ids after an engine event and
keeps selection/persistent indexes on the same conversations (layoutChanged), falling back to a
reset only when rows came or went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desk.read import queries
from desk.read.queries import ConversationRow
from desk.store import models as m

Index = QModelIndex | QPersistentModelIndex

RowRole = Qt.ItemDataRole.UserRole + 1
IdRole = Qt.ItemDataRole.UserRole + 2
UnreadRole = Qt.ItemDataRole.UserRole + 3
MarksRole = Qt.ItemDataRole.UserRole + 4


@dataclass(frozen=True)
class Marks:
    """What needs a person in a conversation, one field per meaning, each there while its cause
    is (``conversation.attention``, written by desk.store.attention only, the very causes the
    "Needs attention" filter reads): a send that failed or may not have gone out (until it is
    resent, marked as sent or deleted), a customer who asked by text to stop (until they are
    opted out, or text START), an appointment they asked to move (until it is moved or
    handled), a reminder that could not go before its appointment (until staff handle it)."""

    not_sent: int = 0  # failed outgoing messages among the recent ones (at least 1 if marked)
    unsure: int = 0  # outgoing messages that may or may not have gone out
    asked_to_stop: bool = False
    reschedule: bool = False  # replied R to an appointment reminder; until it is moved
    reminder_late: bool = False  # a reminder could not go before its appointment
    earlier: bool = False  # flagged before TextDesk recorded why (Done clears it)


def asked_to_stop(row: ConversationRow) -> str | None:
    """The customer's text asking to stop while that cause lasts (no opt-out or opt-in has
    followed it); None otherwise."""
    if m.ATTENTION_OPTOUT_TEXT not in row.attention:
        return None
    asked = [
        e for e in queries.consent_history(row.contact_id, limit=10) if e.kind == "optout_text"
    ]
    return (asked[0].text or "") if asked else ""


def marks_for(row: ConversationRow) -> Marks:
    causes = set(row.attention)
    not_sent = unsure = 0
    if causes & {m.ATTENTION_FAILED, m.ATTENTION_UNCERTAIN}:
        states = [r.state for r in queries.attention_messages(row.id)]
        not_sent, unsure = states.count(m.FAILED), states.count(m.UNCERTAIN)
    return Marks(
        not_sent=max(not_sent, 1) if m.ATTENTION_FAILED in causes else 0,
        unsure=max(unsure, 1) if m.ATTENTION_UNCERTAIN in causes else 0,
        asked_to_stop=m.ATTENTION_OPTOUT_TEXT in causes,
        reschedule=m.ATTENTION_APPOINTMENT in causes,
        reminder_late=m.ATTENTION_REMINDER_LATE in causes,
        earlier=m.ATTENTION_EARLIER in causes,
    )


class ConversationListModel(QAbstractListModel):
    def __init__(
        self,
        *,
        zone: tzinfo,
        country: str = "US",
        page: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.zone = zone
        self.country = country
        self.page = page
        self.filter = "all"
        self.staff: str | None = None  # who "mine" means (None: nobody signed in)
        self._ids: list[int] = []
        self._pos: dict[int, int] = {}
        self._rows: dict[int, ConversationRow] = {}
        self._marks: dict[int, Marks] = {}
        self._exhausted = False

    # --- loading ---------------------------------------------------------------------------
    def set_filter(self, name: str) -> None:
        if name not in queries.FILTERS:
            raise ValueError(name)
        self.filter = name
        self.reload()

    def reschedules_changed(self) -> None:
        """An appointment changed (its cause may have ended): re-read the rows, repaint."""
        self._rows.clear()
        self._marks.clear()
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, 0))

    def reload(self) -> None:
        self.beginResetModel()
        self._ids = queries.conversation_ids(self.filter, limit=self.page, staff=self.staff)
        self._exhausted = len(self._ids) < self.page
        self._rows.clear()
        self._marks.clear()
        self._reindex()
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        more = queries.conversation_ids(
            self.filter, limit=self.page, offset=len(self._ids), staff=self.staff
        )
        more = [i for i in more if i not in self._pos]
        if len(more) < self.page:
            self._exhausted = True
        if more:
            start = len(self._ids)
            self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
            self._ids.extend(more)
            self._reindex()
            self.endInsertRows()

    def refresh(self, changed: int | None = None) -> None:
        """Re-read the loaded part of the list (after an event); keep the selection."""
        if changed is not None:
            self._rows.pop(changed, None)
            self._marks.pop(changed, None)
        want = max(len(self._ids), self.page)
        new = queries.conversation_ids(self.filter, limit=want, staff=self.staff)
        if len(new) < want:
            self._exhausted = True
        if set(new) == set(self._ids) and len(new) == len(self._ids):
            if new != self._ids:
                self.layoutAboutToBeChanged.emit()
                old_persistent = self.persistentIndexList()
                ids_of = [self._ids[p.row()] for p in old_persistent]
                self._ids = new
                self._reindex()
                self.changePersistentIndexList(
                    old_persistent, [self.index(self._pos[i], 0) for i in ids_of]
                )
                self.layoutChanged.emit()
            if changed is not None and changed in self._pos:
                idx = self.index(self._pos[changed], 0)
                self.dataChanged.emit(idx, idx)
            return
        self.beginResetModel()
        self._ids = new
        self._rows = {k: v for k, v in self._rows.items() if k != changed}
        self._reindex()
        self.endResetModel()

    def _reindex(self) -> None:
        self._pos = {cid: n for n, cid in enumerate(self._ids)}

    def _row(self, n: int) -> ConversationRow | None:
        cid = self._ids[n]
        row = self._rows.get(cid)
        if row is None:
            lo = max(0, n - 30)
            chunk = [i for i in self._ids[lo : n + 70] if i not in self._rows]
            if len(self._rows) > 5000:
                self._rows.clear()
                self._marks.clear()
            self._rows.update(queries.conversation_rows(chunk))
            row = self._rows.get(cid)
        return row

    def marks(self, row: ConversationRow) -> Marks:
        """The conversation's markers, read once per loaded row (re-read when it changes)."""
        found = self._marks.get(row.id)
        if found is None:
            found = self._marks[row.id] = marks_for(row)
        return found

    # --- lookups ---------------------------------------------------------------------------
    def row_of(self, conversation_id: int) -> int | None:
        return self._pos.get(conversation_id)

    def id_at(self, n: int) -> int | None:
        return self._ids[n] if 0 <= n < len(self._ids) else None

    def load_until(self, conversation_id: int, *, max_rows: int = 100_000) -> int | None:
        """Fetch pages until ``conversation_id`` is loaded (jumping to a search hit)."""
        while (
            conversation_id not in self._pos and self.canFetchMore() and len(self._ids) < max_rows
        ):
            self.fetchMore()
        return self._pos.get(conversation_id)

    # --- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == IdRole:
            return self._ids[index.row()]
        row = self._row(index.row())
        if row is None:
            return None
        if role == RowRole:
            return row
        if role == UnreadRole:
            return row.unread
        if role == MarksRole:
            return self.marks(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title(self.country)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.describe(row)
        return None

    def describe(self, row: ConversationRow) -> str:
        bits = [row.title(self.country)]
        if row.unread:
            bits.append(f"{row.unread} unread")
        if row.status == "done":
            bits.append("done")
        if row.callback_requested:
            bits.append("wants a call back")
        if row.opted_out:
            bits.append("opted out")
        marks = self.marks(row)
        if marks.not_sent:
            bits.append("a text was not sent" if marks.not_sent == 1 else "texts were not sent")
        if marks.unsure:
            bits.append("not sure a text went out")
        if marks.asked_to_stop:
            bits.append("asked to stop in a text")
        if marks.reschedule:
            bits.append("wants to move their appointment")
        if marks.reminder_late:
            bits.append("a reminder could not go before the appointment")
        if marks.earlier:
            bits.append("needs attention")
        bits.append(row.preview)
        return ", ".join(bits)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )
