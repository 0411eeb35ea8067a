"""The real window against the real engine and the virtual modem on a pseudo-terminal."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desk.messaging.outbox import sign
from desk.read import queries
from desk.store import models as m
from tests.ui.conftest import Desk

CUSTOMER = "+12025550199"


def _row_of(desk: Desk, number: str) -> queries.ConversationRow | None:
    cid = queries.conversation_for_number(number)
    if cid is None or desk.window.list.model.row_of(cid) is None:
        return None
    return queries.conversation_row(cid)


def test_incoming_unread_then_reply_delivered(desk: Desk, qtbot) -> None:
    w = desk.window
    unread_before = w.unread_total
    desk.vm.control({"cmd": "deliver", "from": CUSTOMER, "text": "Is the clinic open on Saturday?"})
    row = desk.wait(lambda: (r := _row_of(desk, CUSTOMER)) and r.unread and r)
    assert w.list.model.row_of(row.id) == 0, "newest activity first"
    desk.wait(lambda: w.unread_total == unread_before + 1)
    assert w.windowTitle().startswith(f"({unread_before + 1}) TextDesk")
    assert w.notifier.sent and w.notifier.sent[-1][2] == row.id

    assert w.list.select(row.id)
    desk.wait(lambda: w.thread.conversation and w.thread.conversation.id == row.id)
    assert [r.body for r in w.thread.model.messages()] == ["Is the clinic open on Saturday?"]
    desk.wait(lambda: queries.conversation_row(row.id).unread == 0)  # opened: marked read
    desk.wait(lambda: w.unread_total == unread_before)

    qtbot.keyClicks(w.thread.composer.edit, "Yes, 9 to 1.")
    qtbot.keyClick(w.thread.composer.edit, Qt.Key.Key_Return)
    signed = sign("Yes, 9 to 1.", w.settings.get("signature"))  # the shop's signature is added
    desk.wait(
        lambda: any(e.get("to") == CUSTOMER and e.get("text") == signed for e in desk.submitted)
    )
    desk.wait(lambda: [r.state for r in w.thread.model.messages() if r.outgoing] == [m.DELIVERED])
    assert w.thread.composer.text() == ""
    top = w.list.model.index(0, 0).data(Qt.ItemDataRole.UserRole + 1)
    assert top.id == row.id and top.last_direction == "out"


def test_opted_out_customer_cannot_be_texted(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550108")
    assert w.list.select(cid)
    c = w.thread.composer
    assert not c.edit.isEnabled() and not c.send_button.isEnabled()
    assert "opted out by texting STOP" in c.blocked.text()


def test_uncertain_message_resolved_from_the_banner(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550106")
    assert w.list.select(cid)
    assert w.thread.banner.isVisible()
    assert w.thread.banner_wentout.isVisible()
    uncertain = queries.attention_messages(cid)[0]
    w.thread.banner_wentout.click()
    desk.wait(lambda: queries.message_row(uncertain.id).state == m.SENT)
    desk.wait(lambda: not w.thread.banner.isVisible())
    desk.wait(lambda: w.thread.model.messages()[-1].state == m.SENT)


def test_failed_message_resend_goes_out(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550107")
    assert w.list.select(cid)
    failed = queries.attention_messages(cid)[0]
    assert failed.state == m.FAILED and not w.thread.banner_wentout.isVisible()
    w.thread.banner_resend.click()
    desk.wait(lambda: any(e.get("to") == "+12025550107" for e in desk.submitted))
    desk.wait(lambda: w.thread.model.messages()[-1].state == m.DELIVERED)


def test_mark_done_and_filters_by_keyboard(desk: Desk, qtbot) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550102")
    assert w.list.select(cid)
    w.activateWindow()
    act = next(a for a in w.actions() if a.shortcut().toString() == "Ctrl+D")
    act.trigger()
    desk.wait(lambda: queries.conversation_row(cid).status == m.DONE)
    desk.wait(lambda: w.thread.status_button.text() == "Reopen")
    next(a for a in w.actions() if a.shortcut().toString() == "Ctrl+U").trigger()
    assert w.list.model.filter == "unread"
    assert all(
        w.list.model.index(i, 0).data(Qt.ItemDataRole.UserRole + 1).unread
        for i in range(w.list.model.rowCount())
    )
    next(a for a in w.actions() if a.shortcut().toString() == "Ctrl+U").trigger()
    assert w.list.model.filter == "all"
    first = w.list.model.id_at(0)
    w.list.select(first)
    next(a for a in w.actions() if a.shortcut().toString() == "Alt+Down").trigger()
    assert w.list.current_id() == w.list.model.id_at(1)


def test_search_jumps_to_the_hit(desk: Desk, qtbot) -> None:
    w = desk.window
    w.list.search.setText("aligner")
    qtbot.keyClick(w.list.search, Qt.Key.Key_Return)
    cid = queries.conversation_for_number("+12025550103")
    desk.wait(lambda: w.thread.conversation and w.thread.conversation.id == cid)
    assert w.list.stack.currentWidget() is w.list.results
    assert w.list.results.count() >= 1


def test_contact_panel_saves_through_the_engine(desk: Desk, qtbot) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550103")
    assert w.list.select(cid)
    w.toggle_contact()
    assert w.contact.isVisible()
    w.contact.notes.setPlainText("Aligner replaced on the 10th.")
    w.contact.tags.setText("Patient, ORTHO")
    w.contact.tags.editingFinished.emit()  # staff leave the field: the details are saved
    contact_id = queries.contact_for_conversation(cid)
    desk.wait(lambda: queries.contact_details(contact_id).notes == "Aligner replaced on the 10th.")
    assert queries.contact_details(contact_id).tags == ("patient", "ortho")
    w.contact.callback.click()
    desk.wait(lambda: queries.contact_details(contact_id).callback_requested)
    desk.wait(lambda: w.list.filter_buttons["callback"].text() == "Call back (2)")
    w.contact.refresh()
    number = queries.contact_details(contact_id).number
    assert number not in w.contact.number.text() and w.contact.number.toolTip() == number
    assert w.contact.history.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def test_send_refused_is_shown_not_lost(desk: Desk, qtbot, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    w = desk.window
    cid = queries.conversation_for_number("+12025550102")
    assert w.list.select(cid)
    # The customer opts out from another place while the composer is open: the engine refuses.
    contact_id = queries.contact_for_conversation(cid)
    desk.result(desk.engine.set_opt_out(contact_id, True))
    w.thread.composer.edit.setPlainText("Are you still coming?")
    w.thread.composer.send_button.setEnabled(True)
    w.send("Are you still coming?")
    desk.wait(lambda: shown)
    assert "opt" in shown[0].lower()
    assert w.thread.composer.text() == "Are you still coming?", "the text is kept"


def test_new_conversation_creates_it_through_the_engine(desk: Desk, monkeypatch) -> None:
    from ui import main_window

    class FakeDialog:  # the dialog itself is tested in test_dialogs; here: what the window does
        number = "+12025550177"
        conversation_id = None

        def __init__(self, **_kw) -> None:
            pass

        def exec(self) -> int:
            return 1

    monkeypatch.setattr(main_window, "NewConversationDialog", FakeDialog)
    w = desk.window
    w.new_conversation()
    cid = desk.wait(lambda: queries.conversation_for_number("+12025550177"))
    desk.wait(lambda: w.thread.conversation and w.thread.conversation.id == cid)
    assert w.thread.composer.edit.isEnabled()


def test_erase_customer_clears_the_thread(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550125")
    assert w.list.select(cid)
    contact_id = queries.contact_for_conversation(cid)
    w.toggle_contact()
    w.contact.eraseRequested.emit(contact_id)  # the confirmation box is the panel's own step
    desk.wait(lambda: queries.conversation_row(cid) is None)
    desk.wait(lambda: w.thread.conversation is None)
    assert w.list.model.row_of(cid) is None


def test_export_writes_the_conversation(desk: Desk, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    target = tmp_path / "james.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w = desk.window
    cid = queries.conversation_for_number("+12025550102")
    assert w.list.select(cid)
    w.export_current()
    text = target.read_text(encoding="utf-8")
    assert "James O'Connor" in text and "Yes please, 10am if possible" in text


def test_pin_prompt_when_the_sim_asks(desk: Desk, monkeypatch) -> None:
    from desk.base.events import ModemState, ModemStatus

    w = desk.window
    sent: list[str] = []
    monkeypatch.setattr(desk.engine, "enter_pin", sent.append)
    w.on_modem_status(ModemStatus(state=ModemState.PIN_NEEDED, pin_kind="SIM PIN"))
    assert "PIN" in w.status.state.text() and w.status.pin.isVisible()
    desk.wait(lambda: w._pin_dialog is not None)
    dlg = w._pin_dialog
    dlg.pin.setText("1234")
    dlg._ok()
    assert sent == ["1234"]
    w.on_modem_status(ModemStatus(state=ModemState.READY, operator="Demo", signal=22))
    assert not w.status.pin.isVisible() and w.status.bars.bars == 4


def test_older_history_loads_when_scrolled_to_the_top(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550101")  # Maria: a year of appointments
    w.thread.model.page = 8
    assert w.list.select(cid)
    before = len(w.thread.model.messages())
    assert w.thread.model.has_more
    bar = w.thread.view.verticalScrollBar()
    desk.wait(lambda: bar.maximum() > 0)
    bar.setValue(bar.minimum())
    desk.wait(lambda: len(w.thread.model.messages()) > before)
    assert bar.value() > bar.minimum(), "the view stays where the reader was"


def test_card_number_asks_before_sending(desk: Desk, monkeypatch) -> None:
    asked: list[str] = []
    choice = {"button": "Edit the text"}

    def fake_exec(box: QMessageBox) -> int:
        asked.append(box.text())
        return 0

    def fake_clicked(box: QMessageBox):
        return next(b for b in box.buttons() if b.text() == choice["button"])

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(QMessageBox, "clickedButton", fake_clicked)
    w = desk.window
    cid = queries.conversation_for_number("+12025550121")
    assert w.list.select(cid)
    text = "Card on file is 4111 1111 1111 1111, ok?"
    before = len(w.thread.model.messages())
    w.thread.composer.edit.setPlainText(text)
    w.thread.composer.request_send()
    assert asked and "card" in asked[0].lower()
    assert len(queries.thread_page(cid).messages) == before, "nothing queued"
    assert w.thread.composer.text() == text
    choice["button"] = "Send anyway"
    w.thread.composer.request_send()
    desk.wait(lambda: any(e.get("to") == "+12025550121" for e in desk.submitted))


def test_clicking_the_notification_opens_the_thread(desk: Desk) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550119")
    w.notifier.notify("Ben Carter", "Need to cancel Thursday", cid)
    w.notifier._clicked()  # what the tray's messageClicked does
    desk.wait(lambda: w.thread.conversation and w.thread.conversation.id == cid)
    assert w.list.current_id() == cid
