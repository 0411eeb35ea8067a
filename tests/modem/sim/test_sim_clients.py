"""Independent AT clients against the virtual modem on its real pty.

1. A hand-written pyserial script: nothing from our codebase on the client side; the PDU is the
   textbook example (to +46708251358, "hellohello") and checks use known octets.
2. python-gsmmodem-new's own ``GsmModem``: connect, send (with delivery report), receive via +CMTI,
   signal, operator, USSD, stored SMS. It was written against real modems, so it passing is the
   best evidence that the simulator follows 27.007 / 27.005 and not just our own code.
"""

from __future__ import annotations

import threading
import time

import pytest
import serial
from gsmmodem.modem import GsmModem, SentSms

from tests.helpers import waits

TEXTBOOK_SUBMIT = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"  # 23 octets after "00"
HELLOHELLO_UD = "E8329BFD4697D9EC37"


def chat(port: serial.Serial, command: bytes, final: tuple[bytes, ...] = (b"OK", b"ERROR")):
    """Write a command, read lines until a final result; returns the lines read."""
    port.write(command)
    lines: list[bytes] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = port.readline()
        if not line:
            continue
        line = line.strip()
        if line:
            lines.append(line)
        if line in final or line.startswith((b"+CMS ERROR", b"+CME ERROR")):
            return lines
    raise AssertionError(f"no final result for {command!r}: {lines!r}")


def read_prompt(port: serial.Serial) -> None:
    got = b""
    deadline = time.monotonic() + 10
    while not got.endswith(b"> "):
        assert time.monotonic() < deadline, got
        got += port.read(1)


def test_hand_written_pyserial_script_pdu_and_text_mode(virtual_modem) -> None:
    with serial.Serial(virtual_modem.device, 115200, timeout=0.2) as port:
        assert chat(port, b"ATE0\r")[-1] == b"OK"
        assert chat(port, b"AT+CMEE=1\r") == [b"OK"]
        assert chat(port, b"AT+CPIN?\r") == [b"+CPIN: READY", b"OK"]
        assert chat(port, b"AT+CMGF=0\r") == [b"OK"]
        assert chat(port, b"AT+CNMI=2,1,0,0,0\r") == [b"OK"]

        # send the textbook PDU
        port.write(b"AT+CMGS=23\r")
        read_prompt(port)
        lines = chat(port, TEXTBOOK_SUBMIT.encode() + b"\x1a")
        assert lines[0].startswith(b"+CMGS: ") and lines[-1] == b"OK"
        event = virtual_modem.wait_event("submitted")
        assert (event["to"], event["text"]) == ("+46708251358", "hellohello")

        # receive one: +CMTI, then read it in PDU mode and check the known octets
        virtual_modem.deliver("+46708251358", "hellohello")
        deadline = time.monotonic() + 10
        line = b""
        while not line.startswith(b"+CMTI:"):
            assert time.monotonic() < deadline
            line = port.readline().strip()
        assert line == b'+CMTI: "SM",1'
        head, pdu, ok = chat(port, b"AT+CMGR=1\r")
        assert head.startswith(b"+CMGR: 0,,") and ok == b"OK"
        assert b"0B916407281553F8" in pdu and pdu.endswith(HELLOHELLO_UD.encode())
        assert int(head.rsplit(b",", 1)[1]) == len(pdu) // 2 - 1 - int(pdu[:2], 16)

        # text mode: send and read back
        assert chat(port, b"AT+CMGF=1\r") == [b"OK"]
        port.write(b'AT+CMGS="+46708251358"\r')
        read_prompt(port)
        lines = chat(port, b"See you at 3pm\x1a")
        assert lines[0].startswith(b"+CMGS: ")
        assert virtual_modem.wait_event("submitted")["text"] == "See you at 3pm"
        head, body, ok = chat(port, b"AT+CMGR=1\r")
        assert head.startswith(b'+CMGR: "REC READ","+46708251358",,"') and body == b"hellohello"
        listing = chat(port, b'AT+CMGL="ALL"\r')
        assert listing[0].startswith(b'+CMGL: 1,"REC READ","+46708251358"')
        assert chat(port, b"AT+CMGD=1\r") == [b"OK"]
        assert chat(port, b'AT+CMGL="ALL"\r') == [b"OK"]


@pytest.fixture
def gsm(virtual_modem):
    received: list = []
    reports: list = []
    modem = GsmModem(
        virtual_modem.device,
        115200,
        smsReceivedCallbackFunc=received.append,
        smsStatusReportCallback=reports.append,
    )
    modem.connect()
    modem.received, modem.reports = received, reports
    yield modem
    modem.close()


def _wait(predicate, timeout: float = 10.0):
    waits.wait_until(predicate, timeout)


