"""Numbers by one rule through the real window, engine and virtual modem (issue 13, item 3): a
customer the network delivered from is always answered; a typed number the numbering data does
not know is a warning staff accept, not a refusal."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from desk.messaging.outbox import sign
from desk.read import queries
from tests.ui.conftest import Desk
from ui.new_conversation import NewConversationDialog

README = "+15551234567"  # the README's own example: a number the metadata does not know


def _reply(desk: Desk, qtbot: Any, number: str, text: str) -> None:
    w = desk.window
    qtbot.keyClicks(w.thread.composer.edit, text)
    qtbot.keyClick(w.thread.composer.edit, Qt.Key.Key_Return)
    signed = sign(text, w.settings.get("signature"))
    desk.wait(
        lambda: any(e.get("to") == number and e.get("text") == signed for e in desk.submitted)
    )


def test_a_customer_texting_from_a_number_the_metadata_does_not_know_is_answered(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    desk.vm.control({"cmd": "deliver", "from": README, "text": "Are you open today?"})
    cid = desk.wait(lambda: queries.conversation_for_number(README))
    desk.wait(lambda: w.list.model.row_of(cid) is not None)
    assert w.list.select(cid)
    assert w.thread.composer.edit.isEnabled()
    _reply(desk, qtbot, README, "Yes, until 6pm.")


def test_a_typed_unknown_number_is_a_warning_to_accept_then_the_text_goes(
    desk: Desk, qtbot: Any
) -> None:
    w = desk.window
    number = "+15559876543"
    seen: dict[str, str] = {}

    def fill() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, NewConversationDialog):
            QTimer.singleShot(20, fill)
            return
        dlg.input.setText("(555) 987-6543")
        seen["feedback"], seen["ok"] = dlg.feedback.text(), dlg.ok.text()
        dlg.ok.click()

    QTimer.singleShot(0, fill)
    w.new_conversation()
    assert seen["feedback"].startswith("⚠ (555) 987-6543 is not a number")
    assert "may be new" in seen["feedback"] and seen["ok"] == "Open anyway"
    cid = desk.wait(lambda: queries.conversation_for_number(number))
    desk.wait(lambda: w.current_id() == cid)
    _reply(desk, qtbot, number, "Your glasses are ready.")


def test_a_number_that_cannot_be_one_is_refused_in_the_dialog(qtbot: Any, demo_db: Any) -> None:
    dlg = NewConversationDialog(country="US")
    qtbot.addWidget(dlg)
    dlg.input.setText("+1 555 123")
    assert not dlg.ok.isEnabled() and "wrong number of digits" in dlg.feedback.text()
    dlg.input.setText("(202) 555-0199")  # known to the metadata: no warning
    assert dlg.feedback.text().startswith("✓") and dlg.ok.text() == "Open conversation"
