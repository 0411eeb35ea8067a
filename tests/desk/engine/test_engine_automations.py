"""Automatic answers end to end: the virtual modem on a real pty delivers a customer's text, the
engine (injected clock) stores it and answers through the real ModemService; the away reply's
once-per-N-hours limit holds across an engine restart; STOP outside hours gets only the
confirmation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.automations import keywords
from desk.base.clock import FakeClock
from desk.base.paths import Profile, resolve_profile
from desk.store.models import OUT, Message
from modem.sim import VirtualModem
from tests.desk.engine.harness import CUSTOMER, prepare, start_engine, wait_ready, wait_until

# Friday 2026-12-04 19:30 in New York (after closing); the shop opens Saturday at 10:00.
FRIDAY_EVENING = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    p = resolve_profile(tmp_path / "profile")
    prepare(
        p,
        shop_name="Smile Dental",
        timezone="America/New_York",
        opening_hours="mon-fri 09:00-18:00; sat 10:00-14:00",
        away_reply=True,
        quiet_hours="08:00-21:00",
    )
    return p


def _answers(source: str) -> list[Message]:
    return list(Message.select().where((Message.direction == OUT) & (Message.source == source)))


def test_away_reply_after_closing_once_across_a_restart(profile: Profile, modem: VirtualModem):
    clock = FakeClock(FRIDAY_EVENING)
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        modem.deliver(CUSTOMER, "Is my crown ready?")
        away = modem.wait_event("submitted", timeout=30)
        assert away["to"] == CUSTOMER
        assert away["text"] == (
            "Smile Dental: thanks for your text. We are closed now and will answer tomorrow at "
            "10:00."
        )
    finally:
        engine.stop()
    clock.advance(timedelta(hours=2))
    engine, rec = start_engine(profile, modem.device, clock=clock)  # TextDesk restarted
    try:
        wait_ready(rec)
        modem.deliver(CUSTOMER, "Hello? Anyone there?")
        wait_until(
            lambda: Message.select().where(Message.body == "Hello? Anyone there?").exists(),
            what="the second text stored",
        )
        modem.deliver(CUSTOMER, "STOP")  # outside hours: the confirmation only
        stop = modem.wait_event("submitted", timeout=30)
        assert stop["text"].startswith("You will get no more texts from Smile Dental.")
        assert len(_answers("away")) == 1
    finally:
        engine.stop()


def test_a_keyword_is_answered_inside_opening_hours_too(profile: Profile, modem: VirtualModem):
    clock = FakeClock(datetime(2026, 12, 4, 16, tzinfo=UTC))  # Friday 11:00, open
    keywords.add("hours", "Mon-Fri 9-6, Sat 10-2. {shop}", clock=clock)
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        modem.deliver(CUSTOMER, "What are your hours?")
        answer = modem.wait_event("submitted", timeout=30)
        assert answer["text"] == "Mon-Fri 9-6, Sat 10-2. Smile Dental"
        assert _answers("away") == []
    finally:
        engine.stop()


def test_a_missed_call_becomes_a_thread_line_and_one_text_back(
    profile: Profile, modem: VirtualModem
) -> None:
    from desk.store import activity
    from desk.store.settings import Settings

    Settings().set("missed_call_textback", True)
    clock = FakeClock(datetime(2026, 12, 4, 16, tzinfo=UTC))  # Friday 11:00 in New York
    engine, rec = start_engine(profile, modem.device, clock=clock)
    try:
        wait_ready(rec)
        modem.control({"cmd": "call", "from": CUSTOMER, "rings": 2, "hangup_after": 0.4})
        back = modem.wait_event("submitted", timeout=30)
        assert back["to"] == CUSTOMER
        assert (
            back["text"] == "Sorry we missed your call - text us here, we answer fast. Smile Dental"
        )
        line = wait_until(
            lambda: Message.get_or_none(Message.source == "call"), what="the missed-call line"
        )
        assert line.body == "Missed call 11:00" and not line.read
        call = activity.Call.get()
        assert (call.number, call.rings, call.answered) == (CUSTOMER, 2, False)
        modem.control({"cmd": "call", "from": CUSTOMER, "rings": 1, "hangup_after": 0.2})
        wait_until(lambda: activity.Call.select().count() == 2, what="the second call kept")
        assert len(_answers("missed_call")) == 1  # once a day per caller
        modem.control({"cmd": "call", "from": None, "rings": 1, "hangup_after": 0.2})
        withheld = wait_until(
            lambda: activity.Call.get_or_none(activity.Call.number.is_null()), what="withheld"
        )
        assert withheld.skipped == "the caller's number was withheld"
    finally:
        engine.stop()


def test_a_call_is_declined_after_the_rings_the_shop_set(profile: Profile, modem: VirtualModem):
    from desk.store import activity
    from desk.store.settings import Settings

    Settings().set("decline_after_rings", 2)
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        modem.control({"cmd": "call", "from": CUSTOMER, "rings": 6, "hangup_after": 3})
        ended = modem.wait_event("call_ended", timeout=30)
        assert (ended["by"], ended["rings"]) == ("terminal", 2)
        call = wait_until(lambda: activity.Call.get_or_none(), what="the declined call kept")
        assert call.declined and call.rings == 2
    finally:
        engine.stop()
