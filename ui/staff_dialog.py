"""File › Staff…: the shop's staff (issue 15). Add someone (a name, an optional PIN typed twice),
set or remove a PIN, take someone off the staff. A PIN is never shown: only whether there is one.
Every change runs on the engine's core thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.messaging import staff
from ui.pin_form import error_line, lay_out, pin_edit, pin_problem

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class PinEntry(QDialog):
    """A name (when adding) and a PIN typed twice; an empty PIN means none."""

    def __init__(self, title: str, *, ask_name: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.name = QLineEdit(self)
        self.name.setMaxLength(staff.MAX_NAME)
        self.name.setAccessibleName("Name")
        self.pin = pin_edit(self, "PIN")
        self.again = pin_edit(self, "PIN again")
        self.error = error_line(self)
        form = QFormLayout()
        if ask_name:
            form.addRow("Name:", self.name)
        form.addRow("PIN (4 to 8 digits, optional):", self.pin)
        form.addRow("PIN again:", self.again)
        lay_out(self, [form], self.error, self._ok)
        self._ask_name = ask_name

    def _ok(self) -> None:
        problem = pin_twice_problem(self.pin.text(), self.again.text())
        if self._ask_name and not self.name.text().strip():
            problem = "Type the person's name."
        if problem:
            self.error.setText(problem)
            return
        self.accept()


def pin_twice_problem(pin: str, again: str) -> str | None:
    """What is wrong with a PIN typed twice, in plain words (None: nothing; "" twice: no PIN)."""
    pin, again = pin.strip(), again.strip()
    if pin != again:
        return "The two PINs are not the same."
    return pin_problem(pin) if pin else None


class StaffDialog(QDialog):
    def __init__(self, w: MainWindow) -> None:
        super().__init__(w)
        self.w = w
        self.setWindowTitle("Staff")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Staff")
        self.error = error_line(self)
        add = QPushButton("Add…", self)
        add.clicked.connect(self._ask_add)
        pin = QPushButton("Set PIN…", self)
        pin.clicked.connect(self._ask_pin)
        remove = QPushButton("Remove", self)
        remove.clicked.connect(self._ask_remove)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        for b in (add, pin, remove):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Who works at the counters. With nobody here, TextDesk asks no one.", self)
        )
        layout.addWidget(self.list, 1)
        layout.addWidget(self.error)
        layout.addLayout(row)
        self.reload()

    def reload(self) -> None:
        current = self.selected()
        self.list.clear()
        for m in staff.staff_list():
            self.list.addItem(f"{m.name}  (PIN)" if m.has_pin else m.name)
            item = self.list.item(self.list.count() - 1)
            item.setData(256, m.name)
            if m.name == current:
                self.list.setCurrentItem(item)

    def names(self) -> list[str]:
        return [str(self.list.item(i).data(256)) for i in range(self.list.count())]

    def selected(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(256)) if item is not None else None

    # --- the changes (the buttons ask first; tests call these directly) -------------------
    def _run(self, future: object, done: str) -> None:
        def ok(_r: object) -> None:
            self.error.clear()
            self.reload()
            self.w.status.showMessage(done, 4000)
            self.w.list.staff_changed()
            if self.w.assign_box is not None:
                self.w.assign_box.refresh()

        def failed(exc: BaseException) -> None:
            self.error.setText(str(exc) or "That did not work.")

        self.w.bridge.when_done(future, ok, failed)  # type: ignore[arg-type]

    def add(self, name: str, pin: str = "", again: str = "") -> None:
        problem = pin_twice_problem(pin, again)
        if problem:
            self.error.setText(problem)
            return
        e = self.w.engine
        by = self.w.signed_in or None
        self._run(
            e.call(staff.add_staff, name, pin.strip() or None, by=by, clock=e.clock),
            f"{' '.join(name.split())} added to the staff.",
        )

    def set_pin(self, name: str, pin: str, again: str) -> None:
        problem = pin_twice_problem(pin, again)
        if problem:
            self.error.setText(problem)
            return
        e = self.w.engine
        self._run(
            e.call(staff.set_pin, name, pin.strip() or None, by=self.w.signed_in, clock=e.clock),
            f"PIN {'changed' if pin.strip() else 'removed'} for {name}.",
        )

    def remove(self, name: str) -> None:
        e = self.w.engine
        self._run(
            e.call(staff.remove_staff, name, by=self.w.signed_in, clock=e.clock),
            f"{name} removed from the staff.",
        )

    def _ask_add(self) -> None:
        dlg = PinEntry("Add staff", ask_name=True, parent=self)
        if dlg.exec():
            self.add(dlg.name.text(), dlg.pin.text(), dlg.again.text())

    def _ask_pin(self) -> None:
        name = self.selected()
        if name is None:
            self.error.setText("Choose someone in the list first.")
            return
        dlg = PinEntry(f"PIN for {name}", ask_name=False, parent=self)
        if dlg.exec():
            self.set_pin(name, dlg.pin.text(), dlg.again.text())

    def _ask_remove(self) -> None:
        name = self.selected()
        if name is None:
            self.error.setText("Choose someone in the list first.")
            return
        answer = QMessageBox.question(
            self,
            "Remove from the staff?",
            f"Take {name} off the staff? Their conversations become unassigned; what they "
            "wrote keeps their name.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(name)
