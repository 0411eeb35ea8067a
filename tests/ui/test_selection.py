"""The highlighted conversation is the open one, through every path, in the real window against
the engine and the virtual modem: a search hit, clearing the search, filters, new messages that
reorder the list, erasing, a new conversation. Texts arriving in a conversation nobody is looking
at stay unread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from desk.read import queries
from tests.ui.conftest import Desk
from ui.new_conversation import NewConversationDialog

JAMES, PRIYA = "+12025550102", "+12025550103"
FAR = "+12025550115"  # far down the list


def _cid(number: str) -> int:
    cid = queries.conversation_for_number(number)
    assert cid is not None
    return cid


def _agree(desk: Desk) -> int | None:
    """The open conversation, after checking the list highlights it (or nothing)."""
    w = desk.window
    open_id = w.current_id()
    shown = w.list.highlighted_id()
    assert shown in (open_id, None), f"list highlights {shown}, thread shows {open_id}"
    if open_id is not None and w.list.model.row_of(open_id) is not None:
        assert shown == open_id, "the open conversation is in the list but not highlighted"
    return open_id


def test_a_search_hit_then_clearing_the_search_keeps_list_and_thread_together(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    assert w.list.select(_cid(JAMES))
    assert _agree(desk) == _cid(JAMES)
    qtbot.keyClicks(w.list.search, "aligner")
    qtbot.keyClick(w.list.search, Qt.Key.Key_Return)  # opens the first hit
    desk.wait(lambda: w.current_id() == _cid(PRIYA))
    assert _agree(desk) == _cid(PRIYA)
    assert w.thread.title.text() == "Priya Shah"
    w.list.search.clear()
    desk.wait(lambda: w.list.stack.currentWidget() is w.list.view)
    assert _agree(desk) == _cid(PRIYA)
    assert w.list.highlighted_id() == _cid(PRIYA)


def test_filters_and_reordering_never_highlight_another_conversation(desk: Desk) -> None:
    w = desk.window
    james = _cid(JAMES)
    assert w.list.select(james)
    for name in ("callback", "open", "unread", "all"):
        w.list.set_filter(name)
        assert _agree(desk) == james, name
    assert w.list.highlighted_id() == james

    far = _cid(FAR)
    before = w.list.model.row_of(far)
    assert before is not None and before > w.list.model.row_of(james)
    far_unread = queries.conversation_row(far).unread
    desk.vm.control({"cmd": "deliver", "from": FAR, "text": "Can I bring my son too?"})
    desk.wait(lambda: w.list.model.row_of(far) == 0)
    assert _agree(desk) == james
    assert w.list.highlighted_id() == james
    assert queries.conversation_row(far).unread == far_unread + 1, "that text stays unread"

    below = w.list.model.id_at(w.list.model.row_of(james) + 1)
    w.list.step(1)  # Alt+Down moves from the highlighted one and opens what it highlights
    assert below is not None and _agree(desk) == below


def test_a_text_into_the_open_conversation_while_on_the_reminders_tab_stays_unread(
    desk: Desk,
) -> None:
    w = desk.window
    james = _cid(JAMES)
    assert w.list.select(james)
    desk.wait(lambda: queries.conversation_row(james).unread == 0)
    w.tabs.setCurrentWidget(w.reminders)
    desk.vm.control({"cmd": "deliver", "from": JAMES, "text": "Is 10:30 also fine?"})
    desk.wait(lambda: any(r.body == "Is 10:30 also fine?" for r in w.thread.model.messages()))
    QApplication.processEvents()
    assert queries.conversation_row(james).unread == 1, "nobody saw it: not read"
    assert _agree(desk) == james


def test_erasing_another_customer_and_a_new_conversation_keep_the_highlight_on_the_open_one(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    james, priya = _cid(JAMES), _cid(PRIYA)
    assert w.list.select(james)
    contact = queries.contact_for_conversation(priya)
    assert contact is not None
    w.erase_contact(contact)
    desk.wait(lambda: w.list.model.row_of(priya) is None)
    assert _agree(desk) == james and w.thread.title.text() == "James O'Connor"

    w.list.set_filter("unread")
    number = "+12025550177"

    def fill() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, NewConversationDialog):
            QTimer.singleShot(20, fill)
            return
        dlg.input.setText(number)
        dlg.ok.click()

    QTimer.singleShot(0, fill)
    w.new_conversation()
    desk.wait(lambda: queries.conversation_for_number(number) is not None)
    new = _cid(number)
    desk.wait(lambda: w.current_id() == new)
    assert _agree(desk) == new
    assert w.list.highlighted_id() == new, "the new conversation is shown in the list, highlighted"
    assert w.thread.composer.recipient.accessibleName() == "Reply to (202) 555-0177"
    # on screen the number is one unbreakable piece (no line break inside it at 200 %)
    assert w.thread.composer.recipient.text() == "Reply to (202)\u00a0555\u20110177"
