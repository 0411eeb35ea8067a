"""Show › How quickly we answer…: the insight page (desk.read.insight), for the owner.

The figures are computed off the GUI thread (ui.ports.run_async, the window's own read-only
connection per thread) so opening the page never freezes the counter; the same numbers as
``textdesk report``, with a CSV export of the days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desk.base import opening_hours
from desk.read import insight
from desk.store.settings import SettingsReader
from ui import ports
from ui.charts import BLUE, GREY, BarChart, Heatmap

PERIODS = (("Last 4 weeks", 28), ("Last 7 days", 7), ("Last 3 months", 91), ("Last year", 365))


class InsightPage(QDialog):
    def __init__(self, settings: SettingsReader, *, today: date, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("How quickly we answer")
        self.settings = settings
        self.today = today
        self.report: insight.Report | None = None
        self.period = QComboBox()
        for label, _days in PERIODS:
            self.period.addItem(label)
        self.period.currentIndexChanged.connect(self.refresh)
        self.status = QLabel("Counting…")
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.headline.setFont(font)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.waits = BarChart()
        self.texts = BarChart()
        self.heat = Heatmap()
        self.export = QPushButton("Export days as CSV…")
        self.export.clicked.connect(self.export_csv)
        self.export.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(QLabel("Period:"))
        top.addWidget(self.period)
        top.addStretch(1)
        top.addWidget(self.export)
        grid = QGridLayout()
        for row, (title, widget) in enumerate(
            (
                ("First reply per day (median, minutes of opening time)", self.waits),
                ("Texts per day", self.texts),
                ("When customers text (weekday × hour)", self.heat),
            )
        ):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.addWidget(widget)
            grid.addWidget(box, row // 2, row % 2, 1, 2 if row == 2 else 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addWidget(self.details)
        layout.addLayout(grid, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.refresh()

    def _range(self) -> tuple[date, date]:
        days = PERIODS[max(self.period.currentIndex(), 0)][1]
        return self.today - timedelta(days=days - 1), self.today

    def refresh(self) -> None:
        first, last = self._range()
        zone = self.settings.shop_zone()
        text_hours = str(self.settings.get("opening_hours") or "")
        closed = str(self.settings.get("closed_days") or "").split(",")
        start = datetime.combine(first, time(), tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
        self.status.setText("Counting…")
        self.export.setEnabled(False)

        def work() -> insight.Report:
            return insight.build(start, end, zone, opening_hours.parse(text_hours, closed))

        ports.run_async(self, work, self._show)

    def _show(self, report: insight.Report | None, error: str | None) -> None:
        if report is None:
            self.status.setText(f"The figures could not be counted: {error}")
            return
        self.report = report
        d = insight.format_duration
        answered = report.questions - report.unanswered
        if report.questions:
            self.headline.setText(
                f"Half of the customers got a first reply within {d(report.median_seconds)}; "
                f"9 in 10 within {d(report.p90_seconds)}."
            )
        else:
            self.headline.setText("No customer texts in this period.")
        hours_note = (
            "Waiting time counts opening hours only."
            if str(self.settings.get("opening_hours") or "")
            else "No opening hours are set (Automatic answers…), so every hour counts."
        )
        r, c = report.reminders, report.calls
        self.details.setText(
            f"{answered} of {report.questions} customer texts answered"
            f"{f', {report.unanswered} still waiting' if report.unanswered else ''}. "
            f"Conversations: {report.conversations_opened} opened, "
            f"{report.conversations_done} marked done. Reminders: {r['sent']} sent; "
            f"{r['confirmed']} confirmed, {r['rescheduled']} to reschedule, "
            f"{r['unanswered']} unanswered. Missed calls: {c['missed']}, "
            f"{c['texted_back']} texted back, {c['replied']} of those texted us. {hours_note}"
        )
        first, last = self._range()
        by_day = {p.start: p for p in report.days}
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        empty = insight.Period(start=first)
        rows = [by_day.get(day, empty) for day in days]  # every day, quiet ones too
        labels = [f"{day:%d} {day:%a}" for day in days]
        self.waits.set_data(
            labels,
            [("median", BLUE, [round((p.median_seconds or 0) / 60, 1) for p in rows])],
            " min",
        )
        self.texts.set_data(
            labels,
            [
                ("from customers", BLUE, [p.messages_in for p in rows]),
                ("from the shop", GREY, [p.messages_out for p in rows]),
            ],
        )
        self.heat.set_data(report.heatmap)
        self.status.setText(f"{first:%d %b %Y} – {last:%d %b %Y}, {report.zone}")
        self.export.setEnabled(bool(report.days))

    def export_csv(self) -> None:
        if self.report is None:
            return
        first, last = self._range()
        name, _ = QFileDialog.getSaveFileName(
            self, "Export days as CSV", f"textdesk-report-{first}-{last}.csv", "CSV (*.csv)"
        )
        if not name:
            return
        try:
            Path(name).write_text(insight.to_csv(self.report) + "\n", encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(self, "Export", f"Could not write {name}: {exc.strerror or exc}.")
            return
        self.status.setText(f"Saved {name}")
