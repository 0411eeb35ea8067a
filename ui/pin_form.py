"""What the window's PIN dialogs share: the SIM PIN (ui.pin_dialog) and a staff member's PIN
(ui.staff_dialog). A PIN field that never shows what is typed, the line that says what is wrong,
OK / Cancel under them, and the one rule both PINs follow (4 to 8 digits)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.modem_words import ERROR_STYLE

PIN_RULE = "A PIN is 4 to 8 digits."


def pin_problem(pin: str) -> str | None:
    """What is wrong with ``pin`` (spaces around it ignored), in plain words; None: nothing."""
    pin = pin.strip()
    return None if pin.isdigit() and 4 <= len(pin) <= 8 else PIN_RULE


def pin_edit(parent: QWidget, name: str) -> QLineEdit:
    """A PIN field: dots for what is typed, at most 8 characters, ``name`` for screen readers."""
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(8)
    edit.setAccessibleName(name)
    return edit


def error_line(parent: QWidget, text: str = "") -> QLabel:
    """The line that says what is wrong, in the window's error colour (wraps when long)."""
    label = QLabel(text, parent)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    return label


def lay_out(
    dialog: QDialog,
    parts: Sequence[QWidget | QLayout],
    error: QLabel,
    ok: Callable[[], None],
) -> QDialogButtonBox:
    """``parts`` top to bottom, then ``error``, then OK / Cancel: OK calls ``ok`` (which accepts
    the dialog when what was typed is right), Cancel rejects it."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.accepted.connect(ok)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    layout.addWidget(error)
    layout.addWidget(buttons)
    return buttons
