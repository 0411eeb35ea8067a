"""The engine hands the inbox its rules (privacy, consent, appointment replies): texts delivered by
the virtual modem on a real pty, stored in a real SQLite file, answered through the real
ModemService."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import Profile, resolve_profile
from desk.engine import core_loop
from desk.engine.api import Engine
from desk.engine.incoming_rules import RULES
from desk.store.models import IN, OUT, ConsentEvent, Contact, Message
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import (
    CUSTOMER,
    Recorder,
    prepare,
    start_engine,
    wait_ready,
    wait_until,
)

CARD = "Here is my card for the deposit: 4111 1111 1111 1111, exp 12/28"


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    p = resolve_profile(tmp_path / "profile")
    prepare(p, shop_name="Smile Dental")
    return p


@pytest.fixture
def running(profile: Profile, modem: VirtualModem) -> Iterator[tuple[Engine, Recorder]]:
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        yield engine, rec
    finally:
        engine.stop()


def _received(rec: Recorder, body: str) -> Message:
    def match() -> Message | None:
        for added in rec.of(ev.MessageAdded):
            row = Message.get_or_none(Message.id == added.message_id)
            if row is not None and row.direction == IN and row.body == body:
                return row
        return None

    found: Message = wait_until(match, what=f"the incoming {body!r} stored")
    return found


def test_the_engine_wires_privacy_consent_and_appointment_replies() -> None:
    names = [rule.name for rule in RULES.on_complete]
    assert names == ["consent", "appointment replies", "keyword answers", "away replies"]
    assert RULES.is_sensitive(CARD) and not RULES.is_sensitive("See you at 4:30, thanks")
    core = core_loop.Core(
        settings=Settings(), clock=SystemClock(), emit=lambda e: None, make_service=lambda: None
    )
    assert core.rules is RULES


def test_stop_through_the_engine_is_recorded_and_confirmed_once(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    _engine, rec = running
    modem.deliver(CUSTOMER, "STOP")
    confirm = modem.wait_event("submitted", timeout=30)
    assert confirm["to"] == CUSTOMER
    assert (
        confirm["text"]
        == "You will get no more texts from Smile Dental. Reply START to opt back in."
    )
    stop = _received(rec, "STOP")
    assert "keyword" in stop.flag_list
    contact = Contact.get(Contact.number == CUSTOMER)
    assert wait_until(lambda: Contact.get_by_id(contact.id).opted_out, what="the opt-out")
    events = list(ConsentEvent.select().where(ConsentEvent.number == CUSTOMER))
    assert [(e.kind, e.method, e.text) for e in events] == [("opt_out", "keyword", "STOP")]
    assert not rec.of(ev.Problem)
    modem.deliver(CUSTOMER, "stop")  # already out: not confirmed again
    _received(rec, "stop")  # its rules ran in the transaction that stored it
    assert Message.select().where(Message.direction == OUT).count() == 1
    assert len(modem.submitted()) == 1


def test_a_card_number_through_the_engine_is_flagged_and_masked(
    running: tuple[Engine, Recorder], modem: VirtualModem
) -> None:
    _engine, rec = running
    modem.deliver(CUSTOMER, CARD)
    flagged = _received(rec, "Here is my card for the deposit: •••• •••• •••• 1111, exp 12/28")
    assert "sensitive" in flagged.flag_list and flagged.masked
    modem.deliver(CUSTOMER, "Thanks, see you at 4:30")
    plain = _received(rec, "Thanks, see you at 4:30")
    assert "sensitive" not in plain.flag_list
    assert Message.select().where(Message.direction == OUT).count() == 0  # nothing answered
