"""Import appointments from a CSV file: parse in a worker thread (a progress bar for big files,
the window never freezes), preview every row — new, already imported, or rejected in red with the
reason — then create them as a job on the engine's core thread (short steps, progress and Cancel:
ui.job_progress).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desk.engine.api import Engine
from desk.messaging.placeholders import format_date, format_time
from desk.reminders import csv_import as appointments_csv
from desk.reminders.csv_parse import Preview
from ui import job_progress
from ui.bridge import Bridge
from ui.reminders_model import Row, RowsModel
from ui.signed_in import author_for

log = logging.getLogger(__name__)

REJECTED_FG, REJECTED_BG = "#b00020", "#fde7ea"
EXISTING_FG = "#777777"
HEADERS = ["Line", "Status", "Name", "Phone", "When", "Service", "Reason / note"]


class _Signals(QObject):
    progress = Signal(int, int)
    finished = Signal(object)  # Preview
    failed = Signal(str)


class _ParseJob(QRunnable):
    """Parses the file on a pool thread (read-only database access for "already imported")."""

    def __init__(self, path: str, settings: Any, clock: Any) -> None:
        super().__init__()
        self.path, self.settings, self.clock = path, settings, clock
        self.signals = _Signals()

    def run(self) -> None:
        from desk.store.db import db

        try:
            preview = appointments_csv.preview_file(
                self.path, settings=self.settings, clock=self.clock, progress=self._progress
            )
        except Exception as exc:  # unreadable file, permissions…: one clear line
            self.signals.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.signals.finished.emit(preview)
        finally:
            try:
                if not db.is_closed():
                    db.close()  # this pool thread's own connection
            except Exception:
                log.debug("closing the worker's connection failed", exc_info=True)

    def _progress(self, done: int, total: int) -> None:
        self.signals.progress.emit(done, total)


class ImportDialog(QDialog):
    imported = Signal(object)  # ImportResult

    def __init__(self, engine: Engine, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import appointments")
        self.engine = engine
        self.bridge = bridge
        self.settings = engine.settings
        self.clock = engine.clock
        self.zone = self.settings.shop_zone()
        self.country = self.settings.get("default_country")
        self.preview: Preview | None = None
        self.import_result: appointments_csv.ImportResult | None = None
        self._job: _ParseJob | None = None
        self.job_row: job_progress.JobRow | None = None

        self.path = QLineEdit(self)
        self.path.setPlaceholderText("A CSV file from your booking system")
        self.browse = QPushButton("Choose file…", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.hide()
        self.summary = QLabel("Choose a file: name, phone, date, time, and optionally service "
                              "and note, in any order with a header row.", self)  # fmt: skip
        self.summary.setWordWrap(True)
        self.summary.setObjectName("importSummary")
        self.model = RowsModel(HEADERS, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)

        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)

        self.browse.clicked.connect(self.choose)
        self.path.returnPressed.connect(lambda: self.load(self.path.text()))
        self.import_button.clicked.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)
        self.resize(900, 600)

    # --- reading the file (worker thread) ---------------------------------------------------------
    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import appointments", str(Path.home()), "CSV files (*.csv *.txt);;All files (*)"
        )
        if path:
            self.load(path)

    def load(self, path: str) -> None:
        path = path.strip()
        if not path:
            return
        self.path.setText(path)
        self.preview = None
        self.import_button.setEnabled(False)
        self.model.set_rows([])
        self.progress.setValue(0)
        self.progress.show()
        self.summary.setText(f"Reading {Path(path).name}…")
        job = _ParseJob(path, self.settings, self.clock)
        job.signals.progress.connect(self._on_progress)
        job.signals.finished.connect(self._on_parsed)
        job.signals.failed.connect(self._on_failed)
        self._job = job  # keep the signals object alive until it reports
        QThreadPool.globalInstance().start(job)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(1000 * done / max(1, total)))

    def _on_failed(self, text: str) -> None:
        self._job = None
        self.progress.hide()
        self.summary.setText(f"Could not read the file: {text}")

    def _on_parsed(self, preview: Preview) -> None:
        self._job = None
        self.progress.setValue(1000)
        self.progress.hide()
        self.preview = preview
        self._fill(preview)
        new = len(preview.new_rows)
        self.summary.setText(
            f"{new} appointment(s) to create, {preview.existing} already imported, "
            f"{len(preview.rejected)} row(s) rejected (shown in red with the reason)."
        )
        self.import_button.setEnabled(new > 0)

    def _fill(self, preview: Preview) -> None:
        rows: list[tuple[int, Row]] = []
        for r in preview.rows:
            when = f"{format_date(r.starts_at, self.zone)} " + format_time(
                r.starts_at, self.zone, self.country
            )
            status = "Already imported" if r.exists else "New"
            cells = (str(r.line), status, r.name, r.phone, when, r.service, r.note)
            rows.append((r.line, Row(cells, key=r.line, fg=EXISTING_FG if r.exists else None)))
        for bad in preview.rejected:
            cells = (str(bad.line), "Rejected", bad.raw, "", "", "", bad.reason)
            row = Row(cells, key=bad.line, fg=REJECTED_FG, bg=REJECTED_BG, tip=bad.reason)
            rows.append((bad.line, row))
        rows.sort(key=lambda x: x[0])
        self.model.set_rows([row for _, row in rows])
        self.table.resizeColumnsToContents()

    def row_status(self, row: int) -> str:
        return self.model.cell(row, 1)

    # --- importing (a job on the engine's core thread) ------------------------------------------
    def do_import(self) -> None:
        """Create the new rows as an ImportJob on the engine: short steps between incoming texts,
        progress and Cancel in the main window's status bar (ui.job_progress); this dialog may be
        closed meanwhile."""
        if self.preview is None or not self.preview.new_rows:
            return
        try:
            job = appointments_csv.ImportJob(
                self.preview.new_rows,
                settings=self.settings,
                clock=self.clock,
                created_by=author_for(self, self.settings),
            )
        except ValueError as exc:  # ReminderError: one plain line
            self.summary.setText(f"Nothing was imported: {exc}")
            return
        self.import_button.setEnabled(False)
        self.summary.setText(
            "Importing… progress and Cancel are at the bottom of the TextDesk window; you can "
            "close this one, the import goes on."
        )
        future = self.engine.run_job(job)
        self.job_row = job_progress.area_for(self).track(
            job.description, future, self.bridge, job=job, done_words=self._words
        )
        self.job_row.succeeded.connect(self._imported)
        self.job_row.failed.connect(self._import_failed)

    @staticmethod
    def _words(result: appointments_csv.ImportResult) -> str:
        if result.cancelled:
            return (
                f"Import cancelled: {len(result.created)} appointment(s) created; importing the "
                "file again creates only the rest"
            )
        return f"Imported {len(result.created)} appointment(s)"

    def _imported(self, result: appointments_csv.ImportResult) -> None:
        self.import_result = result
        text = self._words(result)
        if result.existing:
            text += f", {result.existing} were already there"
        if result.failed:
            text += ", not created: " + "; ".join(
                f"line {f.line}: {f.reason}" for f in result.failed[:5]
            )
        self.summary.setText(text + ".")
        self.imported.emit(result)

    def _import_failed(self, exc: BaseException) -> None:
        self.summary.setText(
            f"The import stopped: {exc}. What was created before stays; importing the file "
            "again creates only the rest."
        )
        self.import_button.setEnabled(True)

    def done(self, code: int) -> None:
        if self._job is not None:
            # The worker still reports to our signals object; disconnect so nothing arrives late.
            try:
                self._job.signals.progress.disconnect()
                self._job.signals.finished.disconnect()
                self._job.signals.failed.disconnect()
            except (RuntimeError, TypeError):
                pass
        super().done(code)


__all__ = ["ImportDialog"]
