"""Paints one conversation: name, markers and time on top; preview and unread badge below.

Unread is obvious at a glance: a coloured bar on the left, bold name and preview, and a coloured
badge with the count. Done conversations are dimmed.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desk.read.queries import ConversationRow
from ui import fmt, theme
from ui.conversation_model import Marks, MarksRole, RowRole

PAD = 8


class ConversationDelegate(QStyledItemDelegate):
    def __init__(self, zone: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.now: datetime | None = None  # fixed "now" for screenshots/tests

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(200, fm.height() * 2 + int(fm.height() * 0.35) + PAD * 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row: ConversationRow | None = index.data(RowRole)
        style = option.widget.style() if option.widget else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        if row is None:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_color = pal.highlightedText().color() if selected else pal.text().color()
        muted = text_color if selected else theme.MUTED
        r = QRectF(option.rect).adjusted(PAD + 4, PAD, -PAD, -PAD)
        fm = QFontMetrics(option.font)
        line = fm.height()
        unread = row.unread > 0

        if unread:
            painter.fillRect(
                QRectF(option.rect.left(), option.rect.top() + 2, 4, option.rect.height() - 4),
                theme.UNREAD,
            )
        # Line 1: time (right), name (bold if unread), markers.
        small = theme.small(option.font)
        sfm = QFontMetrics(small)
        when = fmt.list_time(row.last_activity_at, self.zone, self.now or datetime.now(UTC))
        time_w = sfm.horizontalAdvance(when) + 4
        painter.setFont(theme.bold(small) if unread else small)
        painter.setPen(theme.UNREAD if unread and not selected else muted)
        painter.drawText(
            QRectF(r.right() - time_w, r.top(), time_w, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            when,
        )
        marks = index.data(MarksRole)
        markers = self._markers(row, marks if isinstance(marks, Marks) else Marks())
        marker_w = sum(sfm.horizontalAdvance(t) + 12 + 4 for t, _ in markers)
        name_font = theme.bold(option.font) if unread else option.font
        painter.setFont(name_font)
        painter.setPen(text_color if row.status != "done" or selected else muted)
        name_room = max(20.0, r.width() - time_w - marker_w - 6)
        name = QFontMetrics(name_font).elidedText(
            row.title(), Qt.TextElideMode.ElideRight, int(name_room)
        )
        name_w = QFontMetrics(name_font).horizontalAdvance(name)
        painter.drawText(
            QRectF(r.left(), r.top(), name_room, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name,
        )
        x = r.left() + name_w + 6
        for text, color in markers:
            w = sfm.horizontalAdvance(text) + 12
            theme.pill(
                painter,
                QRectF(x, r.top() + (line - sfm.height() - 2) / 2, w, sfm.height() + 2),
                text,
                color,
                small,
            )
            x += w + 4

        # Line 2: preview (bold if unread), badge (right).
        y2 = r.top() + line + line * 0.35
        badge_w = 0.0
        if unread:
            badge = str(row.unread) if row.unread < 100 else "99+"
            bfont = theme.bold(small)
            badge_w = max(float(line), QFontMetrics(bfont).horizontalAdvance(badge) + 12.0)
            theme.pill(
                painter, QRectF(r.right() - badge_w, y2, badge_w, line), badge, theme.UNREAD, bfont
            )
        prefix = "You: " if row.last_direction == "out" else ""
        preview = (prefix + row.preview).replace("\n", " ")
        pfont = theme.bold(option.font) if unread else option.font
        painter.setFont(pfont)
        painter.setPen(text_color if unread or selected else muted)
        room = r.width() - badge_w - 8
        painter.drawText(
            QRectF(r.left(), y2, room, line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(pfont).elidedText(preview, Qt.TextElideMode.ElideRight, int(room)),
        )
        painter.restore()

    @staticmethod
    def _markers(row: ConversationRow, marks: Marks) -> list[tuple[str, QColor]]:
        """One marker per meaning, each shown while its cause lasts (see Marks)."""
        out: list[tuple[str, QColor]] = []
        if marks.not_sent:
            out.append(("Not sent", theme.FAILED))
        if marks.unsure:
            out.append(("Not sure it went", theme.UNCERTAIN))
        if marks.asked_to_stop:
            out.append(("Asked to stop", theme.UNCERTAIN))
        if marks.reschedule:
            out.append(("Reschedule", theme.APPOINTMENT))
        if marks.reminder_late:
            out.append(("Reminder not sent", theme.UNCERTAIN))
        if marks.earlier:
            out.append(("Needs attention", theme.UNCERTAIN))
        if row.callback_requested:
            out.append(("Call back", theme.CALLBACK))
        if row.opted_out:
            out.append(("Opted out", theme.FAILED))
        if row.assigned_to:  # whose it is (issue 15 staff), in the muted style of "Done"
            out.append((row.assigned_to, theme.MUTED))
        if row.status == "done":
            out.append(("Done", theme.MUTED))
        return out
