"""Painting: bubbles and list rows render, grow with the font (200 %), and painted buttons click."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect, Qt
from PySide6.QtGui import QFont, QImage, QMouseEvent, QPainter
from PySide6.QtWidgets import QListView, QStyleOptionViewItem

from desk.read import queries
from desk.store import models as m
from tests.ui.conftest import ZONE
from ui.conversation_delegate import ConversationDelegate
from ui.conversation_model import ConversationListModel
from ui.thread_delegate import ThreadDelegate, note_for
from ui.thread_model import ThreadModel


def _option(view: QListView, font: QFont, rect: QRect) -> QStyleOptionViewItem:
    opt = QStyleOptionViewItem()
    opt.initFrom(view)
    opt.font = font
    opt.rect = rect
    return opt


def _paint_all(view: QListView, delegate, model, font: QFont) -> int:
    img = QImage(800, 4000, QImage.Format.Format_ARGB32)
    img.fill(0xFFFFFFFF)
    p = QPainter(img)
    y = 0
    for row in range(model.rowCount()):
        idx = model.index(row, 0)
        size = delegate.sizeHint(_option(view, font, QRect(0, 0, 800, 10)), idx)
        opt = _option(view, font, QRect(0, y, 800, size.height()))
        delegate.paint(p, opt, idx)
        y += size.height()
    p.end()
    return y


def test_list_rows_paint_and_scale_with_text_size(qtbot, demo_db) -> None:
    view = QListView()
    qtbot.addWidget(view)
    model = ConversationListModel(zone=ZONE)
    model.reload()
    delegate = ConversationDelegate(ZONE)
    font = QFont(view.font())
    normal = _paint_all(view, delegate, model, font)
    font.setPointSizeF(font.pointSizeF() * 2)
    big = _paint_all(view, delegate, model, font)
    assert big > normal * 1.6


def test_bubbles_paint_and_scale(qtbot, demo_db) -> None:
    view = QListView()
    qtbot.addWidget(view)
    model = ThreadModel(zone=ZONE)
    model.load(queries.conversation_for_number("+12025550106"))
    delegate = ThreadDelegate(ZONE)
    delegate.set_width(800)
    font = QFont(view.font())
    normal = _paint_all(view, delegate, model, font)
    font.setPointSizeF(font.pointSizeF() * 2)
    assert _paint_all(view, delegate, model, font) > normal * 1.5


def test_painted_resend_button_emits(qtbot, demo_db) -> None:
    view = QListView()
    qtbot.addWidget(view)
    model = ThreadModel(zone=ZONE)
    model.load(queries.conversation_for_number("+12025550106"))
    delegate = ThreadDelegate(ZONE)
    delegate.set_width(700)
    row = model.messages()[-1]
    assert row.state == m.UNCERTAIN
    n = model.row_of(row.id)
    idx = model.index(n, 0)
    rect = delegate.button_rect(row, view.font(), "went_out")
    assert rect is not None
    opt = _option(
        view, view.font(), QRect(0, 100, 700, delegate.layout(row, view.font()).size.height())
    )
    pos = QPointF(rect.center().x(), rect.center().y() + 100)
    ev = QMouseEvent(
        QEvent.Type.MouseButtonRelease,
        pos,
        pos,
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(delegate.actionClicked) as sig:
        assert delegate.editorEvent(ev, model, opt, idx)
    assert sig.args == ["went_out", row.id]
    miss = QMouseEvent(
        QEvent.Type.MouseButtonRelease,
        QPointF(1, 101),
        QPointF(1, 101),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    assert not delegate.editorEvent(miss, model, opt, idx)


def test_notes_explain_states(demo_db) -> None:
    rows = {
        r.state: r
        for cid in (
            queries.conversation_for_number(n)
            for n in ("+12025550106", "+12025550107", "+12025550111")
        )
        for r in queries.thread_page(cid).messages
    }
    assert note_for(rows[m.UNCERTAIN]).startswith("Not sure it went out")
    assert note_for(rows[m.FAILED]).startswith("Not sent: ")
    assert "has not arrived yet" in note_for(rows[m.INCOMPLETE])
    assert note_for(rows[m.RECEIVED]) == ""
