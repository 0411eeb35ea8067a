"""Bottom bar: the modem in plain words, signal bars, operator, queue, last error, balance.

Short notes ("Saved.", "Queued again.") go in a label of their own beside the modem state, so the
state never disappears behind them (QStatusBar's own temporary messages hide it). A note longer
than its room wraps onto more lines (the bar grows while it shows) and stays up long enough to be
read; nothing is cut. The SIM balance shows its amount (and until when), the whole reply in its
tooltip and, when it comes, in the note."""

from __future__ import annotations

import re

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
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


_MONEY = r"\d+(?:[.,]\d+)*"
_CURRENCY = r"[$€£¥₹₦₱]|(?!SMS|MMS|MIN)[A-Z]{3}\b|(?i:dollars?|euros?|pounds?|rupees?|naira|pesos?|rand|shillings?)"
AMOUNT = re.compile(
    rf"(?P<pre>{_CURRENCY})\s?(?P<a1>{_MONEY})|(?P<a2>{_MONEY})\s?(?P<post>{_CURRENCY})"
)
VALID = re.compile(r"(?i)\b(?:valid|expires?|good)\s+(?:until|till|to|on|by)\s+(?P<when>[^\s,;]+)")
SHORT_MAX = 32  # a balance reply up to this long shows whole on its button
LONG_BALANCE = "SIM balance: point here"


def short_balance(text: str) -> str:
    """What the balance button says for the SIM's reply: the amount and until when ("12.34 USD,
    until 31/12"), the reply itself when short, else a pointer to the tooltip with it whole."""
    text = " ".join(text.split())
    found = AMOUNT.search(text)
    if found is None:
        return text if len(text) <= SHORT_MAX else LONG_BALANCE
    if found["a1"]:
        amount = f"{found['pre']}{found['a1']}" if len(found["pre"]) == 1 else found[0]
    else:
        amount = found[0]
    valid = VALID.search(text)
    until = valid["when"].rstrip(".") if valid else ""
    short = f"Balance {amount}" + (f", until {until}" if until else "")
    return short if len(short) <= SHORT_MAX + 8 else f"Balance {amount}"


def breakable(text: str) -> str:
    """``text`` with a zero-width space after each / and \\ so a long path can wrap too."""
    return re.sub(r"([/\\])", "\\1\u200b", text)


def reading_ms(text: str) -> int:
    """How long a note stays so staff can read it: 3 s and a little per character."""
    return 3000 + 60 * len(text)


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
        h = min(self.height(), self.fontMetrics().height()) - 2
        top = (self.height() - 2 - h) / 2
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
            p.drawRoundedRect(QRectF(i * w + 1, top + h - bh + 1, w - 2, bh), 1, 1)


class NoteLabel(QLabel):
    """The note beside the modem state; says when the layout gives it another width."""

    resized = Signal()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()


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
        self.note = NoteLabel(self)
        self.note.setAccessibleName("Last action")
        self.note.setContentsMargins(6, 0, 6, 0)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        # A note longer than the room beside the modem state goes whole, wrapped, in a band of
        # its own across the top of the bar (the bar grows while it shows): never cut.
        self.long_note = QLabel(self)
        self.long_note.setAccessibleName("Last action")
        self.long_note.setTextFormat(Qt.TextFormat.PlainText)
        self.long_note.setWordWrap(True)
        self.long_note.setContentsMargins(6, 0, 6, 0)
        self.long_note.hide()
        self._note_text = ""
        self._note_timer = QTimer(self, singleShot=True)
        self._note_timer.timeout.connect(self.clearMessage)
        # Long words here (a modem error) must never widen the window past a small screen
        # (1366x768 at 200% text): they are cut to the room there is, the whole in the tooltip;
        # the banner above the pages says what matters in full.
        for label in (self.note, self.error):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
        self.note.resized.connect(self._place_note)
        self.addWidget(self.state)
        self.addWidget(self.note, 1)  # the room left beside the state: a note fits or not
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_note()

    def note_fits(self, text: str) -> bool:
        """Whether ``text`` fits on one line in the room beside the modem state."""
        room = self.note.contentsRect().width()
        return self.note.fontMetrics().horizontalAdvance(text) <= room

    def _place_note(self) -> None:
        """The note beside the state when it fits there, else in the band across the top."""
        text = self._note_text
        inline = not text or self.note_fits(text)
        self.note.setText(text if inline else "")
        self.note.setToolTip(text if inline else "")
        band = 0
        if not inline:
            self.long_note.setText(breakable(text))
            self.long_note.setToolTip(text)
            width = max(1, self.width())
            band = self.long_note.heightForWidth(width) + 4
            self.long_note.setGeometry(0, 2, width, band - 2)
        self.long_note.setVisible(not inline)
        if self.contentsMargins().top() != band:
            self.setContentsMargins(0, band, 0, 0)
            self.updateGeometry()

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        """Show a note beside the modem state, or whole above it when it is longer than the room
        there (for ``timeout`` ms, longer when it takes longer to read; 0: until replaced)."""
        self._note_text = text
        self._place_note()
        if timeout:
            self._note_timer.start(max(timeout, reading_ms(text)))
        else:
            self._note_timer.stop()

    def clearMessage(self) -> None:
        self._note_text = ""
        self._place_note()

    def currentMessage(self) -> str:
        return self._note_text

    def set_queue(self, queued: int) -> None:
        self.queue.setText("Queue empty" if queued == 0 else f"{queued} waiting to send")

    def set_problem(self, text: str) -> None:
        self.error.setText(text)
        self.error.setToolTip(text)
        self.error.setVisible(bool(text))  # hidden, it leaves the note its room

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
            reply = " ".join((text or "").split())
            self.balance.setText(short_balance(reply))
            self.balance.setToolTip(f"{reply}\n(click to ask again)")
            self.balance.setAccessibleName(f"SIM balance: {reply}. Click to ask again")
            self.showMessage(f"SIM balance: {reply}", 15000)  # the whole reply, once, to read
