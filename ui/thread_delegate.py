"""Paints message bubbles and day headers; the state of an outgoing message is spelled out.

Outgoing bubbles sit right, incoming left. Under each outgoing bubble: the time and the state in
words with ticks, coloured (delivered green, failed red, uncertain orange). A failed message says
why; an uncertain one carries "Resend" and "It went out" buttons (also reachable from the banner
above the composer, as real buttons, for the keyboard and screen readers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from desk.base.events import ModemState
from desk.messaging.notes import NoteRow
from desk.read import waiting
from desk.read.appointment_replies import Reply
from desk.read.queries import MessageRow
from desk.store import models as m
from ui import fmt, theme
from ui.thread_model import DayItem, ItemRole

MARGIN = 12
PAD = 9
WRAP = Qt.TextFlag.TextWordWrap


@dataclass(frozen=True)
class Wrapped:
    """Text broken into lines for a width (``wrapped``): each line's text, top and height."""

    lines: tuple[tuple[str, float, float], ...]
    width: int  # the widest line, whole pixels
    height: int

    def texts(self) -> list[str]:
        return [text for text, _y, _h in self.lines]

    def draw(self, painter: QPainter, rect: QRectF) -> None:
        for text, y, h in self.lines:
            painter.drawText(
                QRectF(rect.left(), rect.top() + y, rect.width() + 4, h),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                text.rstrip(),
            )


def wrapped(text: str, font: QFont, width: float) -> Wrapped:
    """``text`` broken into lines of ``width`` between words; inside a word only when that word
    alone is wider than a line (a long link or number), as QTextOption's
    WrapAtWordBoundaryOrAnywhere: "confirm today", never "confirm to / day"."""
    fm = QFontMetrics(font)
    step = float(fm.lineSpacing())
    out: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        line = ""
        for word in re.findall(r"\S+\s*|\s+", paragraph) or [""]:
            if fm.horizontalAdvance((line + word).rstrip()) <= width:
                line += word
                continue
            if line:
                out.append(line)
                line = ""
            while fm.horizontalAdvance(word.rstrip()) > width:  # longer than a line: cut it
                low, high = 1, len(word)  # the most characters that fit (at least one)
                while low < high:
                    mid = (low + high + 1) // 2
                    low, high = (
                        (mid, high) if fm.horizontalAdvance(word[:mid]) <= width else (low, mid - 1)
                    )
                cut = low
                out.append(word[:cut])
                word = word[cut:]
            line = word
        out.append(line)
    widest = max((fm.horizontalAdvance(line.rstrip()) for line in out), default=0)
    lines = tuple((line, i * step, step) for i, line in enumerate(out))
    return Wrapped(lines, widest, int(len(out) * step + 0.999))


@dataclass
class Layout:
    size: QSize
    bubble: QRectF
    text: QRectF
    meta: QRectF
    meta_text: str
    note: QRectF | None = None
    note_text: str = ""
    buttons: list[tuple[str, str, QRectF]] = field(default_factory=list)  # (action, label, rect)
    body: Wrapped | None = None  # the body's lines (wrapped), drawn at ``text``


def state_color(state: str) -> QColor:
    return {
        m.DELIVERED: theme.DELIVERED,
        m.FAILED: theme.FAILED,
        m.UNCERTAIN: theme.UNCERTAIN,
    }.get(state, theme.MUTED)


# Why a waiting text has not gone, when the modem is the reason (said in its bubble).
MODEM_WAITING = {
    ModemState.DISCONNECTED: "the modem is not connected",
    ModemState.CONNECTING: "TextDesk is connecting to the modem",
    ModemState.PIN_NEEDED: "the SIM card needs its PIN",
    ModemState.NO_NETWORK: "the modem has no mobile network",
    ModemState.ERROR: "the modem has a problem",
}


def waiting_note(
    row: MessageRow,
    modem_waiting: str = "",
    *,
    zone: tzinfo | None = None,
    limits: waiting.Limits | None = None,
    now: datetime | None = None,
    customer_zone: tzinfo | None = None,
) -> str:
    """Why a queued message has not gone yet and until when, in the bubble (desk.read.waiting:
    the hold the core recorded, the modem's error and retry time, the modem's state)."""
    wait = waiting.why_waiting(
        row,
        now=now,
        zone=zone or UTC,
        limits=limits,
        modem_waiting=modem_waiting,
        customer_zone=customer_zone,
    )
    return wait.words if wait is not None else ""


