"""Closing the window keeps TextDesk running, through the real window, engine and virtual modem:
texts still arrive while it is closed, staff are told once (also after a restart, never again),
and File › Quit stops it for real."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication

from desk.base.events import ModemState
from desk.read import queries
from tests.ui.conftest import Desk
from ui import session

JAMES = "+12025550102"


def _messages_from(number: str) -> list[str]:
    cid = queries.conversation_for_number(number)
    assert cid is not None
    return [r.body for r in queries.thread_page(cid, limit=50).messages if not r.outgoing]


def test_closing_keeps_it_running_and_says_so_once(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    assert w.close() is False, "the close was turned into putting the window away"
    assert not w.isVisible() or w.isMinimized()
    assert desk.engine.running
    assert len(w.keep_running.said) == 1
    assert "File › Quit" in w.keep_running.said[0]
    assert "reminders keep going out" in w.keep_running.said[0]

    desk.vm.control({"cmd": "deliver", "from": JAMES, "text": "Are you still there?"})
    desk.wait(lambda: "Are you still there?" in _messages_from(JAMES))
    desk.wait(lambda: any(n[1] == "Are you still there?" for n in w.notifier.sent))

    w.bring_forward()
    assert w.isVisible() and not w.isMinimized()
    w.close()
    assert len(w.keep_running.said) == 1, "said once, not at every close"
    for box in QApplication.topLevelWidgets():
        if box.windowTitle() == "TextDesk is still running":
            box.close()

    profile = desk.session.profile
    desk.session.close()
    again = session.start(profile, virtual=True, customer=False, demo_data=False)
    try:
        qtbot.addWidget(again.window)
        again.window.show()
        qtbot.waitUntil(lambda: again.engine.modem_status.state == ModemState.READY, timeout=30000)
        again.window.close()
        assert again.window.keep_running.said == [], "already told on this profile"
        assert again.engine.running
    finally:
        again.close()


def test_file_quit_stops_it(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    file_menu = w.menuBar().actions()[0].menu()
    assert w.act_quit in file_menu.actions()
    assert w.act_quit.shortcut().toString() == "Ctrl+Q"
    with qtbot.waitSignal(w.quitRequested, timeout=2000):
        w.act_quit.trigger()
    assert not w.isVisible() and w.quitting
    assert w.keep_running.said == [], "quitting is not putting away"
