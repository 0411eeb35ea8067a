"""A modem unplugged under the running engine (its pty closed, the device gone) is one WARNING,
not an INFO line nor a line per reconnect attempt; plugged back in, one line says it is ready
again (fault run: the unplug showed only at INFO in ``textdesk serve``)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.paths import Profile
from modem.events import ModemState
from modem.sim import VirtualModem
from tests.desk.engine.harness import start_engine, wait_ready

LOGGER = "desk.engine.modem_state"


def _warnings(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.WARNING and words in r.getMessage()
    ]


def test_unplugged_modem_is_one_warning_and_its_return_another(
    profile: Profile, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    link = str(tmp_path / "usb-Virtual_GSM_Modem-if00")  # a stable name, as /dev/serial/by-id
    vm = VirtualModem(report_delay=0.05, link=link)
    vm.start()
    engine, rec = start_engine(profile, port=link)
    try:
        wait_ready(rec)
        assert not _warnings(caplog, "")
        mark = len(rec.events)
        vm.control({"cmd": "unplug"})  # the pty closes: reads and writes fail, the device goes
        assert not os.path.exists(os.path.realpath(link))
        rec.wait(
            lambda e: (
                isinstance(e, ev.ModemStatusChanged) and e.status.state == ModemState.DISCONNECTED
            ),
            timeout=30,
        )
        deadline = time.monotonic() + 30
        while not _warnings(caplog, "Texts wait until the modem is back"):
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.1)
        (gone,) = _warnings(caplog, "Texts wait until the modem is back")
        assert "disconnected" in gone.getMessage() or "not connected" in gone.getMessage()
        # Several reconnect attempts (0.5 s, 1 s, 2 s... apart) while it stays unplugged.
        time.sleep(4)
        assert len(_warnings(caplog, "Texts wait until the modem is back")) == 1, caplog.text
        assert not _warnings(caplog, "ready again")
        # The modem layer's own line for the repeating reconnects comes once too, not per try.
        repeats = [
            r
            for r in caplog.records
            if r.levelno == logging.WARNING and "trouble repeats" in r.getMessage()
        ]
        assert len(repeats) <= 1, caplog.text

        mark = len(rec.events)
        vm.control({"cmd": "replug"})
        rec.wait(
            lambda e: (
                isinstance(e, ev.ModemStatusChanged)
                and e.status.state == ModemState.READY
                and rec.events.index(e) >= mark
            ),
            timeout=60,
        )
        deadline = time.monotonic() + 10
        while not _warnings(caplog, "The modem is ready again"):
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.1)
        time.sleep(1)
        assert len(_warnings(caplog, "The modem is ready again")) == 1
        assert len(_warnings(caplog, "Texts wait until the modem is back")) == 1
        engine.stop()
        # Stopped on purpose: the modem is let go, nobody is warned.
        assert len(_warnings(caplog, "")) == 2, caplog.text
    finally:
        engine.stop()
        vm.stop()
