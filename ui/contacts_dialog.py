"""File › Import contacts… / Export contacts…: the phone's or Google's address book in and out.

Import reads the file and shows what it would do (how many numbers, every rejected entry with
its place and reason) before anything changes; Import then merges on the engine's core thread as
a job in short steps (desk.data.contacts_io.ImportJob, Engine.run_job) with progress and Cancel
in the main window's status bar (ui.job_progress). Reading the file and exporting run off the GUI
thread (ui.ports.run_async).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.base.clock import Clock
from desk.data import contacts_io
from ui import job_progress, ports
from ui.bridge import Bridge

SHOWN_REJECTED = 500


class ContactsImportDialog(QDialog):
    def __init__(
        self,
        engine: Any,
        bridge: Bridge,
        *,
        country: str,
        clock: Clock,
        who: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import contacts")
        self.engine, self.bridge, self.country, self.clock = engine, bridge, country, clock
        self.who = who  # the name on the import's audit line, asked when Import is pressed
        self.preview: contacts_io.Preview | None = None
        self.applied: contacts_io.Applied | None = None
        self.choose = QPushButton("Choose a file (.vcf or .csv)…")
        self.choose.clicked.connect(self.pick)
        self.summary = QLabel(
            "Contacts from a phone or Google Contacts (vCard) or a spreadsheet (CSV). Nothing "
            "changes until you press Import; a name typed in TextDesk is never overwritten."
        )
        self.summary.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.choose)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.buttons)
        self.resize(
            self.fontMetrics().horizontalAdvance("x") * 80, self.fontMetrics().height() * 22
        )

    def pick(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import contacts", "", "Contacts (*.vcf *.csv *.txt);;All files (*)"
        )
        if name:
            self.load(Path(name))

    def load(self, path: Path) -> None:
        self.summary.setText(f"Reading {path.name}…")
        self.import_button.setEnabled(False)

        def work() -> contacts_io.Preview:
            return contacts_io.read(path.read_bytes(), country=self.country)

        ports.run_async(self, work, lambda p, err: self._previewed(path, p, err))

    def _previewed(
        self, path: Path, preview: contacts_io.Preview | None, error: str | None
    ) -> None:
        self.problems.clear()
        if preview is None:
            self.preview = None
            self.problems.setVisible(False)
            said = str(error or "the file cannot be read.")
            tail = "" if "nothing" in said.lower() else " Nothing was imported."
            self.summary.setText(f"{path.name}: {said}{tail}")
            return
        self.preview = preview
        self.summary.setText(
            f"{path.name}: {preview.numbers} number(s) to merge, {len(preview.rejected)} "
            "entr"
            + ("y" if len(preview.rejected) == 1 else "ies")
            + " that cannot be imported"
            + (" (below, with the reason)." if preview.rejected else ".")
        )
        for bad in preview.rejected[:SHOWN_REJECTED]:
            self.problems.addItem(f"{bad.where}: {bad.reason}")
        if len(preview.rejected) > SHOWN_REJECTED:
            self.problems.addItem(f"… and {len(preview.rejected) - SHOWN_REJECTED} more")
        self.problems.setVisible(bool(preview.rejected))
        self.import_button.setEnabled(bool(preview.entries))

    def do_import(self) -> None:
        if self.preview is None or not self.preview.entries:
            return
        job = contacts_io.ImportJob(self.preview, clock=self.clock, staff=self.who())
        self.import_button.setEnabled(False)
        self.summary.setText("Importing… progress and Cancel are at the bottom of the window.")
        future = self.engine.run_job(job)
        row = job_progress.area_for(self).track(
            job.description, future, self.bridge, job=job, done_words=_words
        )
        row.succeeded.connect(self._done)
        row.failed.connect(lambda exc: self.summary.setText(f"The import stopped: {exc}"))

    def _done(self, applied: contacts_io.Applied) -> None:
        self.applied = applied
        self.summary.setText(_words(applied))


def _words(applied: contacts_io.Applied) -> str:
    return (
        f"Contacts imported: {applied.added} new, {applied.named} got a name, "
        f"{applied.tagged} got tags, {applied.unchanged} already up to date."
    )


def export_contacts(parent: QWidget) -> None:
    """Write every contact as a vCard file the user picks (owner-only: it is customer data)."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export contacts", "contacts.vcf", "vCard (*.vcf)"
    )
    if not name:
        return

    def work() -> int:
        text = contacts_io.export_vcard()
        Path(name).write_text(text, encoding="utf-8")
        os.chmod(name, 0o600)
        return text.count("BEGIN:VCARD")

    def done(count: int | None, error: str | None) -> None:
        if count is None:
            QMessageBox.warning(parent, "Export contacts", f"Could not write {name}: {error}")
        else:
            QMessageBox.information(
                parent, "Export contacts", f"{count} contact(s) written to {name}."
            )

    ports.run_async(parent, work, done)
