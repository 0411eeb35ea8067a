"""Typed numbers in the window, by the one rule of desk.base.phones: refused only when they
cannot be a number; one the numbering data does not know is a warning staff accept or not."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from desk.base import phones
from desk.read import queries


def warning_for(number: str, country: str) -> str | None:
    """The warning for an E.164 ``number`` staff typed; None when the numbering data knows it
    or it is a customer's already (a number the network delivered from is always answered)."""
    if queries.conversation_for_number(number) is not None:
        return None
    return phones.unknown_number_warning(number, country)


def accept_typed_number(parent: QWidget, text: str, country: str) -> tuple[str | None, str]:
    """(the E.164 form of ``text``, "") once it passes; (None, why) when it cannot be a number
    (for the caller to show beside the field); (None, "") when the numbering data does not know
    it and staff, asked, did not take it."""
    try:
        number = phones.normalize(text, country)
    except phones.InvalidNumber as exc:
        return None, str(exc)
    warning = warning_for(number, country)
    if warning is not None:
        answer = QMessageBox.question(parent, "Unknown number", f"{warning}\n\nUse it anyway?")
        if answer != QMessageBox.StandardButton.Yes:
            return None, ""
    return number, ""
