"""The question asked before a text with a card number, an ID number, a password or an IBAN
goes to the queue: "Send anyway" or "Edit the text" (the default)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from desk.compliance import privacy


def privacy_ok(parent: QWidget, text: str) -> bool:
    """True when ``text`` holds nothing sensitive, or staff chose to send it anyway."""
    findings = privacy.scan(text)
    if not findings:
        return True
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Sensitive data in this text?")
    box.setText(privacy.warning_text(findings))
    box.setInformativeText("Texts are not private: anyone holding the phone can read them.")
    send = box.addButton("Send anyway", QMessageBox.ButtonRole.AcceptRole)
    edit = box.addButton("Edit the text", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(edit)
    box.exec()
    return box.clickedButton() is send