def test_gsmmodem_connects_and_reads_identity_and_network(gsm) -> None:
    assert gsm.manufacturer == "TextDesk"
    assert gsm.model == "Virtual GSM Modem"
    assert gsm.imei == "356938035643809"
    assert gsm.imsi == "310260000000001"
    assert gsm.signalStrength == 23
    assert gsm.networkName == "TextDesk Mobile"
    assert gsm.smsc == "+15550000000"
    assert gsm.waitForNetworkCoverage(timeout=5) == 23


def test_gsmmodem_sends_with_delivery_report(gsm, virtual_modem) -> None:
    sms = gsm.sendSms(
        "+15551234567", "Your order is ready", waitForDeliveryReport=True, deliveryTimeout=15
    )
    assert sms.status == SentSms.DELIVERED
    event = virtual_modem.wait_event("submitted")
    assert (event["to"], event["text"], event["reference"]) == (
        "+15551234567",
        "Your order is ready",
        sms.reference,
    )
    assert sms.report is not None and sms.report.reference == sms.reference


def test_gsmmodem_sends_a_long_unicode_message(gsm, virtual_modem) -> None:
    text = "Grüße aus dem Laden ☃ " * 8
    gsm.sendSms("+15551234567", text)
    events = virtual_modem.submitted()
    assert len(events) > 1 and events[-1]["parts"] == len(events)
    assert "".join(e["text"] for e in events) == text


def test_gsmmodem_receives_via_cmti(gsm, virtual_modem) -> None:
    virtual_modem.deliver("+15559876543", "Is my phone fixed?")
    _wait(lambda: gsm.received)
    sms = gsm.received[0]
    assert (sms.number, sms.text) == ("+15559876543", "Is my phone fixed?")
    assert virtual_modem.control({"cmd": "status"})["storage"]["ME"]["used"] == 0  # it deleted it


def test_gsmmodem_stored_messages_and_ussd(gsm, virtual_modem) -> None:
    virtual_modem.control({"cmd": "fill_storage", "memory": "ME", "leave": 97})
    stored = gsm.listStoredSms()
    assert len(stored) == 3 and stored[0].text == "Old message kept on the SIM"
    gsm.deleteMultipleStoredSms()
    assert gsm.listStoredSms() == []
    virtual_modem.control({"cmd": "ussd_text", "text": "Balance 9.99"})
    ussd = gsm.sendUssd("*100#")
    assert ussd.message == "Balance 9.99"


def test_gsmmodem_text_mode(virtual_modem) -> None:
    received: list = []
    modem = GsmModem(virtual_modem.device, 115200, smsReceivedCallbackFunc=received.append)
    modem.smsTextMode = True
    modem.connect()
    try:
        modem.sendSms("+15551234567", "Text mode hello")
        assert virtual_modem.wait_event("submitted")["text"] == "Text mode hello"
        virtual_modem.deliver("+15559876543", "Text mode reply")
        _wait(lambda: received)
        assert (received[0].number, received[0].text) == ("+15559876543", "Text mode reply")
    finally:
        modem.close()


def test_gsmmodem_with_a_sim_pin(make_modem) -> None:
    vm = make_modem(pin="4321")
    modem = GsmModem(vm.device, 115200)
    modem.connect(pin="4321")
    try:
        assert modem.imsi == "310260000000001"
    finally:
        modem.close()


@pytest.mark.parametrize("vendor", ["huawei", "zte", "simcom", "quectel"])
def test_gsmmodem_connects_to_vendor_profiles(make_modem, vendor: str) -> None:
    vm = make_modem(vendor=vendor, sim_busy=0)
    received: list = []
    modem = GsmModem(vm.device, 115200, smsReceivedCallbackFunc=received.append)
    done = threading.Event()
    modem.connect()
    try:
        vm.deliver("+15559876543", f"hello {vendor}")
        _wait(lambda: received)
        assert received[0].text == f"hello {vendor}"
        modem.sendSms("+15551234567", "reply")
        assert vm.wait_event("submitted")["text"] == "reply"
        done.set()
    finally:
        modem.close()
    assert done.is_set()


@pytest.mark.slow
def test_gsmmodem_copes_with_wavecom_cpin_without_ok(make_modem) -> None:
    """The library's own workaround (15 s timeout, then it uses the +CPIN line) kicks in."""
    vm = make_modem(vendor="wavecom", sim_busy=0)
    received: list = []
    modem = GsmModem(vm.device, 115200, smsReceivedCallbackFunc=received.append)
    modem.connect()
    try:
        vm.deliver("+15559876543", "hello wavecom")
        _wait(lambda: received)
        assert received[0].text == "hello wavecom"
    finally:
        modem.close()
