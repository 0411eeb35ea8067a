"""'X is replying…' through the real window (issue 15): another counter's typing shows above the
reply box; typing here is recorded for the others, and sending says it stopped."""

from __future__ import annotations

from typing import Any

from desk.engine import window_ops
from desk.messaging import staff
from desk.read import queries
from desk.store import counters
from ui import staff_actions
from ui.staff_presence import words


def test_words() -> None:
    assert words([]) == ""
    assert words(["Anna"]) == "Anna is replying…"
    assert words(["Anna", "Ben", "Cleo"]) == "Anna, Ben and Cleo are replying…"


def test_other_counter_replying_shows_and_typing_here_is_told(desk: Any) -> None:
    w = desk.window
    e = desk.engine
    for name in ("Ivy", "Jo"):
        desk.result(e.call(staff.add_staff, name, None, clock=e.clock))
    dlg = staff_actions.ask(w)
    assert dlg is not None
    dlg.choose("Jo")
    dlg.buttons.accepted.emit()
    desk.wait(lambda: w.signed_in == "Jo")
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None
    w.select_conversation(cid)
    desk.wait(lambda: w.current_id() == cid)
    label = w.presence.label
    assert label.isHidden()
    desk.result(e.call(window_ops.replying, "Ivy", "Back office", cid, clock=e.clock))
    desk.wait(lambda: label.text() == "Ivy is replying…", timeout=5)
    assert not label.isHidden()

    desk.qtbot.keyClicks(w.thread.composer.edit, "On my way")
    desk.wait(lambda: "Jo" in counters.replying_in(cid, e.clock.now()))
    w.presence.tick()
    assert label.text() == "Ivy is replying…", "not oneself"

    w.presence.stopped()  # what sending does
    desk.wait(lambda: "Jo" not in counters.replying_in(cid, e.clock.now()))
    desk.result(e.call(window_ops.replying, "Ivy", "Back office", None, before=cid, clock=e.clock))
    desk.wait(lambda: label.isHidden(), timeout=5)
