"""Staff at the counter through the real window (issue 15): sign-in with and without a PIN, a
wrong PIN, the staff dialog, and the signed-in name on what the window sends."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from desk.messaging import staff
from desk.read import queries
from desk.store import models as m
from ui import staff_actions, window_actions
from ui.conversation_delegate import ConversationDelegate
from ui.conversation_model import Marks, RowRole
from ui.staff_dialog import StaffDialog


def _add(desk: Any, name: str, pin: str | None = None) -> None:
    e = desk.engine
    desk.result(e.call(staff.add_staff, name, pin, clock=e.clock))


def test_no_staff_no_picker(desk: Any) -> None:
    w = desk.window
    desk.qtbot.wait(50)
    assert staff.staff_list() == []
    assert w.staff_picker is None
    assert w.signed_in is None
    assert w.staff_label.isHidden()
    assert w.list.filter_buttons["mine"].isHidden()
    assert w.list.filter_buttons["unassigned"].isHidden()
    assert staff_actions.author(w) == w.settings.get("staff_name")


def test_sign_in_without_pin_shows_in_status_bar(desk: Any) -> None:
    w = desk.window
    _add(desk, "Ben")
    dlg = staff_actions.ask(w)
    assert dlg is not None and dlg.isVisible()
    dlg.choose("Ben")
    assert dlg.pin.isHidden()
    dlg.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Ben")
    assert w.staff_label.text() == "Signed in as Ben"
    assert not w.staff_label.isHidden()
    assert not dlg.isVisible()
    assert w.staff_picker is None
    assert staff_actions.author(w) == "Ben"


def test_wrong_pin_is_said_then_retry(desk: Any) -> None:
    w = desk.window
    _add(desk, "Cleo", "4321")
    dlg = staff_actions.ask(w)
    assert dlg is not None
    dlg.choose("Cleo", "1111")
    assert not dlg.pin.isHidden()
    dlg.buttons.accepted.emit()
    desk.wait(lambda: dlg.error.text())
    assert dlg.error.text() == "That PIN is not right."
    assert dlg.isVisible()
    assert w.signed_in is None
    dlg.pin.setText("4321")
    dlg.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Cleo")
    assert not dlg.isVisible()


def test_reply_and_note_carry_signed_in_name(desk: Any, monkeypatch: Any) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    w = desk.window
    _add(desk, "Dora")
    dlg = staff_actions.ask(w)
    assert dlg is not None
    dlg.choose("Dora")
    dlg.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Dora")
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None
    w.select_conversation(cid)
    desk.wait(lambda: w.current_id() == cid)
    w.send("Hello from Dora")
    msg = desk.wait(
        lambda: (
            shown
            or m.Message.get_or_none(
                (m.Message.conversation == cid) & m.Message.body.contains("Hello from Dora")
            )
        )
    )
    assert not shown
    assert msg.staff == "Dora"
    window_actions.add_note(w, "Dora's note")
    note = desk.wait(lambda: m.Note.get_or_none(m.Note.body == "Dora's note"))
    assert note.staff == "Dora"
    assert w.settings.get("staff_name") != "Dora"


def test_staff_dialog_adds_sets_pin_removes(desk: Any) -> None:
    w = desk.window
    dlg = StaffDialog(w)
    dlg.add("Eve", "1234", "1243")
    assert dlg.error.text() == "The two PINs are not the same."
    assert staff.staff_list() == []
    dlg.add("Eve", "1234", "1234")
    desk.wait(lambda: dlg.names() == ["Eve"])
    assert staff.staff_list() == [staff.StaffMember("Eve", True)]
    assert "1234" not in dlg.list.item(0).text()
    desk.wait(lambda: not w.list.filter_buttons["mine"].isHidden())
    dlg.set_pin("Eve", "", "")
    desk.wait(lambda: staff.staff_list() == [staff.StaffMember("Eve", False)])
    dlg.add("Eve")
    desk.wait(lambda: dlg.error.text())
    assert "already" in dlg.error.text()
    dlg.remove("Eve")
    desk.wait(lambda: dlg.names() == [])
    desk.wait(lambda: w.list.filter_buttons["mine"].isHidden())


def test_picker_at_start_when_staff_exist(desk: Any) -> None:
    """What the window does at start with staff configured (install → ask_at_start)."""
    w = desk.window
    _add(desk, "Finn", "5678")
    staff_actions.ask_at_start(w)
    desk.wait(lambda: w.staff_picker is not None and w.staff_picker.isVisible())
    w.staff_picker.choose("Finn", "5678")
    w.staff_picker.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Finn")


def test_assign_then_mine_shows_it_unassigned_does_not(desk: Any) -> None:
    w = desk.window
    _add(desk, "Gus")
    _add(desk, "Hana")
    dlg = staff_actions.ask(w)
    assert dlg is not None
    dlg.choose("Gus")
    dlg.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Gus")
    assert not w.list.filter_buttons["mine"].isHidden()
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None
    w.select_conversation(cid)
    desk.wait(lambda: w.current_id() == cid)
    box = w.assign_box
    assert not box.isHidden()
    assert box.currentText() == "Unassigned"
    box.setCurrentIndex(box.findData("Gus"))
    box.activated.emit(box.currentIndex())
    desk.wait(lambda: m.Conversation.get_by_id(cid).assigned_to == "Gus")
    desk.wait(lambda: w.thread.conversation.assigned_to == "Gus")
    assert box.currentText() == "Assigned to Gus"
    w.list.set_filter("mine")
    assert w.list.model.row_of(cid) is not None
    desk.wait(lambda: w.list.filter_buttons["mine"].text() == "Mine (1)")
    listed = w.list.model.index(w.list.model.row_of(cid), 0).data(RowRole)
    assert "Gus" in [t for t, _c in ConversationDelegate._markers(listed, Marks())]
    w.list.set_filter("unassigned")
    assert w.list.model.row_of(cid) is None
    # to someone else: not mine any more
    box.assign("Hana")
    desk.wait(lambda: m.Conversation.get_by_id(cid).assigned_to == "Hana")
    w.list.set_filter("mine")
    assert w.list.model.row_of(cid) is None
    box.assign(None)
    desk.wait(lambda: m.Conversation.get_by_id(cid).assigned_to is None)
    w.list.set_filter("unassigned")
    assert w.list.model.row_of(cid) is not None


def test_no_staff_no_assign_box(desk: Any) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None
    w.select_conversation(cid)
    desk.wait(lambda: w.current_id() == cid)
    assert w.assign_box.isHidden()
