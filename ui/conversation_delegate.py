"""Paints one conversation: name, markers and time on top; preview and unread badge below.

Unread is obvious at a glance: a coloured bar on the left, bold name and preview, and a coloured
badge with the count. Done conversations are dimmed.

When the list is narrow for its text (large text, 200 %: fewer than NARROW_CHARS average
characters across), every row has a third line, so the preview keeps room for what the customer
wrote: its preview has lines 2 and 3, broken between words, after the markers that do not fit
beside the name and so sit on line 2 (on line 3 alone when those markers leave less than
MIN_AFTER_MARKERS characters, or not its first word, on line 2). Rows are all one height (the
list's uniform item size), decided by the list's width.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desk.read.queries import ConversationRow
from ui import fmt, theme
from ui.conversation_model import Marks, MarksRole, RowRole

PAD = 8
NARROW_CHARS = 40  # a text width of fewer average characters than this: three lines a row
MIN_PREVIEW_CHARS = 25  # a two-line row's preview beside line 2's markers: at least this (about)
# A two-line row whose markers share line 2 with the preview says these in short words when
# the whole ones would leave the preview fewer than MIN_PREVIEW_CHARS (the list's tooltip and
# accessible text say them whole; "Attention" is the filter's own word).
SHORT_MARKERS = {"Needs attention": "Attention", "Not sure it went": "Not sure"}
MIN_AFTER_MARKERS = 6  # average characters left after line 2's markers: the preview starts there


@dataclass
class RowLayout:
    """Where a conversation row's parts go (ConversationDelegate.row_layout)."""

    time_text: str
    time_rect: QRectF
    name: str = ""  # as drawn: the whole name unless even alone it is wider than the row
    name_rect: QRectF = field(default_factory=QRectF)
    markers: list[tuple[str, QColor, QRectF]] = field(default_factory=list)
    hidden_markers: list[str] = field(default_factory=list)  # counted in the "+N" marker
    preview: str = ""
    preview_rect: QRectF = field(default_factory=QRectF)
    badge_text: str = ""
    badge_rect: QRectF | None = None
    lines: int = 2  # 3 when the list is narrow for its text (see the module doc)
    preview2: str = ""  # a narrow row's second line of preview, when it has one
    preview2_rect: QRectF = field(default_factory=QRectF)


def is_narrow(width: float, font: QFont) -> bool:
    """Is a row ``width`` wide (the item's) narrow for ``font``: three lines a row?"""
    text_width = width - 2 * PAD - 4
    return text_width < QFontMetrics(font).averageCharWidth() * NARROW_CHARS


def row_height(font: QFont, lines: int) -> int:
    fm = QFontMetrics(font)
    gap = int(fm.height() * 0.35)
    return fm.height() * lines + gap * (lines - 1) + PAD * 2


def _split_two(text: str, fm: QFontMetrics, first: float, second: float) -> tuple[str, str]:
    """``text`` on two lines, ``first`` and ``second`` wide: broken between words (inside a word
    only when the first word alone is wider than the line), the rest elided at the end."""
    if fm.horizontalAdvance(text) <= first:
        return text, ""
    line = ""
    words = re.findall(r"\S+\s*|\s+", text)
    i = 0
    while i < len(words) and fm.horizontalAdvance((line + words[i]).rstrip()) <= first:
        line += words[i]
        i += 1
    if line.strip():
        rest = "".join(words[i:])
    else:  # one word wider than the line: as many characters as fit
        cut = len(fm.elidedText(text, Qt.TextElideMode.ElideNone, int(first)))
        while cut > 1 and fm.horizontalAdvance(text[:cut]) > first:
            cut -= 1
        line, rest = text[:cut], text[cut:]
    return line.rstrip(), fm.elidedText(rest.lstrip(), Qt.TextElideMode.ElideRight, int(second))


class _Resized(QObject):
    """Calls ``then`` after each resize of the widget it filters (a list's viewport)."""

    def __init__(self, parent: QObject, then: Callable[[], None]) -> None:
        super().__init__(parent)
        self.then = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.then()
        return False


