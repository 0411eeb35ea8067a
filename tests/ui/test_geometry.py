"""The window fits the counter's screen, through the real window on the demo shop with the
virtual modem: resizable, its minimum inside 1280×720, the status bar with the modem state on a
1366×768 screen at 100 % and 200 % text, and the size staff gave it kept for next time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desk.base.events import ModemState
from desk.read import queries
from tests.ui.conftest import Desk
from tests.ui.counter_screen import run_probe
from ui import session, window_state


def _probe(tmp_path: Path, scale: float, profile: Path) -> dict[str, Any]:
    return run_probe("tests.ui.geometry_probe", tmp_path, profile, scale)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_on_a_1366x768_screen_the_modem_state_is_on_screen(tmp_path: Path, scale: float) -> None:
    got = _probe(tmp_path, scale, tmp_path / "profile")
    assert got["screen"] == [1366, 768]
    x, y, width, height = got["window"]
    assert x >= 0 and y >= 0
    assert got["resizable"]
    assert width <= 1366 and y + height <= 768
    assert got["minimum"][0] <= 1280 and got["minimum"][1] <= 720 - 40
    assert got["status_visible"] and got["state_visible"]
    assert got["status_bottom"] <= 768, "the status bar is on the screen"
    assert "Ready to send and receive" in got["state_text"]
    assert got["state_fits"] and got["state_right"] <= 1366
    assert got["send_visible"]
    assert got["composer_height"] >= 2 * got["composer_line"], "room to type two lines"
    assert got["thread_height"] >= 5 * got["composer_line"], "the thread still shows messages"
    assert got["hint_visible"], "which key sends is readable in full"


def test_the_window_keeps_the_size_staff_gave_it(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    w.resize(760, 560)  # inside the offscreen screen (800×800)
    w.splitter.setSizes([300, 460, 0])
    qtbot.waitUntil(lambda: w.width() == 760 and w.height() == 560)
    profile = desk.session.profile
    desk.session.close()
    saved = window_state.settings_for(profile.data_dir).value("list_width")
    assert saved is not None and abs(int(str(saved)) - 300) <= 2, saved

    again = session.start(profile, virtual=True, customer=False, demo_data=False)
    try:
        qtbot.addWidget(again.window)
        again.window.show()
        qtbot.waitUntil(lambda: again.engine.modem_status.state == ModemState.READY, timeout=30000)
        assert (again.window.width(), again.window.height()) == (760, 560)
        qtbot.waitUntil(lambda: abs(again.window.splitter.sizes()[0] - int(str(saved))) <= 2)
    finally:
        again.close()


def test_a_short_note_does_not_hide_the_modem_state(desk: Desk, qtbot: Any) -> None:
    w = desk.window
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None and w.list.select(cid)
    w.toggle_status()  # "Marked done." goes to the status bar
    qtbot.waitUntil(lambda: w.status.currentMessage() == "Marked done.")
    assert w.status.state.isVisible() and "Ready to send and receive" in w.status.state.text()
    assert w.status.note.isVisible()
