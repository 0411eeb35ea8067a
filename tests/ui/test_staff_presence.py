"""'X is replying…' through the real window (issue 15): another counter's typing shows above the
reply box as soon as the core says presence changed (no polling); typing here is recorded for the
others, and sending says it stopped; a 'replying' nobody renews (its counter died) goes when it
expires."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

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
    presence = w.presence
    assert presence is not None
    label = presence.label
    assert label.isHidden()
    desk.qtbot.wait(1000)  # the signing in and the thread opening settle (each reads once)
    reads = presence.reads
    desk.qtbot.wait(2500)  # nothing changed: nothing is read (the old poll read every 2 s)
    assert presence.reads == reads and not presence.expiry.isActive()
    asked = time.monotonic()
    desk.result(e.replying("Ivy", cid, counter="Back office"))
    desk.wait(lambda: label.text() == "Ivy is replying…", timeout=5)
    print(f"'Ivy is replying…' shown {(time.monotonic() - asked) * 1000:.0f} ms after asking")
    assert time.monotonic() - asked < 1.0
    assert not label.isHidden()
    assert presence.expiry.isActive()  # until Ivy's report expires, unless renewed

    desk.qtbot.keyClicks(w.thread.composer.edit, "On my way")
    desk.wait(lambda: "Jo" in counters.replying_in(cid, e.clock.now()))
    presence.tick()
    assert label.text() == "Ivy is replying…", "not oneself"

    presence.stopped()  # what sending does
    desk.wait(lambda: "Jo" not in counters.replying_in(cid, e.clock.now()))
    desk.result(e.replying("Ivy", None, before=cid, counter="Back office"))
    desk.wait(lambda: label.isHidden(), timeout=1)
    assert not presence.expiry.isActive()


def test_a_replying_nobody_renews_goes_when_it_expires(desk: Any) -> None:
    """Ivy's counter died while she typed: no notification will say she stopped."""
    w = desk.window
    e = desk.engine
    desk.result(e.call(staff.add_staff, "Ivy", None, clock=e.clock))
    cid = queries.conversation_for_number("+12025550102")
    assert cid is not None
    w.select_conversation(cid)
    desk.wait(lambda: w.current_id() == cid)
    last_report = e.clock.now() - counters.REPLYING_FOR + timedelta(seconds=1.5)
    desk.result(e.call(counters.seen, "Ivy", "Back office", last_report, replying_to=cid))
    presence = w.presence
    assert presence is not None
    presence.tick()  # as a notification of her last report would
    assert presence.label.text() == "Ivy is replying…"
    assert 250 <= presence.expiry.remainingTime() <= 1600
    desk.wait(lambda: presence.label.isHidden(), timeout=3)
    assert not presence.expiry.isActive()