def note_for(row: MessageRow, modem_waiting: str = "", **when: Any) -> str:
    if row.outgoing and row.state == m.QUEUED:
        return waiting_note(row, modem_waiting, **when)
    if row.outgoing and row.state == m.FAILED:
        return (
            "Not sent: "
            + (row.error or "the modem refused it.")
            + "  Resend it or call the customer."
        )
    if row.outgoing and row.state == m.UNCERTAIN:
        return "Not sure it went out: " + (row.error or "the app or modem stopped while sending.")
    if row.incomplete:
        return "Part of this message has not arrived yet; the rest will be added when it comes."
    if row.masked:
        return "Card or ID numbers in this message were hidden for safety."
    return ""


REPLY_WORDS = {
    "confirmed": "confirmed",
    "reschedule": "asked to move",
    "cancelled": "cancelled",
}


def reply_note(reply: Reply, zone: tzinfo) -> str:
    """ "→ confirmed: check-up, Tue 9 Dec 09:30": what a customer's answer did to the
    appointment (as it stands now)."""
    local = fmt.local(reply.starts_at, zone)
    what = f"{reply.service}, " if reply.service else "appointment "
    done = REPLY_WORDS.get(reply.state, "answered")
    return (
        f"→ {done}: {what}{local:%a} {local.day} {local:%b} {fmt.clock_time(reply.starts_at, zone)}"
    )


