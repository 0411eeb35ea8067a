"""'Anna is replying…' above the reply box (issue 15), so two people do not answer one customer.

Typing in the reply box (a key, not a draft put back) tells the engine at most every few seconds
(window_ops.replying); sending, or the thread left, says it stopped. While a thread is open the
label is read again every 2 s from counters.replying_in (everyone but the one signed in here)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QBoxLayout, QLabel

from desk.engine import window_ops
from desk.store import counters

if TYPE_CHECKING:
    from ui.main_window import MainWindow

EVERY = 5.0  # seconds between two "still typing" reports (counters.REPLYING_FOR is 15 s)
READ_EVERY_MS = 2000


def words(names: list[str]) -> str:
    """'Anna is replying…', 'Anna and Ben are replying…' ('' for nobody)."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} is replying…"
    return f"{', '.join(names[:-1])} and {names[-1]} are replying…"


class Presence(QObject):
    def __init__(self, w: MainWindow) -> None:
        super().__init__(w)
        self.w = w
        self.reported: int | None = None  # the conversation this counter said it types in
        self._last = 0.0
        self.label = QLabel("", w.thread)
        self.label.setAccessibleName("Who else is replying")
        self.label.setStyleSheet("color: #b06000; font-style: italic;")
        self.label.hide()
        layout = cast(QBoxLayout, w.thread.layout())
        layout.insertWidget(layout.indexOf(w.thread.composer), self.label)
        self.timer = QTimer(self, interval=READ_EVERY_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        w.thread.composer.edit.typed.connect(self.typing)
        w.thread.composer.sendRequested.connect(lambda _t: self.stopped())
        w.thread.headerRefreshed.connect(self.tick)

    def _report(self, cid: int | None) -> None:
        w = self.w
        if not w.signed_in:
            return
        before, self.reported = self.reported, cid
        self._last = time.monotonic()
        w.bridge.when_done(
            w.engine.call(
                window_ops.replying,
                w.signed_in,
                w.engine.profile.counter,
                cid,
                before=before,
                clock=w.engine.clock,
            ),
            None,
            lambda exc: w.status.showMessage(f"Could not tell the others: {exc}", 4000),
        )

    def typing(self) -> None:
        cid = self.w.current_id()
        if cid is None or not self.w.signed_in:
            return
        if cid != self.reported or time.monotonic() - self._last >= EVERY:
            self._report(cid)

    def stopped(self) -> None:
        if self.reported is not None:
            self._report(None)

    def tick(self) -> None:
        """Read who else is replying in the open thread; say we stopped when we left it."""
        if not self.w.isVisible():  # closed (or not yet shown): nothing to read or show
            return
        cid = self.w.current_id()
        if self.reported is not None and self.reported != cid:
            self.stopped()
        names = (
            counters.replying_in(cid, self.w.engine.clock.now(), besides=self.w.signed_in)
            if cid is not None
            else []
        )
        text = words(names)
        self.label.setText(text)
        self.label.setVisible(bool(text))


def install(w: MainWindow) -> Presence:
    p = w.presence = Presence(w)
    return p
