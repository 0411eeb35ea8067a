"""Customer details beside the thread: name, number, notes, tags, consent, call back, erase, export."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desk.base.phones import display
from desk.read import queries
from ui import fmt

KIND_WORDS = {
    "opt_out": "Opted out",
    "opt_in": "Opted back in",
    "help": "Asked for help",
    "optout_text": "Wrote something like “stop texting me”",
}
METHOD_WORDS = {
    "keyword": "by text",
    "staff": "by staff",
    "import": "imported",
    "erasure": "at erasure",
}


class ContactPanel(QScrollArea):
    saveRequested = Signal(int, dict)  # contact id, fields
    optOutRequested = Signal(int, bool)  # contact id, opted out
    callbackChanged = Signal(int, bool)
    eraseRequested = Signal(int)
    exportRequested = Signal(int)  # conversation id

    def __init__(self, *, zone: tzinfo, country: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.country = country
        self.details: queries.ContactDetails | None = None
        self._pending: int | None = None
        self.erasing: set[int] = set()  # contacts whose erasure runs now (ui.job_progress)
        self.setWidgetResizable(True)
        self.setAccessibleName("Customer details")
        body = QWidget(self)
        self.setWidget(body)

        self.name = QLineEdit(body)
        self.name.setAccessibleName("Customer name")
        self.number = QLabel(body)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tags = QLineEdit(body)
        self.tags.setPlaceholderText("e.g. patient, ortho")
        self.tags.setAccessibleName("Tags")
        self.notes = QPlainTextEdit(body)
        self.notes.setAccessibleName("Notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(self.notes.fontMetrics().lineSpacing() * 5 + 12)
        # Details save as staff leave each field, like the call-back box saves when clicked:
        # one way for everything, nothing left unsaved behind a button.
        self.name.editingFinished.connect(self._save)
        self.tags.editingFinished.connect(self._save)
        self.notes.installEventFilter(self)
        self.saved_hint = QLabel("Saved as you leave each field.", body)
        self.saved_hint.setStyleSheet("color: palette(mid);")
        self.callback = QCheckBox("Wants a call back", body)
        self.callback.setAccessibleName("Wants a call back")
        self.callback.clicked.connect(self._callback)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Number", self.number)
        form.addRow("Tags", self.tags)
        form.addRow("Notes", self.notes)

        consent = QGroupBox("Texting consent", body)
        self.consent_state = QLabel(consent)
        self.consent_state.setWordWrap(True)
        self.consent_button = QPushButton(consent)
        self.consent_button.clicked.connect(self._toggle_consent)
        self.history = QListWidget(consent)
        self.history.setAccessibleName("Consent history")
        # The panel scrolls as a whole: the history is as tall as its rows, not a box that
        # scrolls inside the scrolling panel.
        self.history.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        cl = QVBoxLayout(consent)
        cl.addWidget(self.consent_state)
        cl.addWidget(self.history)
        cl.addWidget(self.consent_button)

        self.export = QPushButton("Export conversation…", body)
        self.export.clicked.connect(
            lambda: (
                self.details
                and self.details.conversation_id
                and self.exportRequested.emit(self.details.conversation_id)
            )
        )
        self.erase = QPushButton("Erase this customer…", body)
        self.erase.setStyleSheet("color: #d93025;")
        self.erase.clicked.connect(self._erase)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export)
        buttons.addWidget(self.erase)

        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(self.saved_hint, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.callback)
        layout.addWidget(consent)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def show_contact(self, contact_id: int | None) -> None:
        self._pending = contact_id
        if not self.isVisible():  # filled when shown: no queries for a hidden panel
            self.details = None
            return
        self.details = queries.contact_details(contact_id) if contact_id else None
        d = self.details
        self.setEnabled(d is not None)
        if d is None:
            for w in (self.name, self.tags):
                w.clear()
            self.notes.clear()
            self.number.clear()
            self.history.clear()
            return
        self.name.setText(d.name or "")
        self.number.setText(display(d.number, self.country))
        self.number.setToolTip(d.number)  # the full international form, once, on hover
        self.tags.setText(", ".join(d.tags))
        self.notes.setPlainText(d.notes)
        self.callback.setChecked(d.callback_requested)
        self.history.clear()
        for h in queries.consent_history(d.id):
            when = fmt.date_time(h.at, self.zone)
            self.history.addItem(
                f"{when}  {KIND_WORDS.get(h.kind, h.kind)} {METHOD_WORDS.get(h.method, h.method)}"
            )
        if self.history.count() == 0:
            self.history.addItem("No opt-out or opt-in recorded.")
        rows = sum(self.history.sizeHintForRow(i) for i in range(self.history.count()))
        self.history.setFixedHeight(rows + 2 * self.history.frameWidth() + 4)
        self._erase_button(d.id)
        if d.opted_out:
            self.consent_state.setText("Opted out: no texts may be sent.")
            self.consent_state.setStyleSheet("color: #d93025; font-weight: bold;")
            self.consent_button.setText("Opt back in (customer agreed)…")
        else:
            self.consent_state.setText("May be texted.")
            self.consent_state.setStyleSheet("")
            self.consent_button.setText("Opt out of texts")

    def set_erasing(self, contact_id: int, running: bool) -> None:
        """An erasure of ``contact_id`` started or ended: its Erase button waits meanwhile."""
        if running:
            self.erasing.add(contact_id)
        else:
            self.erasing.discard(contact_id)
        if self.details is not None:
            self._erase_button(self.details.id)

    def _erase_button(self, contact_id: int) -> None:
        busy = contact_id in self.erasing
        self.erase.setEnabled(not busy)
        self.erase.setText("Erasing…" if busy else "Erase this customer…")

    def refresh(self) -> None:
        self.show_contact(self.details.id if self.details else self._pending)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.details is None and self._pending is not None:
            self.show_contact(self._pending)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # QScrollArea filters its own widget's events too, from before ``notes`` exists.
        if watched is getattr(self, "notes", None) and event.type() == QEvent.Type.FocusOut:
            self._save()
        return super().eventFilter(watched, event)

    def _save(self) -> None:
        """Save the details if they differ from what is stored (called as a field is left)."""
        d = self.details
        if d is None:
            return
        tags = [t.strip().lower() for t in self.tags.text().split(",") if t.strip()]
        fields = {
            "name": self.name.text().strip() or None,
            "notes": self.notes.toPlainText(),
            "tags": ",".join(tags),
        }
        if (fields["name"], fields["notes"], tuple(tags)) == (
            (d.name or None),
            d.notes,
            tuple(d.tags),
        ):
            return
        self.saveRequested.emit(d.id, fields)

    def _callback(self, checked: bool) -> None:
        if self.details is not None:
            self.callbackChanged.emit(self.details.id, checked)

    def _toggle_consent(self) -> None:
        d = self.details
        if d is None:
            return
        if d.opted_out:
            answer = QMessageBox.question(
                self,
                "Opt back in",
                f"Only do this if {d.name or d.number} asked to get texts again. Opt them back in?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.optOutRequested.emit(d.id, not d.opted_out)

    def _erase(self) -> None:
        d = self.details
        if d is None:
            return
        who = d.name or display(d.number, self.country)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Erase customer")
        box.setText(f"Erase {who} and every message with them?")
        box.setInformativeText(
            "This cannot be undone. An opt-out is kept (by number) so they are never texted again."
        )
        erase = box.addButton("Erase", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is erase:
            self.eraseRequested.emit(d.id)
