"""Asks for the SIM PIN when the modem says the SIM needs it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QWidget

from ui.pin_form import error_line, lay_out, pin_edit, pin_problem


class PinDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, error: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SIM PIN")
        self.pin = pin_edit(self, "SIM PIN")
        self.pin.setPlaceholderText("4 to 8 digits")
        note = QLabel(
            "The SIM card in the modem is locked. Type its PIN (from the card's packaging).\n"
            "Careful: after three wrong tries the SIM locks and needs the PUK from the phone company.",
            self,
        )
        note.setWordWrap(True)
        self.error = error_line(self, error or "")
        lay_out(self, [note, self.pin], self.error, self._ok)

    def value(self) -> str:
        return self.pin.text().strip()

    def _ok(self) -> None:
        problem = pin_problem(self.value())
        if problem:
            self.error.setText(problem)
            return
        self.accept()
