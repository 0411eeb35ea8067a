"""Bottom bar: the modem in plain words, signal bars, operator, queue, last error, balance.

Short notes ("Saved.", "Queued again.") go in a label of their own beside the modem state, so the
state never disappears behind them (QStatusBar's own temporary messages hide it)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QStatusBar, QWidget

from desk.base.events import ModemState, ModemStatus
from ui import theme

STATE_WORDS = {
    ModemState.DISCONNECTED: "Modem not connected — looking for it…",
    ModemState.CONNECTING: "Connecting to the modem…",
    ModemState.PIN_NEEDED: "The SIM card needs its PIN",
    ModemState.READY: "Ready to send and receive",
    ModemState.NO_NETWORK: "No mobile network — texts will wait",
    ModemState.ERROR: "Modem problem",
}
STATE_COLORS = {
    ModemState.READY: theme.DELIVERED,
    ModemState.PIN_NEEDED: theme.UNCERTAIN,
    ModemState.NO_NETWORK: theme.UNCERTAIN,
    ModemState.CONNECTING: theme.MUTED,
    ModemState.DISCONNECTED: theme.FAILED,
    ModemState.ERROR: theme.FAILED,
}


def describe(status: ModemStatus) -> str:
    words = STATE_WORDS.get(status.state, str(status.state))
    if status.state == ModemState.PIN_NEEDED and status.pin_kind == "SIM PUK":
        words = "The SIM is locked (PUK needed): ask the phone company"
    if status.state == ModemState.READY and status.registration == "roaming":
        words += " (roaming)"
    return words


class SignalBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars = 0
        self.setAccessibleName("Signal strength: none")
        self.setToolTip("Signal strength")

    def set_bars(self, bars: int, dbm: int | None) -> None:
        self.bars = bars
        text = f"Signal strength: {bars} of 4 bars" + (f" ({dbm} dBm)" if dbm is not None else "")
        self.setAccessibleName(text)
        self.setToolTip(text)
        self.update()

    def sizeHint(self) -> QSize:
        h = self.fontMetrics().height()
        return QSize(int(h * 1.3), h)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height() - 2
        w = self.width() / 4
        on = (
            theme.DELIVERED
            if self.bars >= 2
            else theme.UNCERTAIN
            if self.bars == 1
            else theme.FAILED
        )
        off = QColor(theme.MUTED)
        off.setAlphaF(0.35)
        for i in range(4):
            bh = h * (i + 1) / 4
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(on if i < self.bars else off)
            p.drawRoundedRect(QRectF(i * w + 1, h - bh + 1, w - 2, bh), 1, 1)


class StatusBar(QStatusBar):
    balanceRequested = Signal()
    pinRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.state = QLabel(self)
        self.state.setAccessibleName("Modem status")
        self.bars = SignalBars(self)
        self.operator = QLabel(self)
        self.queue = QLabel(self)
        self.queue.setAccessibleName("Texts waiting to send")
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #d93025;")
        self.error.setAccessibleName("Last problem")
        self.pin = QPushButton("Enter PIN…", self)
        self.pin.clicked.connect(self.pinRequested)
        self.pin.hide()
        self.balance = QPushButton("SIM balance", self)
        self.balance.setAccessibleName("Ask the SIM balance")
        self.balance.setFlat(True)
        self.balance.clicked.connect(self._ask_balance)
        for label in (self.state, self.operator, self.queue, self.error):
            label.setContentsMargins(6, 0, 6, 0)
        self.note = QLabel(self)
        self.note.setAccessibleName("Last action")
        self.note.setContentsMargins(6, 0, 6, 0)
        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.clearMessage)
        # Long words here (a modem error) must never widen the window past a small screen
        # (1366x768 at 200% text): they are cut to the room there is, the whole in the tooltip;
        # the banner above the pages says what matters in full.
        for label in (self.note, self.error):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
        self.addWidget(self.state)
        self.addWidget(self.note)
        self.addWidget(self.pin)
        self.addWidget(self.error, 1)
        self.addPermanentWidget(self.queue)
        self.addPermanentWidget(self.operator)
        self.addPermanentWidget(self.bars)
        self.addPermanentWidget(self.balance)
        self.status = ModemStatus()
        self.set_status(self.status)
        self.set_queue(0)

    def set_status(self, status: ModemStatus) -> None:
        self.status = status
        color = STATE_COLORS.get(status.state, theme.MUTED).name()
        self.state.setText(f"<span style='color:{color}'>●</span> {describe(status)}")
        self.state.setToolTip(
            f"Port: {status.port or 'none'}" + (f" · {status.model}" if status.model else "")
        )
        self.bars.set_bars(status.bars if status.state == ModemState.READY else 0, status.dbm)
        self.operator.setText(status.operator or "")
        self.pin.setVisible(status.state == ModemState.PIN_NEEDED and status.pin_kind != "SIM PUK")
        self.set_problem(status.last_error or "")
        self.balance.setEnabled(status.state == ModemState.READY)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        """Show a short note beside the modem state (for ``timeout`` ms; 0: until replaced)."""
        self.note.setText(text)
        self.note.setToolTip(text)
        if timeout:
            self._note_timer.start(timeout)
        else:
            self._note_timer.stop()

    def clearMessage(self) -> None:
        self.note.setText("")

    def currentMessage(self) -> str:
        return self.note.text()

    def set_queue(self, queued: int) -> None:
        self.queue.setText("Queue empty" if queued == 0 else f"{queued} waiting to send")

    def set_problem(self, text: str) -> None:
        self.error.setText(text)
        self.error.setToolTip(text)

    def _ask_balance(self) -> None:
        self.balance.setText("Asking…")
        self.balance.setEnabled(False)
        self.balanceRequested.emit()

    def set_balance(self, text: str | None, error: str | None) -> None:
        self.balance.setEnabled(True)
        if error:
            self.balance.setText("SIM balance")
            self.showMessage(f"Balance: {error}", 15000)
        else:
            short = (text or "").strip()
            self.balance.setText(short if len(short) < 40 else short[:37] + "…")
            self.balance.setToolTip(short)
