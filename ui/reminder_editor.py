"""The reminder editor: recipients, text (templates, placeholders) with a live preview and the SMS
count, date and time in the shop's local time, repetition, or an appointment with its offsets.

Saving goes through ``engine.call`` (the core thread writes); an error from the core (a bad
number, a time already passed…) is shown in the dialog, which stays open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desk.base import phones
from desk.engine.api import Engine
from desk.messaging import sms_plan, templates
from desk.messaging.contacts import quiet_hold
from desk.read import contact_search, queries
from desk.reminders import appointments, listing, manage
from desk.reminders.recurrence import WEEKDAY_NAMES, to_utc
from desk.store.models import Appointment, Contact
from desk.store.settings import SPECS
from ui import fmt, number_check
from ui.bridge import Bridge
from ui.signed_in import author_for

ROLE = Qt.ItemDataRole.UserRole
REPEATS = [("Once", None), ("Daily", "daily"), ("Weekly", "weekly"), ("Monthly", "monthly"),
           ("Yearly", "yearly")]  # fmt: skip
SAMPLE_NAME = "Alex Sample"


def offsets_text(minutes: list[int]) -> str:
    out = []
    for m in minutes:
        if m % 1440 == 0:
            out.append(f"{m // 1440}d")
        elif m % 60 == 0:
            out.append(f"{m // 60}h")
        else:
            out.append(f"{m}m")
    return ",".join(out)


class ReminderEditor(QDialog):
    saved = Signal(object)  # the reminder or appointment id

    def __init__(
        self,
        engine: Engine,
        bridge: Bridge,
        *,
        reminder_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.bridge = bridge
        self.settings = engine.settings
        self.clock = engine.clock
        self.zone = self.settings.shop_zone()
        self.reminder_id = reminder_id
        self.setWindowTitle("Edit reminder" if reminder_id else "New reminder")

        # Recipients
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find a contact, or type a number and press Add")
        self.found = QListWidget(self)
        self.found.setMaximumHeight(90)
        self.add_button = QPushButton("Add", self)
        self.chosen = QListWidget(self)
        self.chosen.setMaximumHeight(90)
        self.remove_button = QPushButton("Remove", self)
        who = QGroupBox("Recipients", self)
        wl = QVBoxLayout(who)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.add_button)
        wl.addLayout(row)
        wl.addWidget(self.found)
        row = QHBoxLayout()
        row.addWidget(self.chosen, 1)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        wl.addLayout(row)

        # Text
        self.template = QComboBox(self)
        self.template.addItem("Insert a template…", None)
        for t in templates.templates():
            self.template.addItem(t.name, t.body)
        self.placeholder = QComboBox(self)
        self.placeholder.addItem("Insert a placeholder…", None)
        for name in manage.PLACEHOLDERS:
            self.placeholder.addItem("{" + name + "}", "{" + name + "}")
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText("Hi {first_name}, …")
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("reminderPreview")
        self.count = QLabel(self)
        self.count.setObjectName("reminderCount")
        text_box = QGroupBox("Text", self)
        tl = QVBoxLayout(text_box)
        row = QHBoxLayout()
        row.addWidget(self.template)
        row.addWidget(self.placeholder)
        row.addStretch(1)
        tl.addLayout(row)
        tl.addWidget(self.text)
        tl.addWidget(QLabel("Preview:", self))
        tl.addWidget(self.preview)
        tl.addWidget(self.count)

        # When
        self.when = QDateTimeEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.appointment = QCheckBox("This is an appointment (reminders go out before it)", self)
        self.service = QLineEdit(self)
        self.service.setPlaceholderText("e.g. cleaning (for {service})")
        self.offsets = QLineEdit(offsets_text(self.settings.get("reminder_offsets")), self)
        self.offsets.setPlaceholderText("48h,2h")
        self.repeat = QComboBox(self)
        for label, value in REPEATS:
            self.repeat.addItem(label, value)
        self.interval = QSpinBox(self)
        self.interval.setRange(1, 120)
        self.interval.setPrefix("every ")
        self.days = [QCheckBox(n.capitalize(), self) for n in WEEKDAY_NAMES]
        days_row = QHBoxLayout()
        for box in self.days:
            days_row.addWidget(box)
        self.end_never = QRadioButton("never", self)
        self.end_until = QRadioButton("on", self)
        self.end_count = QRadioButton("after", self)
        self.end_never.setChecked(True)
        group = QButtonGroup(self)
        for b in (self.end_never, self.end_until, self.end_count):
            group.addButton(b)
        self.until = QDateEdit(self)
        self.until.setCalendarPopup(True)
        self.times = QSpinBox(self)
        self.times.setRange(1, 1000)
        self.times.setSuffix(" times")
        ends = QHBoxLayout()
        for w in (self.end_never, self.end_until, self.until, self.end_count, self.times):
            ends.addWidget(w)
        ends.addStretch(1)
        when_box = QGroupBox(f"When ({self.zone.key})", self)
        form = QFormLayout(when_box)
        form.addRow("Date and time", self.when)
        form.addRow(self.appointment)
        form.addRow("Service", self.service)
        form.addRow("Remind before", self.offsets)
        form.addRow("Repeat", self._pair(self.repeat, self.interval))
        form.addRow("On", days_row)
        form.addRow("Ends", ends)
        self.deferral = QLabel(self)
        self.deferral.setObjectName("reminderDeferral")
        form.addRow(self.deferral)

        self.error = QLabel(self)
        self.error.setObjectName("reminderError")
        self.error.setStyleSheet("color: #b00020")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(text_box)
        layout.addWidget(when_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self.add_typed)
        self.add_button.clicked.connect(self.add_typed)
        self.found.itemActivated.connect(self._add_found)
        self.found.itemDoubleClicked.connect(self._add_found)
        self.remove_button.clicked.connect(self._remove)
        self.template.activated.connect(self._insert_template)
        self.placeholder.activated.connect(self._insert_placeholder)
        self.text.textChanged.connect(self.update_preview)
        self.when.dateTimeChanged.connect(self.update_preview)
        self.repeat.currentIndexChanged.connect(self._update_enabled)
        self.appointment.toggled.connect(self._update_enabled)
        for b in (self.end_never, self.end_until, self.end_count):
            b.toggled.connect(self._update_enabled)
        self.chosen.model().rowsInserted.connect(self.update_preview)
        self.chosen.model().rowsRemoved.connect(self.update_preview)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        start = self.clock.now().astimezone(self.zone) + timedelta(hours=1)
        self.set_local_time(start.replace(minute=0, second=0, microsecond=0, tzinfo=None))
        self.until.setDate(QDate(start.year + 1, start.month, min(start.day, 28)))
        if reminder_id is not None:
            self._load(reminder_id)
        self._update_enabled()
        self.update_preview()
        self.resize(640, 720)

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(a)
        row.addWidget(b)
        row.addStretch(1)
        return row

    # --- loading -------------------------------------------------------------------------------
    def _load(self, reminder_id: int) -> None:
        d = listing.detail(reminder_id)
        if d is None:
            self.error.setText(f"Reminder {reminder_id} no longer exists.")
            return
        self.text.setPlainText(d.text)
        for contact_id in d.contact_ids:
            contact = queries.contact_details(contact_id)
            if contact is not None:
                self.add_contact(contact.id, contact.name or contact.number)
        if d.next_at is not None:
            self.set_local_time(d.next_at.astimezone(self.zone).replace(tzinfo=None))
        if d.rule is not None:
            self.repeat.setCurrentIndex([v for _, v in REPEATS].index(d.rule.freq))
            self.interval.setValue(d.rule.interval)
            for i, box in enumerate(self.days):
                box.setChecked(i in d.rule.days if d.rule.freq == "weekly" else False)
            if d.rule.until:
                self.end_until.setChecked(True)
                self.until.setDate(QDate(d.rule.until.year, d.rule.until.month, d.rule.until.day))
            elif d.rule.count:
                self.end_count.setChecked(True)
                self.times.setValue(d.rule.count)
        self.appointment.setEnabled(False)  # an existing reminder stays what it is

    # --- recipients ----------------------------------------------------------------------------
    def _search(self, text: str) -> None:
        self.found.clear()
        for hit in contact_search.find_contacts(text, limit=20):
            label = f"{hit.name} ({hit.number})" if hit.name else hit.number
            item = QListWidgetItem(label)
            item.setData(ROLE, hit.id)
            self.found.addItem(item)

    def _add_found(self, item: QListWidgetItem) -> None:
        self.add_contact(int(item.data(ROLE)), item.text())

    def add_contact(self, contact_id: int, label: str) -> None:
        for i in range(self.chosen.count()):
            if self.chosen.item(i).data(ROLE) == contact_id:
                return
        item = QListWidgetItem(label)
        item.setData(ROLE, contact_id)
        self.chosen.addItem(item)

    def add_typed(self) -> None:
        """Add the first contact found, else what was typed as a number (desk.base.phones' rule:
        refused when it cannot be a number, asked about when the numbering data does not know
        it)."""
        text = self.search.text().strip()
        if not text:
            return
        if self.found.count():
            self._add_found(self.found.item(0))
        else:
            country = self.settings.get("default_country")
            number, why = number_check.accept_typed_number(self, text, country)
            if number is None:  # refused, or staff did not take an unknown number: text stays
                self.error.setText(why)
                return
            item = QListWidgetItem(phones.display(number, country))
            item.setData(ROLE, number)
            self.chosen.addItem(item)
        self.search.clear()

    def _remove(self) -> None:
        for item in self.chosen.selectedItems():
            self.chosen.takeItem(self.chosen.row(item))

    def recipients(self) -> list[int | str]:
        return [self.chosen.item(i).data(ROLE) for i in range(self.chosen.count())]

    # --- text and preview ----------------------------------------------------------------------
    def _insert_template(self, index: int) -> None:
        body = self.template.itemData(index)
        if body:
            self.text.insertPlainText(body)
        self.template.setCurrentIndex(0)

    def _insert_placeholder(self, index: int) -> None:
        value = self.placeholder.itemData(index)
        if value:
            self.text.insertPlainText(value)
        self.placeholder.setCurrentIndex(0)

    def local_time(self) -> datetime:
        qdt = self.when.dateTime()
        d, t = qdt.date(), qdt.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def set_local_time(self, local: datetime) -> None:
        self.when.setDateTime(
            QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute))
        )

    def when_utc(self) -> datetime:
        return to_utc(self.local_time(), self.zone)

    def _preview_contact(self) -> Contact:
        for value in self.recipients():
            if isinstance(value, int):
                found = queries.contact_details(value)
                if found is not None:  # an unsaved copy: only its name and number are read
                    return Contact(name=found.name, number=found.number)
        return Contact(name=SAMPLE_NAME, number="+10000000000")

    def update_preview(self, *_args: Any) -> None:
        text = self.text.toPlainText()
        contact = self._preview_contact()
        when = self.when_utc()
        appt = None
        if self.appointment.isChecked():
            appt = Appointment(service=self.service.text(), starts_at=when)
        rendered = manage.render(
            text, contact=contact, settings=self.settings, when=when, appointment=appt
        )
        self.preview.setText(rendered or "—")
        plan = sms_plan.plan(rendered)
        unicode_note = " (Unicode: 70 characters per text)" if plan.encoding == "ucs2" else ""
        self.count.setText(f"{plan.parts} SMS · {plan.remaining} characters left{unicode_note}")
        unknown = manage.unknown_placeholders(text)
        if unknown:
            self.count.setText(
                self.count.text() + " · unknown: " + ", ".join("{" + u + "}" for u in unknown)
            )
        self.deferral.setText(self._deferral_note(contact, when))

    def _recipient_contacts(self) -> list[Contact]:
        """Unsaved copies of the chosen recipients (name, number, time zone: what timing reads)."""
        out: list[Contact] = []
        for value in self.recipients():
            if isinstance(value, int):
                found = queries.contact_details(value)
                if found is not None:
                    out.append(
                        Contact(name=found.name, number=found.number, timezone=found.timezone)
                    )
            else:
                out.append(Contact(name=None, number=str(value)))
        return out

    def _deferral_note(self, contact: Contact, when: datetime) -> str:
        """When each recipient actually gets it: quiet hours are theirs (their number's zone,
        or the one set for them). For an appointment, each reminder before it; one that could
        only go after the appointment starts is said plainly, before anything is saved."""
        del contact  # every recipient is looked at, not only the one previewed
        lines: list[str] = []
        sends = [(when, "")]
        if self.appointment.isChecked():
            try:
                offsets = list(SPECS["reminder_offsets"].parse(self.offsets.text()))
            except ValueError:
                offsets = []
            sends = [
                (when - timedelta(minutes=o), f"the {offsets_text([o])} reminder") for o in offsets
            ]
        for person in self._recipient_contacts()[:20]:
            who = person.name or phones.display(person.number, self.settings.get("default_country"))
            for at, which in sends:
                held = quiet_hold(at, person, self.settings)
                if held is None:
                    continue
                local = held.astimezone(self.zone)
                label = f"{which} to {who}" if which else who
                if self.appointment.isChecked() and held >= when:
                    lines.append(
                        f"⚠ Quiet hours: {label} could only go at {local:%a %d %b} {fmt.hour_minute(local)}, after "
                        "the appointment starts. Choose other reminder times."
                    )
                else:
                    lines.append(
                        f"Quiet hours: {label} waits until {local:%a %d %b} {fmt.hour_minute(local)}."
                    )
        return "\n".join(lines[:6]) + ("\n…" if len(lines) > 6 else "")

    def _update_enabled(self, *_args: Any) -> None:
        appt = self.appointment.isChecked()
        freq = self.repeat.currentData()
        self.service.setEnabled(appt)
        self.offsets.setEnabled(appt)
        self.repeat.setEnabled(not appt)
        self.interval.setEnabled(not appt and freq is not None)
        for box in self.days:
            box.setEnabled(not appt and freq == "weekly")
        for w in (self.end_never, self.end_until, self.end_count):
            w.setEnabled(not appt and freq is not None)
        self.until.setEnabled(not appt and freq is not None and self.end_until.isChecked())
        self.times.setEnabled(not appt and freq is not None and self.end_count.isChecked())
        if appt and not self.text.toPlainText().strip():
            self.text.setPlainText(appointments.DEFAULT_TEXT)
        self.update_preview()

    # --- saving --------------------------------------------------------------------------------
    def request(self) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
        """(function, args, kwargs) to run on the engine's core thread."""
        text = self.text.toPlainText().strip()
        at = self.when_utc()
        base: dict[str, Any] = {"settings": self.settings, "clock": self.clock}
        if self.appointment.isChecked():
            people = self.recipients()
            if len(people) != 1:
                raise manage.ReminderError("An appointment is for exactly one recipient.")
            offsets = SPECS["reminder_offsets"].parse(self.offsets.text())
            kwargs: dict[str, Any] = {"service": self.service.text().strip(), "text": text or None}
            kwargs.update(offsets=offsets, created_by=self.author())
            return appointments.create_for, (people[0], at), {**base, **kwargs}
        freq = self.repeat.currentData()
        every = None
        until = count = None
        if freq is not None:
            days = tuple(i for i, box in enumerate(self.days) if box.isChecked())
            every = (freq, self.interval.value(), days if freq == "weekly" else ())
            if self.end_until.isChecked():
                d = self.until.date()
                until = datetime(d.year(), d.month(), d.day())
            elif self.end_count.isChecked():
                count = self.times.value()
        kwargs = {**base, "text": text, "recipients": self.recipients(), "at": at}
        kwargs.update(every=every, until=until, count=count)
        if self.reminder_id is None:
            kwargs["created_by"] = self.author()
            return manage.create_reminder, (), kwargs
        kwargs["repeat"] = freq is not None
        return manage.update_reminder, (self.reminder_id,), kwargs

    def author(self) -> str | None:
        """Who creates it: the one signed in at the window, else the staff_name setting."""
        return author_for(self, self.settings)

    def save(self) -> None:
        self.error.setText("")
        try:
            fn, args, kwargs = self.request()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.buttons.setEnabled(False)
        future = self.engine.call(fn, *args, **kwargs)
        self.bridge.when_done(future, self._saved, self._failed)

    def _saved(self, result: Any) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(getattr(result, "id", result))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.error.setText(str(exc) or type(exc).__name__)
