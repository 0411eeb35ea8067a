"""Two counters, two real windows (issue 15): two MainWindows offscreen in one process, each with
its own engine, both on one real PostgreSQL database (tests/helpers/postgres.py), the virtual
modem on a real TCP socket driven by the first counter. What one window does shows on the other
within a second, through LISTEN/NOTIFY (no polling): Anna typing at the front desk shows "Anna is
replying…" at the back office, her reply shows in the back office's thread, and the back office
marking the conversation done shows at the front desk."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt

from desk.base.clock import SystemClock
from desk.base.paths import resolve_profile
from desk.engine.api import Engine
from desk.messaging import staff
from desk.read import queries
from desk.store.db import close_database, open_server_database
from desk.store.settings import Settings
from modem.events import ModemState
from modem.sim.virtual_modem import VirtualModem
from ui.main_window import MainWindow

CUSTOMER = "+12025550143"
FAST = {"try_every": 0.2, "beat_every": 0.2, "lose_after": 2.0}
WITHIN = 1.0  # seconds: the "within a second"


class Counter:
    """One counter: its engine (on the shared database) and its window."""

    def __init__(self, tmp: Path, url: str, name: str, device: str) -> None:
        profile = replace(resolve_profile(tmp / name, database=url), counter_name=name).ensure()
        self.engine = Engine(profile, port=device, mode="test", interval=0.1)
        self.engine.owner_timing = dict(FAST)
        self.engine.start()
        self.window = MainWindow(self.engine, log_path=profile.log_path)

    def close(self) -> None:
        """The window goes for good (deleted: its timers read the database, and the server
        stops after the tests), then the engine."""
        w = self.window
        w.bridge.detach()
        w.shutdown()
        w.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.engine.stop()


def timed(
    qtbot: Any, what: str, cond: Callable[[], object], *, since: float | None = None
) -> float:
    """Seconds from ``since`` (default: now) until ``cond()`` holds, the Qt event loop running
    meanwhile."""
    start = time.monotonic() if since is None else since
    qtbot.waitUntil(lambda: bool(cond()), timeout=5000)
    lag = time.monotonic() - start
    print(f"{what}: {lag * 1000:.0f} ms")
    return lag


def sign_in(qtbot: Any, w: MainWindow, name: str) -> None:
    """The picker the window shows at start when the shop has staff."""
    qtbot.waitUntil(lambda: w.staff_picker is not None, timeout=5000)
    dlg = w.staff_picker
    assert dlg is not None
    dlg.choose(name)
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: w.signed_in == name, timeout=5000)


def test_two_windows_see_each_others_presence_replies_and_done(
    qtbot: Any, tmp_path: Path, pg_url: str, tcp_modem: VirtualModem
) -> None:
    open_server_database(pg_url)
    Settings().set("rate_per_minute", 60)
    for name in ("Anna", "Ben"):
        staff.add_staff(name, None, clock=SystemClock())
    device = tcp_modem.device
    assert device is not None
    front = Counter(tmp_path, pg_url, "Front desk", device)
    back: Counter | None = None
    try:
        qtbot.waitUntil(lambda: front.engine.modem_status.state == ModemState.READY, timeout=20000)
        # The second engine binds the process's one database proxy again as it starts (two
        # counters in one process, as only tests run them): let the first settle first.
        qtbot.wait(500)
        back = Counter(tmp_path, pg_url, "Back office", device)
        w1, w2 = front.window, back.window
        for w in (w1, w2):
            w.show()  # not qtbot.addWidget: Counter.close deletes it
        sign_in(qtbot, w1, "Anna")
        sign_in(qtbot, w2, "Ben")

        tcp_modem.control({"cmd": "deliver", "from": CUSTOMER, "text": "Is my car ready?"})
        qtbot.waitUntil(
            lambda: queries.conversation_for_number(CUSTOMER) is not None, timeout=10000
        )
        cid = queries.conversation_for_number(CUSTOMER)
        assert cid is not None
        for w in (w1, w2):
            w.select_conversation(cid)
            qtbot.waitUntil(lambda w=w: w.current_id() == cid, timeout=5000)
        assert w1.presence is not None and w2.presence is not None
        label = w2.presence.label
        assert label.isHidden()

        # Anna types at the front desk: the back office sees it
        typed = time.monotonic()  # the first key reports (the others within EVERY do not)
        qtbot.keyClicks(w1.thread.composer.edit, "Yes, come by at five")
        lags = [timed(qtbot, "typing → 'Anna is replying…' on the other window",
                      lambda: label.isVisible() and label.text() == "Anna is replying…",
                      since=typed)]  # fmt: skip
        assert w1.presence.label.isHidden(), "not oneself"

        # she sends it: her reply in the other window's thread, and she no longer replies
        clicked = time.monotonic()
        qtbot.mouseClick(w1.thread.composer.send_button, Qt.MouseButton.LeftButton)
        lags.append(timed(qtbot, "reply sent → in the other window's thread", lambda: any(
            r.body == "Yes, come by at five" for r in w2.thread.model.messages()),
            since=clicked))  # fmt: skip
        lags.append(timed(qtbot, "sent → 'replying' gone on the other window", label.isHidden,
                          since=clicked))  # fmt: skip

        # the back office marks it done: the front desk shows it
        marked = time.monotonic()
        qtbot.mouseClick(w2.thread.status_button, Qt.MouseButton.LeftButton)
        lags.append(timed(qtbot, "done at the other counter → shown here", lambda: (
            w1.thread.conversation is not None and w1.thread.conversation.status == "done"
            and w1.thread.status_button.text() == "Reopen"), since=marked))  # fmt: skip
        assert max(lags) < WITHIN, lags
    finally:
        if back is not None:
            back.close()
        front.close()
        close_database()
