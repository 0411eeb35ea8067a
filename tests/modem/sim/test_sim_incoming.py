"""Incoming SMS and status reports on the virtual modem, routed by +CNMI (27.005 3.4.1)."""

from __future__ import annotations

import pytest

from modem.codec.pdu import decode, encode_submit
from tests.modem.conftest import wait_for

SENDER = "+15557654321"


@pytest.fixture
def at(virtual_modem, at_client):
    client = at_client(virtual_modem)
    client.ok("ATE0;+CMEE=1")
    return client


def test_mt0_stores_silently(virtual_modem, at) -> None:
    virtual_modem.deliver(SENDER, "quiet one")
    event = virtual_modem.wait_event("delivered")
    assert (event["via"], event["memory"], event["index"]) == ("stored", "SM", 1)
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"  # no +CMTI came first
    assert decode(at.ok("AT+CMGR=1")[1]).text == "quiet one"


def test_mt1_store_and_notify_with_cmti(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,0,0")
    virtual_modem.deliver(SENDER, "hello")
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
    at.ok('AT+CPMS="ME","ME","ME"')
    virtual_modem.deliver(SENDER, "to the phone memory")
    assert at.read_until_line("+CMTI:") == '+CMTI: "ME",1'


def test_long_and_unicode_messages_arrive_as_concatenated_parts(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,0,0")
    text = "Ünïcode " * 30
    reply = virtual_modem.deliver(SENDER, text, concat_ref=9)
    assert reply["parts"] == 4
    indexes = [at.read_until_line("+CMTI:") for _ in range(4)]
    assert indexes == [f'+CMTI: "SM",{i}' for i in range(1, 5)]
    pdus = [decode(line) for line in at.ok("AT+CMGL=4")[1::2]]
    assert [(p.concat.sequence, p.concat.total, p.concat.reference) for p in pdus] == [
        (i, 4, 9) for i in range(1, 5)
    ]
    assert "".join(p.text for p in pdus) == text


def test_mt2_direct_delivery_pdu_mode(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,2,0,0,0")
    virtual_modem.deliver(SENDER, "direct")
    head = at.read_until_line("+CMT:")
    pdu_line = at.read_until_line("0")
    length = int(head.split(",")[1])
    assert head == f"+CMT: ,{length}"
    assert length == len(pdu_line) // 2 - 1 - int(pdu_line[:2], 16)
    assert decode(pdu_line).text == "direct"
    assert virtual_modem.control({"cmd": "status"})["storage"]["SM"]["used"] == 0


def test_mt2_direct_delivery_text_mode(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1;+CNMI=2,2,0,0,0")
    virtual_modem.deliver(SENDER, "text direct")
    head = at.read_until_line("+CMT:")
    assert head.startswith(f'+CMT: "{SENDER}",,"')
    assert at.read_until_line("text") == "text direct"


def test_cnma_acknowledges_with_csms_1(virtual_modem, at) -> None:
    at.ok("AT+CSMS=1;+CNMI=2,2,0,0,0")
    assert at.cmd("AT+CNMA") == ["+CMS ERROR: 340"]  # nothing to acknowledge yet
    virtual_modem.deliver(SENDER, "first")
    virtual_modem.deliver(SENDER, "second")
    at.read_until_line("+CMT:")
    assert decode(at.read_until_line("0")).text == "first"
    at.ok("AT+CNMA")
    assert virtual_modem.wait_event("acked")
    at.read_until_line("+CMT:")  # the next one only after the ack
    assert decode(at.read_until_line("0")).text == "second"
    at.ok("AT+CNMA=0")


def test_missing_cnma_turns_routing_off_and_the_network_redelivers(make_modem, at_client) -> None:
    vm = make_modem(cnma_timeout=0.3, redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,1,0")
    vm.deliver(SENDER, "please ack me")
    at.read_until_line("+CMT:")
    at.read_until_line("0")  # the PDU line
    vm.wait_event("cnma_timeout")
    stored = vm.wait_event("delivered", predicate=lambda e: e["via"] == "stored")
    assert stored["index"] == 1  # mt was reset to 0: stored silently, found by a sweep
    assert at.ok("AT+CNMI?") == ["+CNMI: 2,0,0,0,0"]
    assert decode(at.ok("AT+CMGL=4")[1]).text == "please ack me"


def test_negative_ack_redelivers(make_modem, at_client) -> None:
    vm = make_modem(redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,0,0")
    vm.deliver(SENDER, "again")
    at.read_until_line("+CMT:")
    at.ok("AT+CNMA=2")
    vm.wait_event("nacked")
    at.read_until_line("+CMT:")
    assert decode(at.read_until_line("0")).text == "again"


def test_malformed_pdu_is_stored_and_forwarded_as_given(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,0,0")
    virtual_modem.control({"cmd": "deliver_pdu", "pdu": "0791DEADBEEF"})
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'
    # the SMSC length octet claims more than there is: <length> falls back to all octets
    assert at.ok("AT+CMGR=1") == ["+CMGR: 0,,6", "0791DEADBEEF"]
    at.ok("AT+CNMI=2,2,0,0,0")
    virtual_modem.control({"cmd": "deliver_pdu", "pdu": "04XYZ!", "smsc": False})
    assert at.read_until_line("+CMT:") == "+CMT: ,4"  # not hex: half its characters
    assert at.read_until_line("00") == "0004XYZ!"
    virtual_modem.deliver(SENDER, "still fine")
    at.read_until_line("+CMT:")
    assert decode(at.read_until_line("0")).text == "still fine"


def test_text_mode_listing_survives_a_malformed_pdu(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "deliver_pdu", "pdu": "00FFFF"})
    virtual_modem.deliver(SENDER, "good one")
    wait_for(lambda: virtual_modem.control({"cmd": "status"})["storage"]["SM"]["used"] == 2)
    at.ok("AT+CMGF=1")
    listing = at.ok('AT+CMGL="ALL"')
    assert listing[0] == '+CMGL: 1,"REC UNREAD","",,""'
    assert listing[-1] == "good one"


def test_cnmi_mode_0_buffers_until_mode_2(virtual_modem, at) -> None:
    at.ok("AT+CNMI=0,1,0,0,0")
    virtual_modem.deliver(SENDER, "buffered")
    virtual_modem.wait_event("delivered")
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    at.ok("AT+CNMI=2,1,0,0,0")
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",1'


def test_zte_like_ordering_is_not_required_by_generic(at) -> None:
    at.ok("AT+CNMI=2,1,0,2,0")  # no +CPMS first: fine on a standard modem
    assert at.ok("AT+CNMI?") == ["+CNMI: 2,1,0,2,0"]
    assert at.cmd("AT+CNMI=5") == ["+CMS ERROR: 303"]


def _send(at, text: str, report: bool = True) -> int:
    (part,) = encode_submit("+15551234567", text, request_status_report=report)
    at.raw(f"AT+CMGS={part.tpdu_length}")
    lines = at.send_prompt_text(part.hex)
    assert lines[-1] == "OK", lines
    return int(lines[0].split(": ")[1])


def test_status_report_direct_as_cds(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,1,0")
    mr = _send(at, "report me")
    head = at.read_until_line("+CDS:")
    pdu_hex = at.read_until_line("0")
    assert head == f"+CDS: {len(pdu_hex) // 2 - 1 - int(pdu_hex[:2], 16)}"
    pdu = decode(pdu_hex)
    assert (pdu.kind, pdu.reference, pdu.number, pdu.status) == (
        "status-report",
        mr,
        "+15551234567",
        0,
    )
    assert virtual_modem.wait_event("report")["via"] == "cds"


def test_status_report_stored_in_sr_with_cdsi(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,2,0")
    mr = _send(at, "report to SR")
    assert at.read_until_line("+CDSI:") == '+CDSI: "SR",1'
    at.ok('AT+CPMS="SR"')
    _, pdu = at.ok("AT+CMGR=1")
    assert decode(pdu).reference == mr
    at.ok("AT+CMGF=1")
    (line,) = at.ok("AT+CMGR=1")
    assert line.startswith(f'+CMGR: "REC READ",6,{mr},"+15551234567",145,"')
    assert line.endswith(",0")


def test_status_report_text_mode_cds(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1;+CSMP=49,167,0,0;+CNMI=2,1,0,1,0")
    at.raw('AT+CMGS="+15551234567"')
    mr = int(at.send_prompt_text("text report")[0].split(": ")[1])
    line = at.read_until_line("+CDS:")
    assert line.startswith(f'+CDS: 6,{mr},"+15551234567",145,"')


def test_no_report_without_srr_and_ds_0_drops(virtual_modem, at) -> None:
    at.ok("AT+CNMI=2,1,0,0,0")
    _send(at, "no report asked", report=False)
    _send(at, "report asked")
    event = virtual_modem.wait_event("report")
    assert event["via"] == "dropped"
    assert len([e for e in virtual_modem.history if e["event"] == "report"]) == 1


def test_report_delay_is_configurable(make_modem, at_client) -> None:
    vm = make_modem(report_delay=30.0)
    at = at_client(vm)
    at.ok("ATE0;+CNMI=2,1,0,2,0")
    _send(at, "slow report")
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    assert not [e for e in vm.history if e["event"] == "report"]


def test_storage_full_network_retries_until_space(make_modem, at_client) -> None:
    vm = make_modem(redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CNMI=2,1,0,0,0")
    assert vm.control({"cmd": "fill_storage", "memory": "SM"})["used"] == 30
    vm.deliver(SENDER, "waiting in the network")
    assert vm.wait_event("rejected")["reason"] == "storage full"
    at.ok("AT+CMGD=5")
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",5'
    assert decode(at.ok("AT+CMGR=5")[1]).text == "waiting in the network"
