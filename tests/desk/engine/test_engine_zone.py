"""No time zone anywhere (neither the setting nor this computer): the engine says so once, in
plain words, at start-up, not "Something went wrong inside TextDesk" every cycle; once the shop
sets its zone, everything carries on without a restart."""

from __future__ import annotations

import logging
import time

import pytest
import tzlocal

from desk.base import events as ev
from desk.base.paths import Profile
from desk.store.models import SENT
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import CUSTOMER, start_engine, updated_to, wait_ready


def test_a_missing_time_zone_is_said_once_and_setting_one_carries_on(
    profile: Profile,
    modem: VirtualModem,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: None)
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        mid = engine.send(CUSTOMER, "Your car is ready").result(timeout=30)
        time.sleep(3.0)  # about thirty cycles, three scheduler ticks
        problems = [p.text for p in rec.of(ev.Problem)]
        zone = [t for t in problems if "cannot tell which time zone" in t]
        assert len(zone) == 1, problems
        assert "textdesk config timezone" in zone[0]
        assert not [t for t in problems if "Something went wrong" in t], problems
        rec.wait(updated_to(mid, SENT), timeout=30)  # a text staff wrote still goes out

        with caplog.at_level(logging.INFO, logger="desk.engine.api"):
            Settings().set("timezone", "Europe/London")  # as textdesk config would
            deadline = time.monotonic() + 10
            while "time zone is Europe/London" not in caplog.text:
                assert time.monotonic() < deadline, caplog.text
                time.sleep(0.1)
        assert len([p for p in rec.of(ev.Problem) if "time zone" in p.text]) == 1
    finally:
        engine.stop()
