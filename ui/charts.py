"""Two small charts drawn with QPainter: bars per day, and a weekday × hour heatmap.

QtCharts would need PySide6-Addons (tens of MB in the bundle, over its budget); these two widgets
are all the insight page needs. They scale with the font (200% text stays readable), draw their
labels in the palette's text colour (light and dark themes), and carry their figures as tooltips
and accessible descriptions, so a screen reader or a curious owner gets the numbers too.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BLUE, GREY = QColor("#1a73e8"), QColor("#9aa0a6")


class BarChart(QWidget):
    """One or two series of bars over labelled columns (days), e.g. texts in and out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.series: list[tuple[str, QColor, list[float]]] = []
        self.unit = ""
        self.setMinimumHeight(self.fontMetrics().height() * 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def set_data(
        self,
        labels: Sequence[str],
        series: Sequence[tuple[str, QColor, Sequence[float]]],
        unit: str = "",
    ) -> None:
        self.labels = list(labels)
        self.series = [(name, color, [float(v) for v in values]) for name, color, values in series]
        self.unit = unit
        total = ", ".join(f"{name}: {sum(values):g}{unit}" for name, _c, values in self.series)
        self.setAccessibleDescription(total)
        self.update()

    def sizeHint(self) -> QSize:
        h = self.fontMetrics().height()
        return QSize(h * 30, h * 10)

    def _plot(self) -> QRect:
        fm = self.fontMetrics()
        left = fm.horizontalAdvance(f"0000{self.unit}") + 8
        return self.rect().adjusted(left, fm.height(), -4, -fm.height() * 3 - 8)

    def _column_at(self, x: int) -> int | None:
        plot = self._plot()
        if not self.labels or not plot.left() <= x <= plot.right():
            return None
        return min(
            len(self.labels) - 1, (x - plot.left()) * len(self.labels) // max(plot.width(), 1)
        )

    def event(self, e: object) -> bool:
        if isinstance(e, QHelpEvent):
            i = self._column_at(e.pos().x())
            if i is None:
                QToolTip.hideText()
            else:
                parts = [f"{name}: {values[i]:g}{self.unit}" for name, _c, values in self.series]
                QToolTip.showText(e.globalPos(), f"{self.labels[i]}\n" + "\n".join(parts), self)
            return True
        return super().event(e)  # type: ignore[arg-type]

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.Text)
        fm = self.fontMetrics()
        plot = self._plot()
        peak = max((v for _n, _c, values in self.series for v in values), default=0.0)
        p.setPen(text)
        if not self.labels or peak <= 0:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Nothing to show for this period")
            return
        p.drawText(QRect(0, plot.top() - fm.height() // 2, plot.left() - 6, fm.height()),
                   Qt.AlignmentFlag.AlignRight, f"{peak:g}{self.unit}")  # fmt: skip
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        n, k = len(self.labels), max(len(self.series), 1)
        column = plot.width() / n
        bar = max(column * 0.8 / k, 1.0)
        for s, (_name, color, values) in enumerate(self.series):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            for i, value in enumerate(values):
                height = plot.height() * value / peak
                x = plot.left() + i * column + column * 0.1 + s * bar
                p.drawRect(int(x), int(plot.bottom() - height), max(int(bar) - 1, 1), int(height))
        p.setPen(text)
        step = max(1, int(fm.horizontalAdvance("00 Mon ") / max(column, 1)) + 1)
        for i in range(0, n, step):
            width = fm.horizontalAdvance(self.labels[i])
            x = min(int(plot.left() + i * column), self.width() - width - 2)  # the last one fits
            p.drawText(QPoint(x, plot.bottom() + 4 + fm.ascent()), self.labels[i])
        x = plot.left()
        for name, color, _values in self.series:  # the legend, under the labels
            p.fillRect(
                QRect(x, plot.bottom() + fm.height() + 8, fm.height() // 2, fm.height() // 2), color
            )
            p.drawText(QPoint(x + fm.height(), plot.bottom() + fm.height() * 2 + 2), name)
            x += fm.horizontalAdvance(name) + fm.height() * 2


class Heatmap(QWidget):
    """Texts from customers per weekday (rows) and hour of the day (columns)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells: list[list[int]] = [[0] * 24 for _ in DAYS]
        self.setMinimumHeight(self.fontMetrics().height() * 9)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, cells: Sequence[Sequence[int]]) -> None:
        self.cells = [list(row) for row in cells]
        busiest = max(
            ((d, h) for d in range(7) for h in range(24)), key=lambda dh: self.cells[dh[0]][dh[1]]
        )
        if self.cells[busiest[0]][busiest[1]]:
            self.setAccessibleDescription(f"Busiest: {DAYS[busiest[0]]} {busiest[1]:02d}:00")
        self.update()

    def sizeHint(self) -> QSize:
        h = self.fontMetrics().height()
        return QSize(h * 30, h * 9)

    def _grid(self) -> QRect:
        fm = self.fontMetrics()
        return self.rect().adjusted(fm.horizontalAdvance("Wed") + 8, 0, -4, -fm.height() - 4)

    def event(self, e: object) -> bool:
        if isinstance(e, QHelpEvent):
            g = self._grid()
            if g.contains(e.pos()):
                h = min(23, (e.pos().x() - g.left()) * 24 // max(g.width(), 1))
                d = min(6, (e.pos().y() - g.top()) * 7 // max(g.height(), 1))
                QToolTip.showText(
                    e.globalPos(),
                    f"{DAYS[d]} {h:02d}:00–{h:02d}:59: {self.cells[d][h]} texts",
                    self,
                )
            return True
        return super().event(e)  # type: ignore[arg-type]

    def paintEvent(self, _e: QPaintEvent) -> None:
        p = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.Text)
        base = self.palette().color(QPalette.ColorRole.Base)
        g = self._grid()
        peak = max((v for row in self.cells for v in row), default=0) or 1
        cw, ch = g.width() / 24, g.height() / 7
        for d in range(7):
            for h in range(24):
                share = self.cells[d][h] / peak
                color = QColor(
                    int(base.red() + (BLUE.red() - base.red()) * share),
                    int(base.green() + (BLUE.green() - base.green()) * share),
                    int(base.blue() + (BLUE.blue() - base.blue()) * share),
                )
                p.fillRect(
                    QRect(int(g.left() + h * cw), int(g.top() + d * ch), int(cw) - 1, int(ch) - 1),
                    color,
                )
        p.setPen(text)
        fm = self.fontMetrics()
        for d, name in enumerate(DAYS):
            p.drawText(QRect(0, int(g.top() + d * ch), g.left() - 6, int(ch)),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)  # fmt: skip
        step = 3 if fm.horizontalAdvance("00") * 3 < cw * 3 * 2 else 6
        for h in range(0, 24, step):
            p.drawText(QPoint(int(g.left() + h * cw), g.bottom() + fm.height() + 2), f"{h:02d}")
        p.setPen(GREY)
        p.drawRect(g.adjusted(0, 0, -1, -1))
