"""Search results painted like conversation rows: the customer's name and the hit's time on top,
the snippet below with each match highlighted (never raw [brackets])."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFontMetrics,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desk.read import search as desk_search
from ui import theme

TitleRole = Qt.ItemDataRole.UserRole + 11
TimeRole = Qt.ItemDataRole.UserRole + 12
SnippetRole = Qt.ItemDataRole.UserRole + 13  # with desk.read.search's match marks
PAD = 8


def snippet_html(snippet: str) -> str:
    """The snippet as HTML, each match in bold on a highlighter yellow."""
    text = html.escape(snippet.replace("\n", " "))
    start, end = html.escape(desk_search.MARK_START), html.escape(desk_search.MARK_END)
    return text.replace(start, '<b style="background-color:#fde293; color:#202124">').replace(
        end, "</b>"
    )


class SearchHitDelegate(QStyledItemDelegate):
    def _doc(self, option: QStyleOptionViewItem, snippet: str, width: float) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setHtml(snippet_html(snippet))
        doc.setTextWidth(width)
        return doc

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        snippet = index.data(SnippetRole)
        if snippet is None:
            return super().sizeHint(option, index)
        fm = QFontMetrics(theme.bold(option.font))
        width = max(120, option.rect.width() or 300) - 2 * PAD
        doc = self._doc(option, snippet, width)
        height = min(doc.size().height(), QFontMetrics(option.font).lineSpacing() * 2 + 2)
        return QSize(int(width + 2 * PAD), int(PAD + fm.height() + 4 + height + PAD))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        snippet = index.data(SnippetRole)
        if snippet is None:  # "Nothing found", "Cannot search for that": plain text
            super().paint(painter, option, index)
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        r = QRectF(option.rect)
        if selected:
            painter.fillRect(r, option.palette.highlight())
        fg = option.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        bold = theme.bold(option.font)
        fm = QFontMetrics(bold)
        time = str(index.data(TimeRole) or "")
        time_w = QFontMetrics(option.font).horizontalAdvance(time) + 4
        top = QRectF(r.left() + PAD, r.top() + PAD, r.width() - 2 * PAD, fm.height())
        painter.setPen(fg)
        painter.setFont(bold)
        title = fm.elidedText(str(index.data(TitleRole) or ""), Qt.TextElideMode.ElideRight,
                              int(top.width() - time_w - 8))  # fmt: skip
        painter.drawText(
            top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title
        )
        painter.setFont(option.font)
        painter.setPen(fg if selected else theme.MUTED)
        painter.drawText(
            top, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), time
        )
        doc = self._doc(option, snippet, top.width())
        lines = QFontMetrics(option.font).lineSpacing() * 2 + 2
        painter.translate(top.left(), top.bottom() + 4)
        clip = QRectF(0, 0, top.width(), min(doc.size().height(), lines))
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, fg)
        context.clip = clip
        doc.documentLayout().draw(painter, context)
        painter.restore()
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
        painter.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())
        painter.restore()
