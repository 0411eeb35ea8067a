"""New conversation: type a number or pick a customer; the number is checked (desk.base.phones'
rule: refused only when it cannot be a number, a warning to accept when the numbering data does
not know it) and shown formatted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.base.phones import InvalidNumber, display, normalize
from desk.read import contact_search, queries
from ui import number_check

HitRole = Qt.ItemDataRole.UserRole + 1


class NewConversationDialog(QDialog):
    """After ``exec()``: ``number`` (E.164) and ``conversation_id`` (an existing one, or None)."""

    def __init__(self, *, country: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New conversation")
        self.country = country
        self.number: str | None = None
        self.conversation_id: int | None = None
        self.input = QLineEdit(self)
        self.input.setPlaceholderText("Phone number or customer name")
        self.input.setAccessibleName("Phone number or customer name")
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        self.feedback.setAccessibleName("Number check")
        self.matches_label = QLabel("Matching customers:", self)
        self.matches = QListWidget(self)
        self.matches.setAccessibleName("Matching customers")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Open conversation")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.input.textChanged.connect(self._changed)
        self.matches.itemActivated.connect(self._pick)
        self.matches.itemDoubleClicked.connect(self._pick)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Type a number (default country {country}) or a name:", self))
        layout.addWidget(self.input)
        layout.addWidget(self.feedback)
        layout.addWidget(self.matches_label)
        layout.addWidget(self.matches, 1)
        layout.addStretch(0)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self._changed("")

    def _changed(self, text: str) -> None:
        self.matches.clear()
        for hit in contact_search.find_contacts(text, limit=15):
            label = (
                f"{hit.name}  ·  {display(hit.number, self.country)}"
                if hit.name
                else display(hit.number, self.country)
            )
            item = QListWidgetItem(label)
            item.setData(HitRole, (hit.number, hit.conversation_id))
            self.matches.addItem(item)
        self.matches.setVisible(self.matches.count() > 0)
        self.matches_label.setVisible(self.matches.count() > 0)
        self.number = None
        self.ok.setText("Open conversation")
        if not text.strip():
            self.feedback.setText("")
            self.ok.setEnabled(False)
            return
        try:
            number = normalize(text, self.country)
        except InvalidNumber as exc:
            if self.matches.count():
                self.feedback.setText("Pick a customer below, or keep typing the number.")
                self.feedback.setStyleSheet("")
            else:
                self.feedback.setText(str(exc))
                self.feedback.setStyleSheet("color: #d93025;")
            self.ok.setEnabled(self.matches.count() == 1)
            return
        self.number = number
        warning = number_check.warning_for(number, self.country)
        if warning is not None:  # a number, but not one the numbering data knows: staff decide
            self.feedback.setText(f"⚠ {warning}  ({number})")
            self.feedback.setStyleSheet("color: #b06000; font-weight: bold;")
            self.ok.setText("Open anyway")
        else:
            self.feedback.setText(f"✓ {display(number, self.country)}   ({number})")
            self.feedback.setStyleSheet("color: #188038; font-weight: bold;")
        self.ok.setEnabled(True)

    def _pick(self, item: QListWidgetItem) -> None:
        number, conversation_id = item.data(HitRole)
        self.number, self.conversation_id = number, conversation_id
        self.accept()

    def _accept(self) -> None:
        if self.number is None and self.matches.count() >= 1:
            item = self.matches.currentItem() or self.matches.item(0)
            self._pick(item)
            return
        if self.number is None:
            return
        self.conversation_id = queries.conversation_for_number(self.number)
        self.accept()
