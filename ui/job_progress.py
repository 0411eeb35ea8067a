"""Bulk work started from the window, shown while the engine runs it: a small non-modal row per
job (what it does, a bar, Cancel) at the right of the main window's status bar.

The engine runs the job (``Engine.run_job``, desk.engine.jobs) one short step at a time on its
core thread, so the window never waits and incoming texts are stored between steps. Each step's
status reaches the row through a Qt signal (queued to the GUI thread); Cancel asks the job to stop
before its next step (what earlier steps committed stays, the job's result says what that means).

``area_for(widget)`` finds (or makes) the rows' place for a widget: the status bar of its main
window, or a small tool window of its own for a dialog shown without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.compliance import erase
from desk.compliance.erase import ErasureResult
from desk.store.bulk import BulkJob, JobState, JobStatus
from ui.bridge import Bridge
from ui.staff_actions import author

if TYPE_CHECKING:
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

LINGER_MS = 4000  # a finished row stays this long with its last words, then goes


class _Relay(QObject):
    """Carries a job's status from the core thread to the GUI thread (queued). Parentless and
    kept by the job's callback, so a step never emits into a deleted object."""

    status = Signal(object)  # JobStatus


class JobRow(QFrame):
    """One job: its words ("importing appointments (41%)"), a bar and Cancel."""

    changed = Signal(str)  # the words, each time they change
    succeeded = Signal(object)  # the job's result
    failed = Signal(object)  # the exception

    def __init__(self, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        self.setAccessibleName(f"Progress: {description}")
        self.label = QLabel(f"{description}: waiting for its turn…", self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.bar.setMaximumWidth(140)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName(f"Cancel {description}")
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.relay = _Relay()
        self.relay.status.connect(self._show)
        self.words = self.label.text()
        self.cancel_wanted = False
        self.finished = False
        self.job: BulkJob[Any] | None = None

    # --- the job (any thread) -------------------------------------------------------------------
    def attach(self, job: BulkJob[Any]) -> None:
        """Follow ``job`` (callable on the core thread, before its first step): each step's
        status comes to this row; a Cancel pressed before it arrived reaches it now."""
        relay = self.relay
        job.on_status = relay.status.emit
        self.job = job
        if self.cancel_wanted:
            job.cancel()

    def cancel(self) -> None:
        self.cancel_wanted = True
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        job = self.job
        if job is not None:
            job.cancel()

    # --- GUI thread -----------------------------------------------------------------------------
    def _show(self, status: JobStatus) -> None:
        self.bar.setValue(status.percent)
        if status.state is JobState.CANCELLED:
            words = status.words() + " (what was done before stays)"
        else:
            words = status.words()
        self._say(words)

    def _say(self, words: str) -> None:
        if words != self.words:
            self.words = words
            self.label.setText(words)
            self.changed.emit(words)

    def settle(self, *, ok: bool, words: str | None) -> None:
        """The job's Future is done: final words, no Cancel, gone after a moment."""
        self.finished = True
        self.cancel_button.hide()
        if ok:
            self.bar.setValue(100 if not self.cancel_wanted else self.bar.value())
        if words:
            self._say(words)
        QTimer.singleShot(LINGER_MS, self._remove)

    def _remove(self) -> None:
        self.hide()
        self.deleteLater()


class JobArea(QWidget):
    """Where the rows sit: one per running job, newest last."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobArea")
        self.rows_layout = QVBoxLayout(self)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.hide()

    @property
    def rows(self) -> list[JobRow]:
        return [r for r in self.findChildren(JobRow) if not r.finished or r.isVisible()]

    def add_row(self, description: str) -> JobRow:
        row = JobRow(description, self)
        self.rows_layout.addWidget(row)
        row.destroyed.connect(self._tidy)
        self.show()
        if self.isWindow():
            self.adjustSize()
        return row

    def _tidy(self, *_: object) -> None:
        QTimer.singleShot(0, self._hide_if_empty)

    def _hide_if_empty(self) -> None:
        if not any(r.isVisibleTo(self) for r in self.findChildren(JobRow)):
            self.hide()

    def track(
        self,
        description: str,
        future: Future[Any],
        bridge: Bridge,
        *,
        job: BulkJob[Any] | None = None,
        done_words: Callable[[Any], str] | None = None,
    ) -> JobRow:
        """A row for a job whose Future is ``future`` (``job`` given now, or later through
        ``row.attach`` from the core thread). ``done_words(result)`` is what the row says at
        the end; ``row.succeeded``/``row.failed`` tell the caller."""
        row = self.add_row(description)
        if job is not None:
            row.attach(job)

        def ok(result: Any) -> None:
            row.settle(ok=True, words=done_words(result) if done_words else None)
            row.succeeded.emit(result)

        def error(exc: BaseException) -> None:
            row.settle(ok=False, words=str(exc) or type(exc).__name__)
            row.failed.emit(exc)

        bridge.when_done(future, ok, error)
        return row


def area_for(widget: QWidget) -> JobArea:
    """The job area of ``widget``'s main window (made on first use), else a tool window."""
    node: QObject | None = widget
    while node is not None and not isinstance(node, QMainWindow):
        node = node.parent()
    host: QWidget = node if isinstance(node, QMainWindow) else widget.window()
    area = host.findChild(JobArea, "jobArea")
    if area is not None:
        return area
    if isinstance(host, QMainWindow):
        area = JobArea(host.statusBar())
        host.statusBar().addPermanentWidget(area)
    else:
        area = JobArea(host)
        area.setWindowFlags(Qt.WindowType.Tool)
        area.setWindowTitle("TextDesk is working")
    return area


def erase_contact(window: MainWindow, contact_id: int) -> JobRow:
    """Erase a customer as a job on the engine, shown with progress and Cancel."""
    staff = author(window)  # who signed in here, else the staff_name setting
    area = area_for(window)
    row = area.add_row("erasing a customer")
    window.contact.set_erasing(contact_id, True)
    future = window.engine.erase_contact(contact_id, staff=staff, on_job=row.attach)

    def ok(result: ErasureResult) -> None:
        window.contact.set_erasing(contact_id, False)
        row.settle(ok=True, words=f"Customer erased ({result.messages} messages).")
        # What the erasure leaves in backups, in the engine's words (SQLite files or pg_dump).
        window.status.showMessage(f"Customer erased. {erase.backup_note().capitalize()}.", 10000)
        row.succeeded.emit(result)

    def error(exc: BaseException) -> None:
        window.contact.set_erasing(contact_id, False)
        row.settle(ok=False, words=str(exc) or type(exc).__name__)
        row.failed.emit(exc)
        if row.cancel_wanted:  # what the job says about the part done is the whole story
            window.status.showMessage(str(exc), 8000)
        else:
            log.warning("erasure failed: %s", exc)
            QMessageBox.warning(window, "That did not work", str(exc) or type(exc).__name__)

    window.bridge.when_done(future, ok, error)
    return row


__all__ = ["JobArea", "JobRow", "area_for", "erase_contact"]
