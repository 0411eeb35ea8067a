"""The Reminders page: upcoming reminders by day, appointments with their replies, and history.

Self-contained: it reads through ``desk.reminders.listing``' read-only queries on the GUI thread (its own
SQLite connection) and changes things only through ``engine.call(fn, ...)`` Futures, whose results
come back on the GUI thread through the bridge. It refreshes on RemindersChanged /
AppointmentUpdated / MessageUpdated (debounced) and once a minute (groups move with the clock).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk.engine.api import Engine
from desk.reminders import appointments, listing, manage, scheduler
from ui.bridge import Bridge
from ui.reminders_model import Row, RowsModel

log = logging.getLogger(__name__)

STATE_COLORS = {
    "confirmed": "#1b7f3b",
    "reschedule": "#b35c00",
    "cancelled": "#777777",
    "pending": "#1f5fa8",
    "missed": "#b00020",
    "skipped": "#8a6d00",
    "failed": "#b00020",
    "uncertain": "#b35c00",
}
STATE_WORDS = {
    "pending": "Waiting for reply",
    "confirmed": "Confirmed",
    "reschedule": "Wants to reschedule",
    "cancelled": "Cancelled",
    "queued": "Waiting to send",
    "sending": "Sending…",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Not sent",
    "uncertain": "Not sure it went out",
    "skipped": "Skipped",
    "missed": "Missed",
}


MAX_COLUMN = 260  # px: columns other than the text are capped; the full text is in the tooltip


class RemindersView(QWidget):
    def __init__(
        self, engine: Engine, parent: QWidget | None = None, *, bridge: Bridge | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RemindersView")
        self.engine = engine
        self.settings = engine.settings
        self.clock = engine.clock
        if bridge is None:
            # Our own bridge; detached when this page goes so the engine never calls a dead one.
            bridge = Bridge(self)
            unsubscribe = bridge.attach(engine)
            self.destroyed.connect(lambda *_: unsubscribe())
            self._own_bridge = True
        else:
            self._own_bridge = False
        self.bridge = bridge
        self.last_error = ""

        self.new_button = QPushButton("New reminder…", self)
        self.import_button = QPushButton("Import appointments…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.send_button = QPushButton("Send now", self)
        self.cancel_button = QPushButton("Cancel reminder", self)
        self.confirm_button = QPushButton("Mark confirmed", self)
        self.cancel_appt_button = QPushButton("Cancel appointment", self)
        self.status = QLabel("", self)  # what the last action did (or why not)
        self.status.setObjectName("remindersStatus")
        self.count_label = QLabel("", self)

        bar = QHBoxLayout()
        for b in (self.new_button, self.import_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.count_label)

        self.upcoming_model = RowsModel(
            ["When", "To", "Text", "Repeats / appointment", "Note"], self
        )
        self.upcoming = self._table(self.upcoming_model)
        self.upcoming.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.upcoming.horizontalHeader().setStretchLastSection(False)
        self.upcoming.selectionModel().selectionChanged.connect(self._update_buttons)
        self.upcoming.doubleClicked.connect(lambda *_: self.edit_selected())
        up_page = QWidget(self)
        up_layout = QVBoxLayout(up_page)
        up_layout.setContentsMargins(0, 0, 0, 0)
        up_layout.addWidget(self.upcoming)
        up_buttons = QHBoxLayout()
        for b in (self.edit_button, self.send_button, self.cancel_button):
            up_buttons.addWidget(b)
        up_buttons.addStretch(1)
        up_layout.addLayout(up_buttons)

        self.appointments_model = RowsModel(
            ["When", "Who", "Service", "State", "Reminders to go", "Reply", "Note"], self
        )
        self.appointments = self._table(self.appointments_model)
        self.appointments.selectionModel().selectionChanged.connect(self._update_buttons)
        ap_page = QWidget(self)
        ap_layout = QVBoxLayout(ap_page)
        ap_layout.setContentsMargins(0, 0, 0, 0)
        ap_layout.addWidget(self.appointments)
        ap_buttons = QHBoxLayout()
        ap_buttons.addWidget(self.confirm_button)
        ap_buttons.addWidget(self.cancel_appt_button)
        ap_buttons.addStretch(1)
        ap_layout.addLayout(ap_buttons)

        self.history_model = RowsModel(["Due", "To", "What happened", "Why", "Reminder"], self)
        self.history = self._table(self.history_model)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(up_page, "Upcoming")
        self.tabs.addTab(ap_page, "Appointments")
        self.tabs.addTab(self.history, "History")

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs)

        self.new_button.clicked.connect(self.new_reminder)
        self.import_button.clicked.connect(self.import_appointments)
        self.edit_button.clicked.connect(self.edit_selected)
        self.send_button.clicked.connect(self.send_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.confirm_button.clicked.connect(lambda: self.set_appointment_state("confirmed"))
        self.cancel_appt_button.clicked.connect(lambda: self.set_appointment_state("cancelled"))

        self._refresh_timer = QTimer(self, singleShot=True, interval=200)
        self._refresh_timer.timeout.connect(self.refresh)
        self._minute = QTimer(self, interval=60_000)
        self._minute.timeout.connect(self.refresh)
        self._minute.start()
        bridge.remindersChanged.connect(self.schedule_refresh)
        bridge.appointmentUpdated.connect(lambda *_: self.schedule_refresh())
        bridge.messageUpdated.connect(lambda *_: self.schedule_refresh())
        bridge.messageAdded.connect(lambda *_: self.schedule_refresh())  # replies, new runs
        self.refresh()

    def _table(self, model: RowsModel) -> QTableView:
        table = QTableView(self)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        return table

    # --- reading -------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        # Reminders made elsewhere (textdesk remind, an import) send no event: look when shown.
        super().showEvent(event)
        self.schedule_refresh()

    def schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def refresh(self) -> None:
        try:
            items = listing.upcoming(settings=self.settings, clock=self.clock)
            appts = listing.appointment_list(settings=self.settings, clock=self.clock)
            runs = listing.history(settings=self.settings, limit=500)
        except Exception as exc:  # the database may be locked or gone for a moment
            log.exception("reminders could not be read")
            self.status.setText(f"Could not read reminders: {exc}")
            return
        self._fill_upcoming(items)
        self._fill_appointments(appts)
        self._fill_history(runs)
        self._update_buttons()

    def _fill_upcoming(self, items: list[listing.UpcomingItem]) -> None:
        selected = self.selected_reminder()
        rows: list[Row] = []
        group = None
        for item in items:
            if item.group != group:
                group = item.group
                rows.append(Row((group,), heading=True))
            who = ", ".join(item.recipients[:3])
            if len(item.recipients) > 3:
                who += f" +{len(item.recipients) - 3}"
            what = item.repeat
            if item.appointment_id:
                state = STATE_WORDS.get(item.appointment_state or "", item.appointment_state)
                what = f"Appointment {item.appointment_at} · {state}"
            rows.append(
                Row(
                    (item.local, who, " ".join(item.preview.split()), what, item.deferred or ""),
                    key=item.reminder_id,
                    tip=item.text + "\n\nTo: " + ", ".join(item.recipients),
                )
            )
        self._set(self.upcoming, self.upcoming_model, rows, selected)
        count = len(items)
        self.count_label.setText(f"{count} upcoming" if count else "No upcoming reminders")

    def _set(self, table: QTableView, model: RowsModel, rows: list[Row], keep: Any) -> None:
        model.set_rows(rows)
        table.clearSpans()
        for i, row in enumerate(rows):
            if row.heading:
                table.setSpan(i, 0, 1, model.columnCount())
        if keep is not None and (i := model.find(keep)) >= 0:
            table.selectRow(i)
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        for c in range(model.columnCount()):  # long notes must not push the text off-screen
            if header.sectionResizeMode(c) != QHeaderView.ResizeMode.Stretch:
                header.resizeSection(c, min(header.sectionSize(c), MAX_COLUMN))

    def _fill_appointments(self, appts: list[listing.AppointmentItem]) -> None:
        rows = [
            Row(
                (
                    a.local,
                    a.who,
                    a.service,
                    STATE_WORDS.get(a.state, a.state),
                    str(a.reminders),
                    a.reply or "",
                    a.note,
                ),
                key=a.appointment_id,
                fg=STATE_COLORS.get(a.state),
                fg_column=3,
            )
            for a in appts
        ]
        self._set(self.appointments, self.appointments_model, rows, self.selected_appointment())

    def _fill_history(self, runs: list[listing.HistoryItem]) -> None:
        rows = [
            Row(
                (
                    h.local,
                    h.recipient,
                    STATE_WORDS.get(h.state, h.state),
                    h.reason,
                    f"#{h.reminder_id}",
                ),
                key=h.run_id,
                fg=STATE_COLORS.get(h.state),
                fg_column=2,
                tip=h.reason or None,
            )
            for h in runs
        ]
        self._set(self.history, self.history_model, rows, None)

    # --- selection -----------------------------------------------------------------------------
    @staticmethod
    def _selected(table: QTableView, model: RowsModel) -> int | None:
        rows = table.selectionModel().selectedRows()
        key = model.key(rows[0].row()) if rows else None
        return key if isinstance(key, int) else None

    def selected_reminder(self) -> int | None:
        return self._selected(self.upcoming, self.upcoming_model)

    def selected_appointment(self) -> int | None:
        return self._selected(self.appointments, self.appointments_model)

    def select_reminder(self, reminder_id: int) -> bool:
        i = self.upcoming_model.find(reminder_id)
        if i < 0:
            return False
        self.upcoming.selectRow(i)
        return True

    def _update_buttons(self) -> None:
        has = self.selected_reminder() is not None
        for b in (self.edit_button, self.send_button, self.cancel_button):
            b.setEnabled(has)
        appt = self.selected_appointment() is not None
        self.confirm_button.setEnabled(appt)
        self.cancel_appt_button.setEnabled(appt)

    # --- changing (through the engine) ---------------------------------------------------------
    def _call(self, fn: Any, *args: Any, done: str, **kwargs: Any) -> None:
        future = self.engine.call(fn, *args, **kwargs)

        def ok(_result: Any) -> None:
            self.last_error = ""
            self.status.setText(done)
            self.refresh()

        self.bridge.when_done(future, ok, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.last_error = str(exc)
        self.status.setText(f"Not done: {exc}")
        self.refresh()

    def send_selected(self) -> None:
        rid = self.selected_reminder()
        if rid is None:
            return
        self._call(
            scheduler.send_now,
            rid,
            settings=self.settings,
            clock=self.clock,
            done="Sent to the outbox (quiet hours and the rate limit still apply)",
        )

    def cancel_selected(self, *, confirm: bool = True) -> None:
        rid = self.selected_reminder()
        if rid is None:
            return
        if confirm and self.isVisible():
            answer = QMessageBox.question(
                self, "Cancel reminder", "Cancel this reminder and all its future occurrences?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._call(manage.cancel_reminder, rid, clock=self.clock, done="Reminder cancelled")

    def set_appointment_state(self, state: str) -> None:
        aid = self.selected_appointment()
        if aid is None:
            return
        self._call(
            appointments.set_state,
            aid,
            state,
            clock=self.clock,
            done=f"Appointment {STATE_WORDS.get(state, state).lower()}",
        )

    def editor(self, reminder_id: int | None = None) -> Any:
        from ui.reminder_editor import ReminderEditor

        dialog = ReminderEditor(self.engine, self.bridge, reminder_id=reminder_id, parent=self)
        dialog.saved.connect(lambda *_: self.refresh())
        return dialog

    def new_reminder(self) -> None:
        self.editor().open()

    def edit_selected(self) -> None:
        rid = self.selected_reminder()
        if rid is not None:
            self.editor(rid).open()

    def import_dialog(self) -> Any:
        from ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.engine, self.bridge, parent=self)
        dialog.imported.connect(lambda *_: self.refresh())
        return dialog

    def import_appointments(self) -> None:
        self.import_dialog().open()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._own_bridge:
            self.bridge.detach()
        super().closeEvent(event)
