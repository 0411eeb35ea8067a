"""Conversation › Export: one conversation as a text file staff choose, readable by them only
(the file holds a customer's messages)."""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from desk.read import conversation_text, queries


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as a file only its owner can read (mode 0600, also when it
    replaces an older file that others could read)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except (AttributeError, OSError):  # no fchmod on Windows; the file keeps the user's ACL there
        pass
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def export_conversation(
    window: QMainWindow, conversation_id: int, *, zone: tzinfo, country: str
) -> None:
    row = queries.conversation_row(conversation_id)
    if row is None:
        return
    name = "".join(ch if ch.isalnum() else "-" for ch in row.title(country)).strip("-")
    path, _ = QFileDialog.getSaveFileName(
        window, "Export conversation", str(Path.home() / f"{name}.txt"), "Text (*.txt)"
    )
    if not path:
        return
    try:
        text = conversation_text.export_conversation(conversation_id, zone=zone, country=country)
        write_private(Path(path), text)
    except OSError as exc:
        QMessageBox.warning(window, "Export failed", f"Could not write {path}: {exc}")
        return
    window.statusBar().showMessage(f"Saved to {path}", 6000)
