"""Who is at the counter (issue 15): the sign-in picker at window start (only when the shop has
staff), File › Switch staff…, File › Staff… (add, remove, set a PIN), the signed-in name at the
menu bar's right end, and ``author(w)``: whose name goes on the replies and notes sent from this window.

A shop that never set up staff sees none of it: no picker, the ``staff_name`` setting as today.
Sign-in and every staff change run on the engine's core thread (``engine.call``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk.messaging import staff
from ui.pin_form import error_line, pin_edit

if TYPE_CHECKING:  # the window imports this module (through window_actions) to build itself
    from ui.main_window import MainWindow


def author(w: MainWindow) -> str | None:
    """The name on what this window sends: who signed in here, else the ``staff_name`` setting."""
    return w.signed_in or w.settings.get("staff_name") or None


def install(w: MainWindow) -> None:
    """ "Signed in as …" at the menu bar's right end (a click switches staff); the picker when the
    shop has staff. Not in the status bar: at 200 % text its labels already fill 1366 pixels,
    and one more made the window wider than the screen."""
    w.signed_in = None
    w.staff_picker = None
    button = w.staff_label = QToolButton(w)
    button.setAccessibleName("Signed in as")
    button.setToolTip("Switch staff (File › Switch staff…)")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setAutoRaise(True)
    button.clicked.connect(lambda: ask(w))
    button.hide()
    w.menuBar().setCornerWidget(button, Qt.Corner.TopRightCorner)
    ask_at_start(w)


def ask_at_start(w: MainWindow) -> None:
    """Once the window is up: who is at the counter, when the shop has staff (else nothing)."""
    if staff.staff_list():
        QTimer.singleShot(0, lambda: ask(w))


def _show_signed_in(w: MainWindow) -> None:
    if w.signed_in:
        w.staff_label.setText(f"Signed in as {w.signed_in}")
        w.staff_label.show()
    else:
        w.staff_label.setText("")
        w.staff_label.hide()


class StaffPicker(QDialog):
    """Who is at the counter: a name, and the PIN when that person has one. A wrong PIN is said
    plainly and the picker stays open for another try."""

    def __init__(self, members: list[staff.StaffMember], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Who is at the counter?")
        self.members = {m.name: m for m in members}
        self.names = QComboBox(self)
        self.names.setAccessibleName("Staff member")
        self.names.addItems(list(self.members))
        self.pin_label = QLabel("PIN:", self)
        self.pin = pin_edit(self, "Staff PIN")
        self.error = error_line(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Sign in as:", self))
        layout.addWidget(self.names)
        layout.addWidget(self.pin_label)
        layout.addWidget(self.pin)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.names.currentTextChanged.connect(self._name_changed)
        self._name_changed(self.names.currentText())

    def _name_changed(self, name: str) -> None:
        member = self.members.get(name)
        needs = bool(member and member.has_pin)
        self.pin_label.setVisible(needs)
        self.pin.setVisible(needs)
        self.pin.clear()
        self.error.clear()

    def choose(self, name: str, pin: str = "") -> None:
        """Pick ``name`` and type ``pin`` (tests, keyboard users alike)."""
        self.names.setCurrentText(name)
        self.pin.setText(pin)


def ask(w: MainWindow) -> StaffPicker | None:
    """The sign-in picker (File › Switch staff…, and at start when the shop has staff)."""
    if w.staff_picker is not None:
        w.staff_picker.raise_()
        return w.staff_picker
    members = staff.staff_list()
    if not members:
        w.status.showMessage("No staff set up yet: File › Staff… adds them.", 5000)
        return None
    dlg = w.staff_picker = StaffPicker(members, w)
    if w.signed_in in dlg.members:
        dlg.names.setCurrentText(w.signed_in)

    def ok() -> None:
        name = dlg.names.currentText()
        pin = dlg.pin.text().strip() if dlg.pin.isVisible() else ""
        dlg.buttons.setEnabled(False)

        def signed(_r: object) -> None:
            before = w.signed_in
            w.signed_in = name
            _show_signed_in(w)
            w.status.showMessage(f"Signed in as {name}.", 4000)
            if before and before != name:
                w.engine.sign_out(before)
            w.list.set_staff(name)
            w.update_counts()
            dlg.accept()

        def failed(exc: BaseException) -> None:
            dlg.buttons.setEnabled(True)
            dlg.error.setText(str(exc) or "That did not work.")
            dlg.pin.selectAll()
            dlg.pin.setFocus()

        w.bridge.when_done(
            w.engine.sign_in(name, pin or None),
            signed,
            failed,
        )

    def finished(_result: int) -> None:
        w.staff_picker = None

    dlg.buttons.accepted.connect(ok)
    dlg.finished.connect(finished)
    dlg.open()
    return dlg


def open_staff(w: MainWindow) -> QDialog:
    """File › Staff…: the shop's staff (add, remove, set a PIN)."""
    from ui.staff_dialog import StaffDialog

    dlg = StaffDialog(w)
    dlg.open()
    return dlg
