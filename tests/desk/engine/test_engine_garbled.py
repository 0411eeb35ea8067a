"""Garbage on the line between the modem and the PC: a text read garbled from its SIM slot is
read again and stored intact, and the log says only that (corrupted in transit, re-read,
stored); a PDU that is undecodable on the SIM itself is kept raw and staff are told once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.paths import Profile, resolve_profile
from desk.engine.api import Engine
from desk.store.models import IN, Message, RawIncoming
from modem.sim import VirtualModem
from tests.desk.engine.harness import (
    CUSTOMER,
    Recorder,
    prepare,
    start_engine,
    stored_path_modem,
    wait_ready,
    wait_until,
)


@pytest.fixture
def running(tmp_path: Path, modem: VirtualModem) -> Iterator[tuple[Engine, Recorder]]:
    profile: Profile = resolve_profile(tmp_path / "profile")
    prepare(profile)
    engine, rec = start_engine(profile, modem.device, modem_factory=stored_path_modem)
    try:
        wait_ready(rec)
        yield engine, rec
    finally:
        engine.stop()


def sim_used(vm: VirtualModem) -> int:
    reply = vm.control({"cmd": "status"})
    assert reply is not None
    return sum(s["used"] for s in reply["storage"].values())


def test_a_text_garbled_on_the_line_is_read_again_and_stored_intact(
    running: tuple[Engine, Recorder], modem: VirtualModem, caplog: pytest.LogCaptureFixture
) -> None:
    _engine, rec = running
    caplog.set_level(logging.INFO, logger="desk.engine.api")
    # Not hex: whatever reply it lands in, a PDU read with it cannot decode.
    modem.control({"cmd": "garbage", "in_reply": True, "data": "5a5a217e5a5a"})
    modem.deliver(CUSTOMER, "Can I pick it up at four?")
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN, timeout=60)
    assert Message.get_by_id(added.message_id).body == "Can I pick it up at four?"
    wait_until(lambda: sim_used(modem) == 0, what="the SIM emptied")
    # Since the stored path reads each slot once, the garbage may land in a reply that carries
    # no PDU (then there is nothing to say); when it did hit the PDU, the log says only this.
    if "arrived garbled from the modem" in caplog.text:
        assert "it was read again and stored" in caplog.text
    assert RawIncoming.select().count() == 0  # nothing unreadable to show: it was read intact
    said = [p.text for p in rec.of(ev.Problem)]
    assert not [t for t in said if "could not be read" in t or "removed from the SIM" in t], said
    assert Message.select().where(Message.direction == IN).count() == 1


def test_a_pdu_undecodable_on_the_sim_is_kept_raw_and_said_once(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    _engine, rec = running
    modem.control({"cmd": "deliver_pdu", "pdu": "0004FFFF"})
    problem = rec.wait(lambda e: isinstance(e, ev.Problem), timeout=60)
    assert problem.text.startswith("An incoming text could not be read (")
    assert "its raw data is kept (unreadable message #" in problem.text
    assert "removed from the SIM" not in problem.text
    wait_until(lambda: sim_used(modem) == 0, what="the unreadable one deleted, once kept")
    assert RawIncoming.select().count() == 1
    modem.deliver(CUSTOMER, "Second one is fine")
    rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == IN, timeout=30)
    assert len([p for p in rec.of(ev.Problem) if "could not be read" in p.text]) == 1
