"""Search results read like conversation rows (name, time, the match highlighted, no raw
brackets) and open the thread at the hit; the real window and engine."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desk.read import queries
from desk.read import search as desk_search
from tests.ui.conftest import Desk
from ui import search_delegate

PRIYA = "+12025550103"


def test_a_hit_shows_name_time_and_the_match_highlighted_then_opens_at_it(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    qtbot.keyClicks(w.list.search, "aligner")
    desk.wait(lambda: w.list.stack.currentWidget() is w.list.results and w.list.results.count())
    item = w.list.results.item(0)
    assert item.data(search_delegate.TitleRole) == "Priya Shah"
    assert item.data(search_delegate.TimeRole)
    marked = item.data(search_delegate.SnippetRole)
    assert f"{desk_search.MARK_START}aligner{desk_search.MARK_END}" in marked.lower()
    html = search_delegate.snippet_html(marked)
    assert "<b style=" in html and "[" not in item.text() and "]" not in item.text()
    rect = w.list.results.visualItemRect(item)
    assert rect.height() >= 2 * w.list.results.fontMetrics().height()  # two lines, like a row
    w.list.results.itemClicked.emit(item)
    cid = queries.conversation_for_number(PRIYA)
    desk.wait(lambda: w.current_id() == cid)
    conversation_id, message_id = item.data(Qt.ItemDataRole.UserRole + 10)
    assert conversation_id == cid and w.thread.model.row_of(message_id) is not None
