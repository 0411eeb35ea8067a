"""Recorded conversations of ten device families (``*.at``, written from the makers' AT
manuals, each with its terse answers) replayed on a real pseudo-terminal; desk's real Engine and
ModemService, with a real SQLite file, must serve, send, get the delivery report and receive the
customer's reply through every one of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desk.base.paths import resolve_profile
from desk.engine.api import Engine
from desk.store.db import close_database, open_database
from desk.store.models import DELIVERED, IN, Message
from desk.store.settings import Settings
from modem.codec.pdu import decode
from modem.events import ModemState
from tests.helpers import waits
from tests.modem.transcripts.replayer import Replayer, parse, recordings

FAMILIES = {"huawei", "zte", "simcom", "quectel", "sierra", "telit", "ublox", "wavecom", "nokia"}
TEXT = "Your crown is ready to pick up."


def _wait(cond: Callable[[], Any], what: str, rp: Replayer, timeout: float = 45.0) -> Any:
    return waits.wait_until(
        cond,
        timeout,
        f"{rp.recording.name}: {what}",
        detail=lambda: (
            f"stage {rp.stage_name!r}; commands the recording lacks: {rp.unrecorded}; "
            f"last sent: {rp.received[-12:]}"
        ),
    )


def test_the_recordings_cover_eight_families_and_parse() -> None:
    paths = recordings()
    names = {p.stem for p in paths}
    covered = {f for f in FAMILIES if any(n.startswith(f) for n in names)}
    assert len(covered) >= 8, covered
    for path in paths:
        rec = parse(path)
        assert {"device", "to", "from", "reply", "mr", "index", "terse", "asks"} <= set(rec.meta)
        assert [s.name for s in rec.stages] == ["any", "start", "received", "emptied"], path


def test_the_replayer_answers_a_plain_client(tmp_path: Path) -> None:
    import serial

    with Replayer(recordings()[0]) as rp, serial.Serial(rp.device, 115200, timeout=0.2) as port:
        port.write(b"ATE0\r")
        time.sleep(0.3)
        port.read(4096)
        port.write(b"AT+NOSUCH\r")
        time.sleep(0.3)
        assert port.read(256).endswith(b"ERROR\r\n")
        assert rp.unrecorded == ["AT+NOSUCH"]
        port.write(b"AT+CMGS=20\r")
        time.sleep(0.3)
        assert port.read(64).endswith(b"\r\n> ")
        port.write(b"0011000B912120550591F10000AA05C8329BFD06\x1a")
        time.sleep(0.3)
        assert b"+CMGS: " in port.read(256)
        assert rp.pdus == ["0011000B912120550591F10000AA05C8329BFD06"]


@pytest.mark.parametrize("path", recordings(), ids=lambda p: p.stem)
def test_serve_send_report_receive(path: Path, tmp_path: Path) -> None:
    rec = parse(path)
    to, sender, reply = rec.meta["to"], rec.meta["from"], rec.meta["reply"]
    profile = resolve_profile(tmp_path / "profile")
    profile.ensure()
    open_database(profile.db_path)
    Settings().set("rate_per_minute", 60)
    with Replayer(rec) as rp:
        engine = Engine(profile, port=rp.device, mode="test", interval=0.1)
        engine.start()
        try:
            _wait(lambda: engine.modem_status.state == ModemState.READY, "READY", rp, 60)
            mid = engine.send(to, TEXT).result(timeout=30)
            _wait(lambda: rp.pdus, "the PDU at the prompt", rp)
            pdu = decode(rp.pdus[0])
            assert (pdu.number, pdu.text) == (to, TEXT)
            assert pdu.status_report_requested
            _wait(lambda: Message.get_by_id(mid).state == DELIVERED, "the delivery report", rp)
            incoming = _wait(
                lambda: Message.get_or_none((Message.direction == IN) & (Message.body == reply)),
                "the customer's reply",
                rp,
            )
            assert incoming.conversation.contact.number == sender
            index = rec.meta["index"]
            _wait(lambda: f"AT+CMGD={index}" in rp.received, "the SIM slot deleted", rp)
            assert rp.stage_name == "emptied"
            # the terse answers were really met (not skipped by a client that never asked)
            asked = {t.upper() for t in rp.received}
            for command in rec.meta["asks"].split("; "):
                assert command.upper() in asked, f"{rec.name}: {command} never asked"
        finally:
            engine.stop()
            close_database()
