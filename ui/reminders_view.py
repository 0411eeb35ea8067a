"""The Reminders page: upcoming reminders by day, appointments with their replies, and history.

Self-contained: it reads through ``desk.reminders``' read-only queries on the GUI thread (its own
SQLite connection) and changes things only through ``engine.call(fn, ...)`` Futures, whose results
come back on the GUI thread through the bridge. It refreshes on RemindersChanged /
AppointmentUpdated / MessageUpdated (debounced) and once a minute (groups move with the clock).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desk import appointments, reminders
from ui.bridge import Bridge

log = logging.getLogger(__name__)

ROLE_ID = Qt.ItemDataRole.UserRole
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


def _item(text: str, color: str | None = None, tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if color:
        item.setForeground(QBrush(QColor(color)))
    if tip:
        item.setToolTip(tip)
    return item


class RemindersView(QWidget):
    def __init__(self, engine: Any, parent: QWidget | None = None, *, bridge: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("RemindersView")
        self.engine = engine
        self.settings = engine.settings
        self.clock = engine.clock
        if bridge is None:
            # Our own bridge; detached when this page goes so the engine never calls a dead one.
            bridge = Bridge(self)
            bridge.attach(engine)
            unsubscribe = bridge._unsubscribe
            self.destroyed.connect(lambda *_: unsubscribe() if unsubscribe else None)
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
        self.status = QLabel("", self)
        self.status.setObjectName("remindersStatus")

        bar = QHBoxLayout()
        for b in (self.new_button, self.import_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.status)

        self.upcoming = QTreeWidget(self)
        self.upcoming.setColumnCount(5)
        self.upcoming.setHeaderLabels(["When", "To", "Text", "Repeats / appointment", "Note"])
        self.upcoming.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.upcoming.setRootIsDecorated(False)
        self.upcoming.setUniformRowHeights(True)
        self.upcoming.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.upcoming.itemSelectionChanged.connect(self._update_buttons)
        self.upcoming.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        up_page = QWidget(self)
        up_layout = QVBoxLayout(up_page)
        up_layout.setContentsMargins(0, 0, 0, 0)
        up_layout.addWidget(self.upcoming)
        up_buttons = QHBoxLayout()
        for b in (self.edit_button, self.send_button, self.cancel_button):
            up_buttons.addWidget(b)
        up_buttons.addStretch(1)
        up_layout.addLayout(up_buttons)

        self.appointments = self._table(
            ["When", "Who", "Service", "State", "Reminders to go", "Reply", "Note"]
        )
        self.appointments.itemSelectionChanged.connect(self._update_buttons)
        ap_page = QWidget(self)
        ap_layout = QVBoxLayout(ap_page)
        ap_layout.setContentsMargins(0, 0, 0, 0)
        ap_layout.addWidget(self.appointments)
        ap_buttons = QHBoxLayout()
        ap_buttons.addWidget(self.confirm_button)
        ap_buttons.addWidget(self.cancel_appt_button)
        ap_buttons.addStretch(1)
        ap_layout.addLayout(ap_buttons)

        self.history = self._table(["Due", "To", "What happened", "Why", "Reminder"])

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

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(headers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        return table

    # --- reading -------------------------------------------------------------------------------
    def schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def refresh(self) -> None:
        try:
            items = reminders.upcoming(settings=self.settings, clock=self.clock)
            appts = reminders.appointment_list(settings=self.settings, clock=self.clock)
            runs = reminders.history(settings=self.settings, limit=500)
        except Exception as exc:  # the database may be locked or gone for a moment
            log.exception("reminders could not be read")
            self.status.setText(f"Could not read reminders: {exc}")
            return
        self._fill_upcoming(items)
        self._fill_appointments(appts)
        self._fill_history(runs)
        self._update_buttons()

    def _fill_upcoming(self, items: list[reminders.UpcomingItem]) -> None:
        selected = self.selected_reminder()
        self.upcoming.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for item in items:
            head = groups.get(item.group)
            if head is None:
                head = QTreeWidgetItem([item.group])
                font = head.font(0)
                font.setBold(True)
                head.setFont(0, font)
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                head.setFirstColumnSpanned(True)
                self.upcoming.addTopLevelItem(head)
                head.setFirstColumnSpanned(True)
                groups[item.group] = head
            who = ", ".join(item.recipients[:3])
            if len(item.recipients) > 3:
                who += f" +{len(item.recipients) - 3}"
            what = item.repeat
            if item.appointment_id:
                state = STATE_WORDS.get(item.appointment_state or "", item.appointment_state)
                what = f"Appointment {item.appointment_at} · {state}"
            row = QTreeWidgetItem(
                [item.local, who, " ".join(item.text.split()), what, item.deferred or ""]
            )
            row.setData(0, ROLE_ID, item.reminder_id)
            row.setToolTip(2, item.text)
            row.setToolTip(1, "\n".join(item.recipients))
            head.addChild(row)
            if item.reminder_id == selected:
                row.setSelected(True)
        self.upcoming.expandAll()
        for col in (0, 1, 3):
            self.upcoming.resizeColumnToContents(col)
        count = len(items)
        self.status.setText(f"{count} upcoming" if count else "No upcoming reminders")

    def _fill_appointments(self, appts: list[reminders.AppointmentItem]) -> None:
        selected = self.selected_appointment()
        t = self.appointments
        t.setRowCount(0)
        for a in appts:
            r = t.rowCount()
            t.insertRow(r)
            when = _item(a.local)
            when.setData(ROLE_ID, a.appointment_id)
            t.setItem(r, 0, when)
            t.setItem(r, 1, _item(a.who))
            t.setItem(r, 2, _item(a.service))
            t.setItem(r, 3, _item(STATE_WORDS.get(a.state, a.state), STATE_COLORS.get(a.state)))
            t.setItem(r, 4, _item(str(a.reminders)))
            t.setItem(r, 5, _item(a.reply or ""))
            t.setItem(r, 6, _item(a.note))
            if a.appointment_id == selected:
                t.selectRow(r)
        t.resizeColumnsToContents()

    def _fill_history(self, runs: list[reminders.HistoryItem]) -> None:
        t = self.history
        t.setRowCount(0)
        for h in runs:
            r = t.rowCount()
            t.insertRow(r)
            color = STATE_COLORS.get(h.state)
            t.setItem(r, 0, _item(h.local))
            t.setItem(r, 1, _item(h.recipient))
            t.setItem(r, 2, _item(STATE_WORDS.get(h.state, h.state), color))
            t.setItem(r, 3, _item(h.reason, tip=h.reason))
            t.setItem(r, 4, _item(f"#{h.reminder_id}"))
        t.resizeColumnsToContents()

    # --- selection -----------------------------------------------------------------------------
    def selected_reminder(self) -> int | None:
        items = self.upcoming.selectedItems()
        if not items:
            return None
        value = items[0].data(0, ROLE_ID)
        return int(value) if value is not None else None

    def selected_appointment(self) -> int | None:
        rows = self.appointments.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.appointments.item(rows[0].row(), 0)
        return int(item.data(ROLE_ID)) if item is not None else None

    def select_reminder(self, reminder_id: int) -> bool:
        for i in range(self.upcoming.topLevelItemCount()):
            head = self.upcoming.topLevelItem(i)
            for j in range(head.childCount()):
                child = head.child(j)
                if child.data(0, ROLE_ID) == reminder_id:
                    self.upcoming.setCurrentItem(child)
                    return True
        return False

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
            reminders.send_now,
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
        self._call(reminders.cancel_reminder, rid, clock=self.clock, done="Reminder cancelled")

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

    def closeEvent(self, event: Any) -> None:
        if self._own_bridge:
            self.bridge.detach()
        super().closeEvent(event)