class ThreadDelegate(QStyledItemDelegate):
    actionClicked = Signal(str, int)  # "resend" | "went_out" | "send_now", message id

    def __init__(self, zone: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.width = 600
        # Why nothing can go out now ("the modem is not connected"), "" when the modem is ready:
        # said in the bubble of every waiting message.
        self.modem_waiting = ""
        # The send limits named in a held text's note (the window sets them from the settings),
        # and the clock the notes are read against (the engine's).
        self.limits = waiting.Limits()
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.customer_zone: tzinfo | None = None  # the open conversation's customer's
        self.replies: dict[int, Reply] = {}  # incoming texts on show that answered an appointment
        self._cache: dict[tuple[MessageRow, int, str, str, int], Layout] = {}

    def set_modem_waiting(self, reason: str) -> bool:
        """Set why the modem cannot send now; True when that changed (the bubbles re-lay out)."""
        if reason == self.modem_waiting:
            return False
        self.modem_waiting = reason
        self._cache.clear()
        return True

    def set_limits(self, limits: waiting.Limits) -> bool:
        """Set the send limits held texts' notes name; True when they changed."""
        if limits == self.limits:
            return False
        self.limits = limits
        self._cache.clear()
        return True

    def set_replies(self, replies: dict[int, Reply]) -> bool:
        """The appointment answers among the texts on show; True when they changed."""
        if replies == self.replies:
            return False
        self.replies = replies
        self._cache.clear()
        return True

    def set_customer_zone(self, zone: tzinfo | None) -> None:
        """The open conversation's customer's time zone (quiet hours end on their clock)."""
        if zone != self.customer_zone:
            self.customer_zone = zone
            self._cache.clear()

    def set_width(self, width: int) -> None:
        if width != self.width:
            self.width = width
            self._cache.clear()

    # --- geometry --------------------------------------------------------------------------
    def layout(self, row: MessageRow, font: QFont) -> Layout:
        now = self.now()
        # a waiting text's note reads against the time: laid out again each minute
        tick = int(now.timestamp() // 60) if row.state == m.QUEUED else 0
        key = (row, self.width, font.key(), self.modem_waiting, tick)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        fm = QFontMetrics(font)
        small = theme.small(font)
        sfm = QFontMetrics(small)
        max_w = max(180, int(self.width * 0.72))
        inner = max_w - 2 * PAD
        body = row.body or ("(empty message)" if not row.incomplete else "…")
        body_lines = wrapped(body, font, inner)
        tr = QRect(0, 0, body_lines.width, body_lines.height)
        meta = fmt.clock_time(row.created_at, self.zone)
        if row.outgoing:
            meta += f"  {fmt.STATE_TICKS.get(row.state, '')} {fmt.STATE_WORDS.get(row.state, row.state)}"
            if row.parts > 1:
                meta += f" · {row.parts} SMS"
        elif row.incomplete:
            meta += "  · incomplete"
        meta_w = sfm.horizontalAdvance(meta) + 2
        bw = max(tr.width(), meta_w, fm.horizontalAdvance("MM")) + 2 * PAD
        bh = tr.height() + 4 + sfm.height() + 2 * PAD
        x = self.width - MARGIN - bw if row.outgoing else MARGIN
        y = 4
        bubble = QRectF(x, y, bw, bh)
        text = QRectF(x + PAD, y + PAD, bw - 2 * PAD, tr.height())
        meta_r = QRectF(x + PAD, y + PAD + tr.height() + 4, bw - 2 * PAD, sfm.height())
        height = y + bh + 4
        lay = Layout(QSize(self.width, 0), bubble, text, meta_r, meta, body=body_lines)
        note = note_for(
            row,
            self.modem_waiting,
            zone=self.zone,
            limits=self.limits,
            now=now,
            customer_zone=self.customer_zone,
        )
        reply = self.replies.get(row.id) if not row.outgoing else None
        if reply is not None:
            note = reply_note(reply, self.zone) + (f"  {note}" if note else "")
        if note:
            nr = sfm.boundingRect(QRect(0, 0, max_w, 1_000_000), int(WRAP), note)
            nx = self.width - MARGIN - nr.width() if row.outgoing else MARGIN
            lay.note = QRectF(nx, height, nr.width() + 2, nr.height())
            lay.note_text = note
            height += nr.height() + 4
        actions: list[tuple[str, str]] = []
        if row.outgoing and row.state == m.UNCERTAIN:
            actions = [("resend", "Resend"), ("went_out", "It went out")]
        elif row.outgoing and row.state == m.FAILED:
            actions = [("resend", "Resend")]
        elif row.outgoing and row.state == m.QUEUED:
            wait = waiting.why_waiting(
                row, now=now, zone=self.zone, limits=self.limits, modem_waiting=self.modem_waiting
            )
            if wait is not None and wait.can_send_now:
                actions = [("send_now", "Send now")]
        if actions:
            bh2 = sfm.height() + 10
            widths = [sfm.horizontalAdvance(label) + 24 for _a, label in actions]
            total = sum(widths) + 8 * (len(widths) - 1)
            bx = self.width - MARGIN - total if row.outgoing else MARGIN
            for (action, label), w in zip(actions, widths, strict=True):
                lay.buttons.append((action, label, QRectF(bx, height + 2, w, bh2)))
                bx += w + 8
            height += bh2 + 8
        lay.size = QSize(self.width, int(height + 4))
        if len(self._cache) > 4000:
            self._cache.clear()
        self._cache[key] = lay
        return lay

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        item = index.data(ItemRole)
        if isinstance(item, DayItem) or item is None:
            return QSize(self.width, QFontMetrics(option.font).height() + 16)
        if isinstance(item, NoteRow):
            return self.note_layout(item, option.font)[0]
        return self.layout(item, option.font).size

    # --- painting --------------------------------------------------------------------------
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        item = index.data(ItemRole)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if isinstance(item, DayItem):
            self._paint_day(painter, option, index.data(Qt.ItemDataRole.DisplayRole) or "")
        elif isinstance(item, MessageRow):
            self._paint_message(painter, option, item)
        elif isinstance(item, NoteRow):
            self._paint_note(painter, option, item)
        painter.restore()

    # --- internal notes: across the thread, sticky-note yellow, never a bubble -----------------
    def note_head(self, note: NoteRow) -> str:
        by = f" · {note.staff}" if note.staff else ""
        return f"INTERNAL NOTE{by} · {fmt.clock_time(note.created_at, self.zone)} · not sent"

    def note_layout(self, note: NoteRow, font: QFont) -> tuple[QSize, QRectF, QRectF, QRectF]:
        """(size, box, head, text) of an internal note: centred, most of the width."""
        size, box, head, text, _lines = self.note_text_layout(note, font)
        return size, box, head, text

    def note_text_layout(
        self, note: NoteRow, font: QFont
    ) -> tuple[QSize, QRectF, QRectF, QRectF, Wrapped]:
        """note_layout and the note's text in lines (broken between words, see ``wrapped``)."""
        sfm = QFontMetrics(theme.bold(theme.small(font)))
        w = max(200, int(self.width * 0.8))
        inner = w - 2 * PAD
        lines = wrapped(note.body, font, inner)
        th = lines.height
        x = (self.width - w) / 2
        box = QRectF(x, 6, w, sfm.height() + 4 + th + 2 * PAD)
        head = QRectF(x + PAD, 6 + PAD, inner, sfm.height())
        text = QRectF(x + PAD, head.bottom() + 4, inner, th)
        return QSize(self.width, int(box.bottom() + 8)), box, head, text, lines

    def _paint_note(self, painter: QPainter, option: QStyleOptionViewItem, note: NoteRow) -> None:
        _size, box, head, text, lines = self.note_text_layout(note, option.font)
        top = option.rect.top()
        painter.setBrush(theme.NOTE_BG)
        painter.setPen(QPen(theme.NOTE_EDGE, 1.5, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(box.translated(0, top), 4, 4)
        painter.setPen(theme.NOTE_TEXT)
        painter.setFont(theme.bold(theme.small(option.font)))
        painter.drawText(
            head.translated(0, top), int(Qt.AlignmentFlag.AlignLeft), self.note_head(note)
        )
        painter.setFont(option.font)
        lines.draw(painter, text.translated(0, top))

    def _paint_day(self, painter: QPainter, option: QStyleOptionViewItem, label: str) -> None:
        font = theme.bold(theme.small(option.font))
        fm = QFontMetrics(font)
        w = fm.horizontalAdvance(label) + 24
        r = QRectF(option.rect.center().x() - w / 2, option.rect.top() + 6, w, fm.height() + 4)
        bg = QColor(option.palette.window().color())
        bg = bg.darker(112) if not theme.is_dark(option.palette) else bg.lighter(140)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        painter.setPen(option.palette.text().color())
        painter.setFont(font)
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_message(
        self, painter: QPainter, option: QStyleOptionViewItem, row: MessageRow
    ) -> None:
        lay = self.layout(row, option.font)
        top = option.rect.top()
        bg, fg = theme.bubble_colors(row.outgoing, option.palette)
        bubble = lay.bubble.translated(0, top)
        painter.setBrush(bg)
        if row.outgoing and row.state in (m.FAILED, m.UNCERTAIN):
            painter.setPen(QPen(state_color(row.state), 2))
        elif row.incomplete or row.masked:
            painter.setPen(QPen(theme.UNCERTAIN, 1.5, Qt.PenStyle.DashLine))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(bubble, 12, 12)
        painter.setPen(fg)
        painter.setFont(option.font)
        if lay.body is not None:
            lay.body.draw(painter, lay.text.translated(0, top))
        small = theme.small(option.font)
        painter.setFont(small)
        meta_color = state_color(row.state) if row.outgoing else QColor(fg)
        if row.outgoing and row.state in (m.SENT, m.QUEUED, m.SENDING):
            meta_color = QColor(fg)
            meta_color.setAlphaF(0.75)
        if row.outgoing and row.state == m.DELIVERED and not theme.is_dark(option.palette):
            meta_color = theme.DELIVERED
        painter.setPen(meta_color)
        align = Qt.AlignmentFlag.AlignRight if row.outgoing else Qt.AlignmentFlag.AlignLeft
        painter.drawText(
            lay.meta.translated(0, top), align | Qt.AlignmentFlag.AlignVCenter, lay.meta_text
        )
        if lay.note is not None:
            color = (
                state_color(row.state)
                if row.outgoing and row.state != m.QUEUED
                else theme.UNCERTAIN
            )
            reply = self.replies.get(row.id) if not row.outgoing else None
            if reply is not None:
                color = theme.DELIVERED if reply.state == "confirmed" else theme.CALLBACK
            painter.setPen(color)
            painter.drawText(lay.note.translated(0, top), int(WRAP), lay.note_text)
        for action, label, rect in lay.buttons:
            r = rect.translated(0, top)
            color = (
                theme.UNCERTAIN if action == "resend" and row.state == m.UNCERTAIN else theme.UNREAD
            )
            if action == "went_out":
                color = theme.DELIVERED
            if action == "send_now":
                color = theme.UNCERTAIN
            theme.pill(painter, r, label, color, theme.bold(small))

    # --- clicks on the painted buttons -----------------------------------------------------
    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if event.type() != QEvent.Type.MouseButtonRelease:
            return False
        item = index.data(ItemRole)
        if not isinstance(item, MessageRow):
            return False
        lay = self.layout(item, option.font)
        pos = event.position() if isinstance(event, QMouseEvent) else None
        if pos is None:
            return False
        for action, _label, rect in lay.buttons:
            if rect.translated(0, option.rect.top()).contains(pos):
                self.actionClicked.emit(action, item.id)
                return True
        return False

    def button_rect(self, row: MessageRow, font: QFont, action: str) -> QRectF | None:
        for a, _label, rect in self.layout(row, font).buttons:
            if a == action:
                return rect
        return None
