"""File › Automatic answers…: opening hours, the away reply, keyword answers, the missed-call text.

Every automation on one page, each with its switch, its text, a preview of what a customer gets,
and how often it fired this week. Settings are checked with the same parsers as ``textdesk
config`` and saved on the core thread (desk.engine.window_ops.save_settings); keyword answers are
added, switched and deleted on the core thread too (desk.automations.keywords). Nothing here
reads or writes the database on the GUI thread except the small keyword list.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk.automations import keywords
from desk.base import opening_hours
from desk.base.clock import Clock
from desk.messaging import placeholders
from desk.read import insight
from desk.store.settings import SPECS, SettingError, zone_named
from ui import ports

NO_CALLS = {
    "hilink": "A HiLink stick does not tell TextDesk about calls: missed-call texts need a USB "
    "modem with an AT port.",
    "android": "The phone's gateway app does not tell TextDesk about calls: missed-call texts "
    "need a USB modem with an AT port.",
}
Call = Callable[..., "Future[Any]"]
WhenDone = Callable[..., None]


def _text_box(text: str) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setFixedHeight(box.fontMetrics().height() * 4)
    return box


class AutomationsPage(QDialog):
    def __init__(
        self,
        values: dict[str, Any],
        *,
        call: Call,
        when_done: WhenDone,
        clock: Clock,
        save: Callable[[dict[str, str], Callable[[str | None], None]], None],
        who: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Automatic answers")
        self.values = values
        self.call, self.when_done, self.clock, self.save = call, when_done, clock, save
        self.who = who  # the name on a keyword change's audit line, asked at each change
        self.now = clock.now
        self.error = QLabel()
        self.error.setStyleSheet("color: #d93025;")
        self.error.setWordWrap(True)

        # Opening hours
        self.hours = QLineEdit(str(values.get("opening_hours", "")))
        self.hours.setPlaceholderText("mon-fri 09:00-18:00; sat 10:00-14:00")
        self.closed = QLineEdit(str(values.get("closed_days", "")))
        self.closed.setPlaceholderText("2026-12-25, 2026-12-26")
        hours_box = QGroupBox("Opening hours (the shop's time zone)")
        form = QFormLayout(hours_box)
        form.addRow("Open:", self.hours)
        form.addRow("Closed days:", self.closed)

        # Away reply
        self.away_on = QCheckBox("Answer texts that arrive when the shop is closed")
        self.away_on.setChecked(bool(values.get("away_reply")))
        self.away_text = _text_box(str(values.get("away_text", "")))
        self.away_every = QSpinBox()
        self.away_every.setRange(1, 168)
        self.away_every.setSuffix(" hours")
        self.away_every.setValue(int(values.get("away_every_hours", 12)))
        self.away_preview = QLabel()
        self.away_count = QLabel()
        away_box = QGroupBox("Away reply")
        form = QFormLayout(away_box)
        form.addRow(self.away_on)
        form.addRow("Text:", self.away_text)
        form.addRow("At most once per customer in:", self.away_every)
        form.addRow("A customer gets:", self.away_preview)
        form.addRow(self.away_count)

        # Keyword answers
        self.keywords_on = QCheckBox("Answer the words below automatically")
        self.keywords_on.setChecked(bool(values.get("keyword_answers", True)))
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Keyword", "Answer", "On"])
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(
            1, self.table.horizontalHeader().ResizeMode.Stretch
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(self.fontMetrics().height() * 7)
        self.table.itemChanged.connect(self._switched)
        self.new_word = QLineEdit()
        self.new_word.setPlaceholderText("HOURS")
        self.new_answer = QLineEdit()
        self.new_answer.setPlaceholderText("We are open Mon-Fri 9-6, Sat 10-2. {shop}")
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add_keyword)
        self.delete_button = QPushButton("Delete selected")
        self.delete_button.clicked.connect(self.delete_keyword)
        self.keyword_count = QLabel()
        kw_box = QGroupBox(
            "Keyword answers (STOP, START, HELP and appointment answers are reserved)"
        )
        kw = QVBoxLayout(kw_box)
        kw.addWidget(self.keywords_on)
        kw.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(self.new_word, 1)
        row.addWidget(self.new_answer, 3)
        row.addWidget(self.add_button)
        row.addWidget(self.delete_button)
        kw.addLayout(row)
        kw.addWidget(self.keyword_count)

        # Missed calls
        self.call_on = QCheckBox("Text back a caller the shop did not answer")
        self.call_on.setChecked(bool(values.get("missed_call_textback")))
        self.call_text = _text_box(str(values.get("missed_call_text", "")))
        self.call_every = QSpinBox()
        self.call_every.setRange(1, 720)
        self.call_every.setSuffix(" hours")
        self.call_every.setValue(int(values.get("missed_call_every_hours", 24)))
        self.decline = QSpinBox()
        self.decline.setRange(0, 30)
        self.decline.setSpecialValueText("never")
        self.decline.setSuffix(" rings")
        self.decline.setValue(int(values.get("decline_after_rings", 0)))
        self.call_quiet = QCheckBox("Hold it during quiet hours too")
        self.call_quiet.setChecked(bool(values.get("missed_call_quiet_hours")))
        self.call_preview = QLabel()
        self.call_count = QLabel()
        call_box = QGroupBox("Missed calls")
        form = QFormLayout(call_box)
        note = NO_CALLS.get(str(values.get("modem_kind", "at")))
        if note:
            warning = QLabel(note)
            warning.setWordWrap(True)
            form.addRow(warning)
        form.addRow(self.call_on)
        form.addRow("Text:", self.call_text)
        form.addRow("At most once per caller in:", self.call_every)
        form.addRow("Hang up after:", self.decline)
        form.addRow(self.call_quiet)
        form.addRow("A caller gets:", self.call_preview)
        form.addRow(self.call_count)

        for label in (self.away_preview, self.call_preview):
            label.setWordWrap(True)
            label.setStyleSheet("font-style: italic;")
        for signal in (self.hours.textChanged, self.closed.textChanged, self.away_text.textChanged,
                       self.call_text.textChanged):  # fmt: skip
            signal.connect(self.update_previews)

        body = QWidget()
        inner = QVBoxLayout(body)
        for box in (hours_box, away_box, kw_box, call_box):
            inner.addWidget(box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept_changes)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(
            self.fontMetrics().horizontalAdvance("x") * 100, self.fontMetrics().height() * 40
        )
        self.reload_keywords()
        self.update_previews()
        self.count_fired()

    # --- previews and counts -------------------------------------------------------------------

    def _values(self) -> placeholders.Values:
        shop = str(self.values.get("shop_name", ""))
        return placeholders.Values(first_name="", name="", shop=shop, signature="")

    def update_previews(self) -> None:
        base = self._values()
        try:
            hours = opening_hours.parse(self.hours.text(), self.closed.text().split(","))
            zone = zone_named(str(self.values.get("timezone") or ""))
            self.error.clear()
        except ValueError as exc:
            hours, zone = opening_hours.OpeningHours(), None
            self.error.setText(str(exc))
        if hours.always_open or zone is None:
            nxt = "[when the shop opens: set the opening hours above]"
        else:
            nxt = opening_hours.describe_next_open(hours, self._closed_moment(hours, zone), zone)
        away = placeholders.Values(**{**base.__dict__, "next_open": nxt})
        self.away_preview.setText(
            placeholders.render(self.away_text.toPlainText(), away) or "(empty)"
        )
        self.call_preview.setText(
            placeholders.render(self.call_text.toPlainText(), base) or "(empty)"
        )

    def _closed_moment(self, hours: opening_hours.OpeningHours, zone: ZoneInfo) -> datetime:
        """Now, or the next moment the shop is closed: when an away reply would go out."""
        now = self.now()
        current = next(hours.intervals(now, now + timedelta(microseconds=1), zone), None)
        if current is None:
            return now
        later = next(hours.intervals(now, now + timedelta(days=8), zone), None)
        return (later[1] if later else now) + timedelta(minutes=1)

    def count_fired(self) -> None:
        now = self.now()
        ports.run_async(
            self, lambda: insight.automation_counts(now - timedelta(days=7), now), self._counted
        )

    def _counted(self, counts: dict[str, int] | None, error: str | None) -> None:
        if counts is None:
            for label in (self.away_count, self.keyword_count, self.call_count):
                label.setText(f"(could not count: {error})")
            return
        self.away_count.setText(f"Sent {counts.get('away', 0)} times in the last 7 days")
        self.keyword_count.setText(f"Answered {counts.get('keyword', 0)} times in the last 7 days")
        self.call_count.setText(f"Sent {counts.get('missed_call', 0)} times in the last 7 days")

    # --- keywords -------------------------------------------------------------------------------

    def reload_keywords(self) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row in keywords.listed():
            i = self.table.rowCount()
            self.table.insertRow(i)
            word = QTableWidgetItem(row.keyword.upper())
            word.setData(Qt.ItemDataRole.UserRole, row.id)
            self.table.setItem(i, 0, word)
            self.table.setItem(i, 1, QTableWidgetItem(row.answer))
            on = QTableWidgetItem()
            on.setCheckState(Qt.CheckState.Checked if row.enabled else Qt.CheckState.Unchecked)
            self.table.setItem(i, 2, on)
        self.table.resizeColumnToContents(0)
        self.table.blockSignals(False)

    def _done(self, future: Future[Any], ok: str) -> None:
        def fine(_result: object) -> None:
            self.error.setText("")
            self.error.setStyleSheet("color: palette(text);")
            self.error.setText(ok)
            self.reload_keywords()

        def failed(exc: BaseException) -> None:
            self.error.setStyleSheet("color: #d93025;")
            self.error.setText(str(exc))

        self.when_done(future, fine, failed)

    def add_keyword(self) -> None:
        word, answer = self.new_word.text(), self.new_answer.text()
        try:
            keywords.check_keyword(word)
        except keywords.KeywordError as exc:
            self.error.setText(str(exc))
            return
        fut = self.call(keywords.add, word, answer, clock=self.clock, staff=self.who())
        self._done(fut, f"{keywords.fold(word).upper()} is answered automatically now.")
        self.new_word.clear()
        self.new_answer.clear()

    def delete_keyword(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            self.error.setText("Select a keyword to delete.")
            return
        item = self.table.item(row, 0)
        if item is None:
            return
        fut = self.call(
            keywords.delete,
            int(item.data(Qt.ItemDataRole.UserRole)),
            clock=self.clock,
            staff=self.who(),
        )
        self._done(fut, f"{item.text()} deleted.")

    def _switched(self, item: QTableWidgetItem) -> None:
        if item.column() != 2:
            return
        word = self.table.item(item.row(), 0)
        if word is None:
            return
        enabled = item.checkState() == Qt.CheckState.Checked
        fut = self.call(
            keywords.update,
            int(word.data(Qt.ItemDataRole.UserRole)),
            enabled=enabled,
            clock=self.clock,
            staff=self.who(),
        )
        self._done(fut, f"{word.text()} is {'on' if enabled else 'off'}.")

    # --- saving ---------------------------------------------------------------------------------

    def changes(self) -> dict[str, str]:
        wanted = {
            "opening_hours": self.hours.text().strip(),
            "closed_days": self.closed.text().strip(),
            "away_reply": "on" if self.away_on.isChecked() else "off",
            "away_text": self.away_text.toPlainText(),
            "away_every_hours": str(self.away_every.value()),
            "keyword_answers": "on" if self.keywords_on.isChecked() else "off",
            "missed_call_textback": "on" if self.call_on.isChecked() else "off",
            "missed_call_text": self.call_text.toPlainText(),
            "missed_call_every_hours": str(self.call_every.value()),
            "decline_after_rings": str(self.decline.value()),
            "missed_call_quiet_hours": "on" if self.call_quiet.isChecked() else "off",
        }
        out = {}
        for key, text in wanted.items():
            parsed = SPECS[key].parse(text)  # SettingError names what is wrong
            if parsed != self.values.get(key, SPECS[key].default):
                out[key] = text
        return out

    def accept_changes(self) -> None:
        try:
            changes = self.changes()
        except SettingError as exc:
            self.error.setText(str(exc))
            return
        if self.away_on.isChecked() and not self.hours.text().strip():
            self.error.setText("The away reply needs opening hours: say when the shop is open.")
            return
        if not changes:
            self.accept()
            return

        def done(error: str | None) -> None:
            if error:
                self.error.setText(error)
            else:
                self.accept()

        self.save(changes, done)
