"""The modem log for support (modem.at.trace): what is masked, what stays, rotation, and the
service writing it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from modem.at.trace import AtTrace, mask_sent
from modem.codec.pdu import encode_deliver, encode_submit
from modem.events import ModemState, PartSent, SendJob
from tests.helpers.service_harness import ScriptedHarness, ScriptedPort


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_pins_and_ussd_codes_are_masked_in_commands() -> None:
    assert mask_sent('AT+CPIN="1234"') == 'AT+CPIN="***"'
    assert mask_sent('AT+CPIN="12345678","4321"') == 'AT+CPIN="***","***"'
    assert mask_sent("AT+CPIN=1234") == "AT+CPIN=***"
    assert mask_sent('at+cpin="1234"') == 'at+cpin="***"'
    assert mask_sent('AT+CLCK="SC",0,"1234"') == 'AT+CLCK="SC",0,"***"'
    assert mask_sent('AT+CPWD="SC","1234","5678"') == 'AT+CPWD="***","***","***"'
    assert mask_sent('AT+CUSD=1,"*123*998877665544#",15') == 'AT+CUSD=1,"***",15'
    assert mask_sent("AT+CSQ") == "AT+CSQ"
    assert mask_sent("AT+CMGS=23") == "AT+CMGS=23"


def test_message_bodies_are_masked_and_the_rest_stays(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "modem-trace.log"
    trace = AtTrace(path)
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    deliver = encode_deliver("+15550001111", "my card is 4111 1111 1111 1111", timestamp=when)[0]
    submit = encode_submit("+15550002222", "the secret reply")[0]
    trace.sent(b"AT+CMGR=3\r")
    trace.received("+CMGR: 0,,30")
    trace.received(deliver)
    trace.received("OK")
    trace.sent(b"AT+CMGS=17\r")
    trace.received(">")
    trace.sent_pdu(submit.hex)
    trace.received("+CMGS: 7")
    trace.received('+CUSD: 0,"Balance 12.50 EUR, voucher 5566",15')
    trace.received("^RSSI: 17")
    trace.sent(b'AT+CPIN="9876"\r')
    trace.close()
    text = path.read_text(encoding="utf-8")
    assert deliver not in text and submit.hex not in text
    assert "4111" not in text and "secret" not in text and "9876" not in text
    assert "Balance" not in text and "5566" not in text
    for kept in ("> AT+CMGR=3", "< +CMGR: 0,,30", "< OK", "> AT+CMGS=17", "< +CMGS: 7",
                 "< ^RSSI: 17", '> AT+CPIN="***"', "masked"):  # fmt: skip
        assert kept in text, kept
    assert all(line.split(" ", 1)[0].endswith("Z") for line in _lines(path))  # UTC stamps


def test_full_detail_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "trace.log"
    trace = AtTrace(path, full_detail=True)
    submit = encode_submit("+15550002222", "the secret reply")[0]
    trace.sent(b'AT+CPIN="9876"\r')
    trace.sent_pdu(submit.hex)
    trace.close()
    text = path.read_text(encoding="utf-8")
    assert '"9876"' in text and submit.hex in text


def test_the_trace_rotates_and_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "trace.log"
    trace = AtTrace(path, max_bytes=2000, backups=2)
    for i in range(500):
        trace.sent(f"AT+CSQ;n={i}\r".encode())
    trace.close()
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["trace.log", "trace.log.1", "trace.log.2"]
    assert all(f.stat().st_size <= 2100 for f in files)
    assert "n=499" in path.read_text(encoding="utf-8")


def test_a_given_logger_gets_the_masked_lines() -> None:
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("test.at.trace.given")
    logger.setLevel(logging.INFO)
    logger.addHandler(Keep())
    trace = AtTrace(logger=logger)
    trace.sent(b'AT+CPIN="1111"\r')
    assert len(records) == 1 and '"***"' in records[0] and "1111" not in records[0]


def test_the_service_writes_the_conversation_masked(tmp_path: Path) -> None:
    path = tmp_path / "modem-trace.log"
    port = ScriptedPort({"AT+CPIN?": "+CPIN: SIM PIN\nOK"})

    def unlock(_cmd: str) -> str:
        port.answers["AT+CPIN?"] = "+CPIN: READY\nOK"
        return "OK"

    port.answers['AT+CPIN="4321"'] = unlock
    h = ScriptedHarness(port, pin="4321", trace=path)
    try:
        h.ready()
        h.svc.submit(SendJob("t", "+15550003333", "private words"))
        h.wait_for(PartSent)
    finally:
        h.close()
    assert h.svc.status.state == ModemState.DISCONNECTED
    text = path.read_text(encoding="utf-8")
    assert "4321" not in text and port.pdus[0] not in text
    assert '> AT+CPIN="***"' in text and "< +CMGS: 7" in text and "> AT+CREG?" in text
    assert "connected to socket://scripted.invalid:1" in text
