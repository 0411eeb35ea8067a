"""``python -m modem.sim`` end to end: the JSON-lines control channel, via SimProcess and raw."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import serial

from modem.codec.pdu import decode, encode_submit
from modem.sim import SimProcess
from modem.sim.customer import Reassembler, reply_for
from tests.modem.conftest import AtClient

ROOT = Path(__file__).resolve().parents[3]


def test_first_line_is_ready_then_commands_get_replies() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "modem.sim", "--vendor", "quectel"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        first = json.loads(proc.stdout.readline())
        assert first["event"] == "ready" and first["device"].startswith("/dev/pts/")
        proc.stdin.write('{"cmd": "ping", "id": 1}\nnot json\n{"cmd": "status", "id": 2}\n')
        proc.stdin.flush()
        replies = []
        while len(replies) < 3:
            event = json.loads(proc.stdout.readline())
            if event["event"] == "reply":
                replies.append(event)
        assert replies[0] == {"event": "reply", "id": 1, "ok": True}
        assert replies[1]["ok"] is False and "bad command" in replies[1]["error"]
        assert replies[2]["id"] == 2 and replies[2]["vendor"] == "quectel"
        proc.stdin.close()  # EOF: the sim stops
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_simprocess_send_receive_and_faults(tmp_path) -> None:
    link = tmp_path / "modem"
    with SimProcess(link=str(link), report_delay=0.1) as sim:
        assert link.resolve() == Path(sim.device)
        at = AtClient(sim.device)
        try:
            at.ok("ATE0;+CMEE=1;+CNMI=2,1,0,2,0")
            (part,) = encode_submit("+15551234567", "over the JSON channel")
            at.raw(f"AT+CMGS={part.tpdu_length}")
            assert at.send_prompt_text(part.hex)[-1] == "OK"
            event = sim.wait_event("submitted")
            assert (event["to"], event["text"]) == ("+15551234567", "over the JSON channel")
            assert at.read_until_line("+CDSI:") == '+CDSI: "SR",1'
            assert sim.deliver("+15559876543", "hello back")["parts"] == 1
            assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
            assert decode(at.ok("AT+CMGR=1")[1]).text == "hello back"
            assert sim.control({"cmd": "cms_error", "code": 42})["ok"]
            at.raw(f"AT+CMGS={part.tpdu_length}")
            assert at.send_prompt_text(part.hex) == ["+CMS ERROR: 42"]
            assert sim.control({"cmd": "bogus"})["ok"] is False
        finally:
            at.close()
        old = sim.device
        assert sim.control({"cmd": "unplug"})["device"] == old
        new = sim.control({"cmd": "replug"})["device"]
        assert sim.wait_event("replugged")["device"] == new == sim.device != old
        with serial.Serial(new, 115200, timeout=5) as port:
            port.write(b"AT\r")
            assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
    assert sim.proc is not None and sim.proc.returncode == 0
    assert not link.is_symlink()


def test_trace_events_show_the_conversation() -> None:
    with SimProcess(trace=True) as sim:
        at = AtClient(sim.device)
        try:
            at.ok("ATE0")
            at.ok("AT+CSQ")
        finally:
            at.close()
        assert sim.wait_event("rx", predicate=lambda e: e["data"] == "AT+CSQ")
        assert sim.wait_event("response", predicate=lambda e: e.get("lines") == ["+CSQ: 23,99"])


def test_customer_mode_answers_like_a_person() -> None:
    with SimProcess(customer=True, customer_delay=0.1) as sim:
        at = AtClient(sim.device)
        try:
            at.ok("ATE0;+CMGF=1;+CNMI=2,1,0,0,0")
            at.raw('AT+CMGS="+15551230000"')
            at.send_prompt_text("Your appointment is Tue 10:00. Reply C to confirm")
            assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
            head, body = at.ok("AT+CMGR=1")
            assert '"+15551230000"' in head and body == "C"
        finally:
            at.close()


def test_customer_replies_and_reassembly() -> None:
    assert reply_for("Hi! Your appointment is booked for Friday") == "Thanks! See you then"
    assert reply_for("Please reply C to confirm your booking") == "C"
    assert reply_for("We changed our opening hours") == "What time do you close on Saturday?"
    assert reply_for("STOP") is None
    assert reply_for("hello") == "Thanks for letting me know."
    parts = Reassembler()
    assert parts.add({"to": "+1", "text": "a", "part": 1, "parts": 2, "concat_ref": 5}) is None
    assert parts.add({"to": "+1", "text": "b", "part": 2, "parts": 2, "concat_ref": 5}) == "ab"
    assert parts.add({"to": "+1", "text": "single"}) == "single"
