"""The coloured banner above the pages while the modem cannot send: what is wrong in plain words,
how many texts wait for it, and the one thing staff can do about it (enter the PIN). Gone by
itself when the modem is ready again. Texts held for other reasons (quiet hours, the send
limits) say so in their own bubbles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desk.base.events import ModemState, ModemStatus
from desk.read import queries
from ui.storage_banner import above_pages

if TYPE_CHECKING:
    from ui.main_window import MainWindow

WHY = {
    ModemState.DISCONNECTED: "The modem is not connected: TextDesk is looking for it.",
    ModemState.NO_NETWORK: "The modem has no mobile network.",
    ModemState.PIN_NEEDED: "The SIM card needs its PIN before anything can be sent.",
    ModemState.ERROR: "The modem has a problem.",
    ModemState.CONNECTING: "TextDesk is connecting to the modem.",
}
RED = (ModemState.DISCONNECTED, ModemState.ERROR)


class ModemBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modemBanner")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Modem problem")
        self.pin = QPushButton("Enter PIN…", self)
        self.pin.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.pin)
        self.status = ModemStatus()
        self.waiting = 0
        self.hide()

    def update_for(self, status: ModemStatus | None = None, waiting: int | None = None) -> None:
        self.status = status if status is not None else self.status
        self.waiting = waiting if waiting is not None else self.waiting
        state = self.status.state
        why = WHY.get(state)
        if why is None or (state == ModemState.CONNECTING and not self.waiting):
            self.hide()  # ready, or connecting with nothing to send: nothing to say
            return
        if state == ModemState.PIN_NEEDED and self.status.pin_kind == "SIM PUK":
            why = "The SIM is locked (PUK needed): ask the phone company for the PUK."
        if self.status.last_error and state in RED:
            why += f" ({self.status.last_error})"
        if self.waiting:
            why += (
                " 1 text is waiting; it goes as soon as the modem can send."
                if self.waiting == 1
                else f" {self.waiting} texts are waiting; they go as soon as the modem can send."
            )
        else:
            why += " Texts written now wait and go as soon as the modem can send."
        self.text.setText(why)
        self.pin.setVisible(state == ModemState.PIN_NEEDED and self.status.pin_kind != "SIM PUK")
        red = state in RED
        self.setStyleSheet(
            f"#modemBanner {{ background: {'#b3261e' if red else '#f9ab00'}; border-radius: 4px; }}"
            f"#modemBanner QLabel {{ color: {'white' if red else '#202124'}; font-weight: bold;"
            " padding: 2px 6px; }"
        )
        self.show()


def install(window: MainWindow) -> ModemBanner:
    """Put the banner above the window's pages and keep it to the modem's state and the queue."""
    banner = above_pages(window, ModemBanner)
    window.bridge.modemStatusChanged.connect(lambda status: banner.update_for(status=status))
    window.bridge.queueChanged.connect(lambda n: banner.update_for(waiting=int(n)))
    banner.pin.clicked.connect(window.ask_pin)
    banner.update_for(window.engine.modem_status, queries.queue_size())
    return banner
