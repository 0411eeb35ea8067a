"""Every fault the virtual modem can be told to show, seen from a plain AT client."""

from __future__ import annotations

import os
import time

import pytest
import serial

from modem.codec.pdu import encode_submit
from modem.sim.registry import REGISTRY, Spec
from tests.modem.conftest import wait_for

SENDER = "+15557654321"


@pytest.fixture
def at(virtual_modem, at_client):
    client = at_client(virtual_modem)
    client.ok("ATE0;+CMEE=1")
    return client


def _send(at, text: str = "hi", report: bool = False) -> list[str]:
    (part,) = encode_submit("+15551234567", text, request_status_report=report)
    at.raw(f"AT+CMGS={part.tpdu_length}")
    return at.send_prompt_text(part.hex)


def _nothing_within(at, seconds: float) -> bytes:
    """What arrives in ``seconds`` (used only where the fault guarantees silence much longer)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        at._fill()
    out, at.buf = at.buf, b""
    return out


def test_slow_answers_after_the_delay_then_normal(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "slow", "seconds": 0.8, "count": 1})
    start = time.monotonic()
    assert at.ok("AT+CGMI") == ["TextDesk"]
    assert time.monotonic() - start >= 0.8  # lower bound only: load can only add to it
    assert virtual_modem.core.faults.slow_seconds == 0  # used up


def test_cms_error_for_the_next_sends(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "cms_error", "code": 38, "count": 2})
    assert _send(at) == ["+CMS ERROR: 38"]
    assert _send(at) == ["+CMS ERROR: 38"]
    assert _send(at)[-1] == "OK"
    assert len(virtual_modem.submitted()) == 1
    assert len([e for e in virtual_modem.history if e["event"] == "send_failed"]) == 2


def test_garbage_on_the_line(virtual_modem, at) -> None:
    reply = virtual_modem.control({"cmd": "garbage", "length": 40})
    junk = bytes.fromhex(reply["data"])
    assert any(b >= 0x80 for b in junk)
    assert at.read_until(junk) == junk
    assert at.ok("AT") == []


def test_garbage_in_the_middle_of_a_reply(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "garbage", "data": "FFFE00C3", "in_reply": True})
    raw = at.raw("AT+CGMI")
    assert b"\xff\xfe\x00\xc3" in raw[1:-1]
    assert raw.replace(b"\xff\xfe\x00\xc3", b"") == b"\r\nTextDesk\r\n\r\nOK\r\n"
    assert at.raw("AT+CGMI") == b"\r\nTextDesk\r\n\r\nOK\r\n"


def test_urc_burst_writes_all_cmti_lines_at_once(make_modem, at_client) -> None:
    vm = make_modem(trace=True)
    at = at_client(vm)
    at.ok("ATE0;+CNMI=2,1,0,0,0")
    vm.control({"cmd": "urc_burst", "count": 6})
    lines = [at.read_until_line("+CMTI:") for _ in range(6)]
    assert lines == [f'+CMTI: "SM",{i}' for i in range(1, 7)]
    burst = [e for e in vm.history if e["event"] == "tx" and "+CMTI" in e["data"]]
    assert len(burst) == 1 and burst[0]["data"].count("+CMTI") == 6


def test_split_write_splits_the_next_urc(make_modem, at_client) -> None:
    vm = make_modem(trace=True)
    at = at_client(vm)
    at.ok("ATE0;+CNMI=2,1,0,0,0")
    vm.control({"cmd": "split_write", "pause": 0.2})
    vm.deliver(SENDER, "split")
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
    vm.wait_event("split_written")
    halves = [e["data"] for e in vm.history if e["event"] == "tx"][-2:]
    assert "".join(halves) == '\r\n+CMTI: "SM",1\r\n'
    assert all(h and not h.endswith('"SM",1\r\n') for h in halves[:1])  # cut mid-line


def test_fill_storage_leaving_room(virtual_modem, at) -> None:
    reply = virtual_modem.control({"cmd": "fill_storage", "memory": "ME", "leave": 2})
    assert reply["used"] == 98
    at.ok('AT+CPMS="ME","ME","ME"')
    assert at.ok("AT+CPMS?") == ['+CPMS: "ME",98,100,"ME",98,100,"ME",98,100']


def test_lose_and_restore_network(virtual_modem, at) -> None:
    at.ok("AT+CREG=1;+CNMI=2,1,0,0,0")
    virtual_modem.control({"cmd": "lose_network"})
    assert at.read_until_line("+CREG:") == "+CREG: 2"
    assert _send(at) == ["+CMS ERROR: 331"]
    virtual_modem.deliver(SENDER, "held by the network")
    assert virtual_modem.control({"cmd": "status"})["network_queue"] == 1
    virtual_modem.control({"cmd": "restore_network"})
    assert at.read_until_line("+CREG:") == "+CREG: 1"
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
    assert _send(at)[-1] == "OK"


def test_reboot_goes_silent_then_needs_init_again(make_modem, at_client) -> None:
    vm = make_modem(pin="1234")
    at = at_client(vm)
    at.ok('ATE0;+CMEE=1;+CPIN="1234"')
    at.ok("AT+CMGF=1;+CNMI=2,1,0,2,0")
    vm.control({"cmd": "reboot", "seconds": 30})
    at.write(b"AT\r")
    assert _nothing_within(at, 0.5) == b""  # rebooting: no echo, no answer
    vm.core.power_on()  # come back now instead of in 30 s
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"AT\r\r\nOK\r\n"  # echo is on again
    at.ok("ATE0;+CMEE=1")
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PIN"]
    at.ok('AT+CPIN="1234"')
    assert at.ok("AT+CMGF?;+CNMI?") == ["+CMGF: 0", "+CNMI: 0,0,0,0,0"]


def test_reboot_with_pin_again_and_messages_meanwhile(make_modem, at_client) -> None:
    vm = make_modem()
    at = at_client(vm)
    vm.control({"cmd": "reboot", "seconds": 0.3, "pin_again": True})
    vm.deliver(SENDER, "sent while the modem rebooted")
    vm.wait_event("rebooted")
    at.ok("ATE0;+CMEE=1")
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PIN"]
    at.ok('AT+CPIN="1234"')
    event = vm.wait_event("delivered")
    assert event["via"] == "stored"  # CNMI was reset: stored without notice, for a sweep


def test_hang_until_told(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "hang"})
    at.write(b"AT\r")
    assert _nothing_within(at, 0.5) == b""
    virtual_modem.control({"cmd": "unhang"})
    assert at.ok("AT") == []


def test_unplug_gives_io_errors_and_removes_device_and_link(make_modem, tmp_path) -> None:
    link = tmp_path / "ttyUSB-sim"
    vm = make_modem(link=str(link))
    device = vm.device
    assert os.readlink(link) == device
    port = serial.Serial(device, 115200, timeout=0.2)
    vm.control({"cmd": "unplug"})
    assert vm.wait_event("unplugged")["device"] == device
    with pytest.raises(serial.SerialException):
        for _ in range(50):
            port.write(b"AT\r")
            port.read(10)
    port.close()
    assert not os.path.exists(device)
    assert not link.exists() and not link.is_symlink()
    reply = vm.control({"cmd": "replug"})
    assert reply["device"] != device and reply["exists"]
    assert vm.wait_event("replugged")["device"] == reply["device"] == vm.device
    assert os.readlink(link) == reply["device"]
    with serial.Serial(str(link), 115200, timeout=5) as again:
        again.write(b"AT\r")
        assert again.read_until(b"OK\r\n").endswith(b"OK\r\n")


def test_late_reply_lands_when_the_next_command_is_sent(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "late_reply", "seconds": 60})
    at.write(b"AT+CGMI\r")
    assert _nothing_within(at, 0.5) == b""  # the client would time out here
    at.write(b"AT+CGMM\r")
    assert at.read_until(b"OK\r\n") == b"\r\nTextDesk\r\n\r\nOK\r\n"  # the old answer first
    assert at.read_until(b"OK\r\n") == b"\r\nVirtual GSM Modem\r\n\r\nOK\r\n"


def test_late_reply_comes_by_itself_eventually(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "late_reply", "seconds": 0.3})
    assert at.ok("AT+CGMI", timeout=10) == ["TextDesk"]
    virtual_modem.wait_event("late_reply_sent")


def test_delivery_report_failure_status(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,2,0")
    virtual_modem.control({"cmd": "deliver_report", "mode": "fail", "status": 0x41, "count": 1})
    _send(at, "will fail", report=True)
    assert virtual_modem.wait_event("report")["status"] == 0x41
    _send(at, "will arrive", report=True)
    assert virtual_modem.wait_event("report")["status"] == 0


def test_delivery_report_delayed_and_dropped(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,2,0")
    virtual_modem.control({"cmd": "deliver_report", "mode": "drop", "count": 1})
    _send(at, "lost report", report=True)
    assert virtual_modem.wait_event("report")["via"] == "lost"
    virtual_modem.control({"cmd": "deliver_report", "mode": "delay", "delay": 60})
    _send(at, "late report", report=True)
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    assert [e["via"] for e in virtual_modem.history if e["event"] == "report"] == ["lost"]


def test_handler_crash_answers_error_and_the_modem_lives(virtual_modem, at) -> None:
    def boom(m, c):
        raise RuntimeError("bug in a handler")

    REGISTRY["+BOOM"] = Spec(boom)
    try:
        assert at.cmd("AT+BOOM") == ["ERROR"]
    finally:
        del REGISTRY["+BOOM"]
    assert virtual_modem.wait_event("error")["error"].startswith("RuntimeError")
    assert at.ok("AT+CGMI") == ["TextDesk"]


def test_client_vanishing_mid_command(virtual_modem, at_client) -> None:
    first = at_client(virtual_modem)
    first.write(b"AT+CMGL=4\r")
    first.close()
    second = at_client(virtual_modem)
    wait_for(lambda: second.cmd("AT") in (["OK"], ["AT", "OK"]), what="modem answers again")


def test_bad_control_commands_are_refused_not_fatal(virtual_modem, at) -> None:
    assert virtual_modem.control({"cmd": "nope"})["ok"] is False
    assert virtual_modem.control({"cmd": "deliver"})["ok"] is False
    assert virtual_modem.control({"cmd": "set_registration", "state": "mars"})["ok"] is False
    assert virtual_modem.control({"cmd": "deliver", "from": "+1555", "text": "ok"})["ok"]
    assert at.ok("AT") == []


def test_baud_pacing_slows_the_line(make_modem, at_client) -> None:
    vm = make_modem(baud=9600)  # 960 bytes/s
    at = at_client(vm)
    at.ok("ATE0")
    start = time.monotonic()
    lines = at.ok("AT+CLAC")  # about 600 bytes
    size = sum(len(x) + 2 for x in lines)
    assert time.monotonic() - start >= size / 960 * 0.9  # lower bound only


def test_cmgs_delay_imitates_the_network(make_modem, at_client) -> None:
    vm = make_modem(cmgs_delay=0.6)
    at = at_client(vm)
    at.ok("ATE0")
    start = time.monotonic()
    assert _send(at)[-1] == "OK"
    assert time.monotonic() - start >= 0.6  # lower bound only
    assert at.ok("AT+CGMI") == ["TextDesk"]


def test_set_pin_takes_effect_at_the_next_power_on(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "set_pin", "pin": "2580"})
    assert at.ok("AT+CPIN?") == ["+CPIN: READY"]  # this power-on was unlocked already
    virtual_modem.control({"cmd": "reboot", "seconds": 0.05})
    virtual_modem.wait_event("rebooted")
    at.ok("ATE0;+CMEE=1")
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PIN"]
    assert at.cmd('AT+CPIN="1234"') == ["+CME ERROR: 16"]
    at.ok('AT+CPIN="2580"')


def test_a_client_that_never_reads_does_not_stall_the_modem(virtual_modem) -> None:
    for _ in range(40):  # far more than the pty buffer holds, nobody reading
        virtual_modem.control({"cmd": "garbage", "length": 4096})
    assert virtual_modem.control({"cmd": "status"})["power"] == "on"
    with serial.Serial(virtual_modem.device, 115200, timeout=0.1) as port:
        port.reset_input_buffer()
        while port.read(65536):
            pass
        port.write(b"ATE0\r")
        assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
