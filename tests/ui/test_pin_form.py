"""The PIN dialogs' shared parts (ui/pin_form.py): the staff PIN typed twice (ui.staff_dialog's
PinEntry) says what is wrong in one line and accepts only what is right; both PIN dialogs keep
the typed PIN hidden. Real offscreen dialogs."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QLineEdit

from ui.pin_dialog import PinDialog
from ui.staff_dialog import PinEntry


def test_staff_pin_typed_twice(qtbot: Any) -> None:
    dlg = PinEntry("Add staff", ask_name=True)
    qtbot.addWidget(dlg)
    dlg.show()
    assert all(
        e.echoMode() == QLineEdit.EchoMode.Password and e.maxLength() == 8
        for e in (dlg.pin, dlg.again)
    )
    dlg.name.setText("Anna")
    dlg.pin.setText("1234")
    dlg.again.setText("1243")
    dlg._ok()
    assert dlg.error.text() == "The two PINs are not the same." and dlg.isVisible()
    dlg.pin.setText("12")
    dlg.again.setText("12")
    dlg._ok()
    assert dlg.error.text() == "A PIN is 4 to 8 digits." and dlg.isVisible()
    dlg.name.setText(" ")
    dlg.pin.setText("")
    dlg.again.setText("")
    dlg._ok()
    assert dlg.error.text() == "Type the person's name."
    dlg.name.setText("Anna")
    dlg._ok()  # no PIN at all is allowed
    assert dlg.result() == QDialog.DialogCode.Accepted


def test_sim_pin_is_hidden_and_needs_digits(qtbot: Any) -> None:
    dlg = PinDialog(error="The SIM wants its PIN.")
    qtbot.addWidget(dlg)
    assert dlg.pin.echoMode() == QLineEdit.EchoMode.Password
    assert dlg.error.text() == "The SIM wants its PIN."
    dlg.pin.setText("")
    dlg._ok()
    assert dlg.error.text() == "A PIN is 4 to 8 digits." and dlg.result() == 0
