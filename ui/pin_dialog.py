"""Asks for the SIM PIN when the modem says the SIM needs it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget


class PinDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, error: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("SIM PIN")
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setAccessibleName("SIM PIN")
        self.pin.setPlaceholderText("4 to 8 digits")
        note = QLabel(
            "The SIM card in the modem is locked. Type its PIN (from the card's packaging).\n"
            "Careful: after three wrong tries the SIM locks and needs the PUK from the phone company.",
            self,
        )
        note.setWordWrap(True)
        self.error = QLabel(error or "", self)
        self.error.setStyleSheet("color: #d93025;")
        self.remember = None
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.pin)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def value(self) -> str:
        return self.pin.text().strip()

    def _ok(self) -> None:
        v = self.value()
        if not (v.isdigit() and 4 <= len(v) <= 8):
            self.error.setText("A PIN is 4 to 8 digits.")
            return
        self.accept()
