"""'Anna is replying…' above the reply box (issue 15), so two people do not answer one customer.

Typing in the reply box (a key, not a draft put back) tells the engine at most every EVERY seconds
(Engine.replying); sending, or the thread left, says it stopped. The label (everyone replying in
the open thread but the one signed in here, counters.replying_until) is read when the thread
shown changes and when the core says presence changed: the bridge's presenceChanged, from this
counter's own calls and, on the shop's server, from the other counters' through LISTEN/NOTIFY
(desk.engine.live). Nothing is polled.

One timer is left, armed only while the label names someone, for the expiry: a counter that dies
(power cut, killed, network gone) while its user types never says it stopped, so no notification
would ever clear "Anna is replying…" here. Each name counts only until its last report +
counters.REPLYING_FOR (15 s); the label is read again at the soonest of those moments. Someone
still typing reports again every EVERY (5 s) seconds, before that, and each report's notification
re-reads the label and moves the timer on; so it fires only when a name is due to go.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QBoxLayout, QLabel

from desk.store import counters

if TYPE_CHECKING:
    from ui.main_window import MainWindow

EVERY = 5.0  # seconds between two "still typing" reports (counters.REPLYING_FOR is 15 s)
# The expiry re-read: never sooner than this after a read (no spinning on a clock set back).
EXPIRY_FLOOR_MS = 250
EXPIRY_SLACK_MS = 50  # a little after the moment, so the name has gone when it is read


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
        self.reads = 0  # times the label was read (tests: on signals, not on a clock)
        self.label = QLabel("", w.thread)
        self.label.setAccessibleName("Who else is replying")
        self.label.setStyleSheet("color: #b06000; font-style: italic;")
        self.label.hide()
        layout = cast(QBoxLayout, w.thread.layout())
        layout.insertWidget(layout.indexOf(w.thread.composer), self.label)
        self.expiry = QTimer(self)  # armed only while someone is named (see the module doc)
        self.expiry.setSingleShot(True)
        self.expiry.timeout.connect(self.tick)
        w.thread.composer.edit.typed.connect(self.typing)
        w.thread.composer.sendRequested.connect(lambda _t: self.stopped())
        w.thread.headerRefreshed.connect(self.tick)
        w.bridge.presenceChanged.connect(self.changed)

    def _report(self, cid: int | None) -> None:
        w = self.w
        if not w.signed_in:
            return
        before, self.reported = self.reported, cid
        self._last = time.monotonic()
        w.bridge.when_done(
            w.engine.replying(w.signed_in, cid, before=before),
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

    def changed(self, conversation_id: int | None) -> None:
        """The core says presence changed in ``conversation_id`` (None: anywhere, e.g. someone
        signed out): read the label again if it is the open thread's."""
        if conversation_id is None or conversation_id == self.w.current_id():
            self.tick()

    def tick(self) -> None:
        """Read who else is replying in the open thread; say we stopped when we left it."""
        if not self.w.isVisible():  # closed (or not yet shown): nothing to read or show
            self.expiry.stop()
            return
        cid = self.w.current_id()
        if self.reported is not None and self.reported != cid:
            self.stopped()
        now = self.w.engine.clock.now()
        self.reads += 1
        others = (
            counters.replying_until(cid, now, besides=self.w.signed_in) if cid is not None else []
        )
        text = words([name for name, _until in others])
        self.label.setText(text)
        self.label.setVisible(bool(text))
        if others:
            due = min(until for _name, until in others) - now
            ms = int(due.total_seconds() * 1000) + EXPIRY_SLACK_MS
            limit = int(counters.REPLYING_FOR.total_seconds() * 1000) + EXPIRY_SLACK_MS
            self.expiry.start(max(EXPIRY_FLOOR_MS, min(ms, limit)))
        else:
            self.expiry.stop()


def install(w: MainWindow) -> Presence:
    p = w.presence = Presence(w)
    return p
