"""The conversation list's rows: two lines, or three when the list is narrow for its text
(ui.conversation_delegate); a resize across that line measures the rows again."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QStringListModel
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QListView

from ui.conversation_delegate import (
    NARROW_CHARS,
    ConversationDelegate,
    _split_two,
    is_narrow,
    row_height,
)


def test_a_resize_across_the_narrow_line_gives_the_rows_their_third_line(qapp: Any) -> None:
    view = QListView()
    view.setUniformItemSizes(True)  # as the list: measured once, until told
    model = QStringListModel(["a", "b", "c"])
    view.setModel(model)
    delegate = ConversationDelegate(ZoneInfo("UTC"), view)
    view.setItemDelegate(delegate)
    delegate.watch(view)
    chars = QFontMetrics(view.font()).averageCharWidth()

    def height() -> int:
        qapp.processEvents()
        return view.visualRect(model.index(1, 0)).height()

    view.resize(chars * NARROW_CHARS * 2, 400)
    view.show()
    assert not is_narrow(view.viewport().width(), view.font())
    assert height() == row_height(view.font(), 2)
    view.resize(chars * NARROW_CHARS // 2, 400)
    assert is_narrow(view.viewport().width(), view.font())
    assert height() == row_height(view.font(), 3)
    view.resize(chars * NARROW_CHARS * 2, 400)
    assert height() == row_height(view.font(), 2)
    view.close()


def test_a_preview_on_two_lines_breaks_between_words(qapp: Any) -> None:
    fm = QFontMetrics(qapp.font())
    width = fm.horizontalAdvance("Can someone call me")
    first, second = _split_two("Can someone call me back about my bill? After 4 is best", fm,
                               width, width)  # fmt: skip
    assert first == "Can someone call me"
    assert second.startswith("back about") and fm.horizontalAdvance(second) <= width
    assert _split_two("Short", fm, width, width) == ("Short", "")
    one, rest = _split_two("x" * 200, fm, width, width)  # one word wider than the line
    assert one and fm.horizontalAdvance(one) <= width and rest.startswith("x")