class ConversationDelegate(QStyledItemDelegate):
    def __init__(self, zone: tzinfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.now: datetime | None = None  # fixed "now" for screenshots/tests
        self._narrow: bool | None = None  # as the rows' height was last given (see watch)

    def watch(self, view: QListView) -> None:
        """Rows of uniform size are measured once: when a resize of ``view`` makes the list
        narrow for its text, or wide again, they are measured again (two lines or three)."""
        view.viewport().installEventFilter(_Resized(view, lambda: self._resized(view)))

    def _resized(self, view: QListView) -> None:
        narrow = is_narrow(float(view.viewport().width()), view.font())
        if narrow != self._narrow:
            self._narrow = narrow
            self.sizeHintChanged.emit(view.model().index(0, 0))

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        width = float(option.rect.width())
        view = option.widget
        if width <= 0 and view is not None:
            viewport = getattr(view, "viewport", None)
            width = float(viewport().width() if viewport is not None else view.width())
        return QSize(200, row_height(option.font, 3 if is_narrow(width, option.font) else 2))

    def row_layout(
        self, rect: QRectF, font: QFont, row: ConversationRow, marks: Marks
    ) -> RowLayout:
        """Where each part of a conversation's row goes in ``rect`` (the item's rect).

        The name is what staff look for, so it wins: the markers sit beside it only when the
        whole name fits with them; otherwise they move to the second line, before the preview
        (as many as fit, the rest counted in a "+N" marker). A narrow row (``is_narrow``) has a
        third line, for the preview."""
        narrow = is_narrow(rect.width(), font)
        r = QRectF(rect).adjusted(PAD + 4, PAD, -PAD, -PAD)
        fm = QFontMetrics(font)
        line = fm.height()
        unread = row.unread > 0
        small = theme.small(font)
        sfm = QFontMetrics(small)
        when = fmt.list_time(row.last_activity_at, self.zone, self.now or datetime.now(UTC))
        time_font = theme.bold(small) if unread else small
        time_w = QFontMetrics(time_font).horizontalAdvance(when) + 4
        lay = RowLayout(time_text=when, time_rect=QRectF(r.right() - time_w, r.top(), time_w, line))
        lay.lines = 3 if narrow else 2
        name_font = theme.bold(font) if unread else font
        nfm = QFontMetrics(name_font)
        title = row.title()
        full_w = nfm.horizontalAdvance(title)
        markers = self._markers(row, marks)
        widths = [sfm.horizontalAdvance(t) + 12 for t, _ in markers]
        marker_w = sum(w + 4 for w in widths)
        room1 = r.width() - time_w - 6
        beside = full_w + 6 + marker_w <= room1
        name_room = max(20.0, room1)
        lay.name = nfm.elidedText(title, Qt.TextElideMode.ElideRight, int(name_room))
        lay.name_rect = QRectF(r.left(), r.top(), name_room, line)
        pill_h = sfm.height() + 2
        gap = int(line * 0.35)
        y2 = r.top() + line + gap
        y3 = y2 + line + gap
        badge_w = 0.0
        if unread:
            badge = str(row.unread) if row.unread < 100 else "99+"
            bfm = QFontMetrics(theme.bold(small))
            badge_w = max(float(line), bfm.horizontalAdvance(badge) + 12.0)
            lay.badge_text = badge
            lay.badge_rect = QRectF(r.right() - badge_w, y2, badge_w, line)
        room2 = r.width() - badge_w - 8
        pfm = QFontMetrics(theme.bold(font) if unread else font)  # the preview's font
        if beside:
            x = r.left() + nfm.horizontalAdvance(lay.name) + 6
            for (text, color), w in zip(markers, widths, strict=True):
                lay.markers.append(
                    (text, color, QRectF(x, r.top() + (line - pill_h) / 2, w, pill_h))
                )
                x += w + 4
            preview_left = r.left()
        else:
            if not narrow and room2 - marker_w - 2 < pfm.averageCharWidth() * MIN_PREVIEW_CHARS:
                # Line 2 is shared with the preview: the long markers in their short words.
                markers = [(SHORT_MARKERS.get(t, t), c) for t, c in markers]
                widths = [sfm.horizontalAdvance(t) + 12 for t, _ in markers]
            x = r.left()
            top = y2 + (line - pill_h) / 2
            for i, ((text, color), w) in enumerate(zip(markers, widths, strict=True)):
                rest = len(markers) - i - 1
                more_w = sfm.horizontalAdvance(f"+{rest}") + 12 + 4 if rest else 0.0
                if x + w + more_w > r.left() + room2:
                    more = f"+{len(markers) - i}"
                    lay.markers.append(
                        (
                            more,
                            theme.MUTED,
                            QRectF(x, top, sfm.horizontalAdvance(more) + 12, pill_h),
                        )
                    )
                    x += sfm.horizontalAdvance(more) + 12 + 4
                    lay.hidden_markers = [t for t, _c in markers[i:]]
                    break
                lay.markers.append((text, color, QRectF(x, top, w, pill_h)))
                x += w + 4
            preview_left = x + 2 if markers else r.left()
        prefix = "You: " if row.last_direction == "out" else ""
        preview = (prefix + row.preview).replace("\n", " ")
        preview_room = r.left() + room2 - preview_left
        first_word = preview.strip().split(" ", 1)[0]
        starts_on_2 = preview_room >= pfm.averageCharWidth() * MIN_AFTER_MARKERS and (
            pfm.horizontalAdvance(first_word) <= preview_room
        )
        if narrow and markers and not beside and not starts_on_2:
            # Line 2 is (nearly) full of markers; the preview has line 3 to itself.
            lay.preview_rect = QRectF(r.left(), y3, r.width(), line)
            lay.preview = pfm.elidedText(preview, Qt.TextElideMode.ElideRight, int(r.width()))
            return lay
        lay.preview_rect = QRectF(preview_left, y2, max(0.0, preview_room), line)
        if narrow:  # lines 2 and 3 for the preview (line 3 is the row's whole width)
            lay.preview2_rect = QRectF(r.left(), y3, r.width(), line)
            lay.preview, lay.preview2 = _split_two(preview, pfm, max(0.0, preview_room), r.width())
        elif preview_room >= pfm.horizontalAdvance("Mm…"):
            lay.preview = pfm.elidedText(preview, Qt.TextElideMode.ElideRight, int(preview_room))
        return lay

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
        unread = row.unread > 0
        marks = index.data(MarksRole)
        lay = self.row_layout(
            QRectF(option.rect), option.font, row, marks if isinstance(marks, Marks) else Marks()
        )
        if unread:
            painter.fillRect(
                QRectF(option.rect.left(), option.rect.top() + 2, 4, option.rect.height() - 4),
                theme.UNREAD,
            )
        # Line 1: time (right), name (bold if unread), markers when the whole name fits too.
        small = theme.small(option.font)
        painter.setFont(theme.bold(small) if unread else small)
        painter.setPen(theme.UNREAD if unread and not selected else muted)
        painter.drawText(
            lay.time_rect,
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            lay.time_text,
        )
        painter.setFont(theme.bold(option.font) if unread else option.font)
        painter.setPen(text_color if row.status != "done" or selected else muted)
        painter.drawText(
            lay.name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, lay.name
        )
        for text, color, rect in lay.markers:
            theme.pill(painter, rect, text, color, small)
        # Line 2: (markers), preview (bold if unread), badge (right).
        if lay.badge_rect is not None:
            theme.pill(painter, lay.badge_rect, lay.badge_text, theme.UNREAD, theme.bold(small))
        painter.setFont(theme.bold(option.font) if unread else option.font)
        painter.setPen(text_color if unread or selected else muted)
        for rect, text in ((lay.preview_rect, lay.preview), (lay.preview2_rect, lay.preview2)):
            if text:
                painter.drawText(
                    rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
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
