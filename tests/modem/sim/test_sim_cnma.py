"""The virtual modem under AT+CSMS=1 (27.005 §3.4.4, +CNMA) as a real network and ME behave:
a +CMT and a +CDS each wait for the terminal's +CNMA, nothing else is routed to the terminal
meanwhile, and what is not acknowledged (AT+CNMA=2, or no answer in time) is kept by the network
and delivered again: a message stored or routed, a report routed once +CNMI takes reports again.
"""

from __future__ import annotations

import time

from modem.codec.pdu import decode, encode_submit

SENDER = "+15557654321"
TO = "+15551234567"


def _send(at, text: str) -> int:
    (part,) = encode_submit(TO, text, request_status_report=True)
    at.raw(f"AT+CMGS={part.tpdu_length}")
    lines = at.send_prompt_text(part.hex)
    assert lines[-1] == "OK", lines
    return int(lines[0].split(": ")[1])


def _report(at) -> int:
    at.read_until_line("+CDS:")
    reference = decode(at.read_until_line("0")).reference
    assert reference is not None
    return reference


def test_a_cds_waits_for_its_cnma_and_holds_the_next_cmt(make_modem, at_client) -> None:
    vm = make_modem(report_delay=0.05)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,1,0")
    mr = _send(at, "report me")
    assert _report(at) == mr
    assert vm.control({"cmd": "status"})["awaiting_ack"]
    vm.deliver(SENDER, "held behind the report")
    assert not [e for e in vm.history if e.get("event") == "delivered"]  # not before the +CNMA
    at.ok("AT+CNMA")
    assert vm.wait_event("acked")["via"] == "cds"
    at.read_until_line("+CMT:")
    assert decode(at.read_until_line("0")).text == "held behind the report"


def test_a_report_is_held_while_a_cmt_waits(make_modem, at_client) -> None:
    vm = make_modem(report_delay=0.05)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,1,0")
    vm.deliver(SENDER, "first the text")
    at.read_until_line("+CMT:")
    at.read_until_line("0")
    mr = _send(at, "its report waits")
    vm.wait_event("submitted")
    time.sleep(0.3)  # the report is due 0.05 s after the submit: it waits in the network
    assert not [e for e in vm.history if e.get("event") == "report"]  # not before the +CNMA
    at.ok("AT+CNMA")
    assert vm.wait_event("acked")["via"] == "cmt"
    assert _report(at) == mr


def test_a_refused_cds_is_delivered_again(make_modem, at_client) -> None:
    vm = make_modem(report_delay=0.05, redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,1,0")
    mr = _send(at, "refuse its report")
    assert _report(at) == mr
    at.ok("AT+CNMA=2")
    assert vm.wait_event("nacked")["via"] == "cds"
    assert _report(at) == mr  # the same report again
    at.ok("AT+CNMA")


def test_an_unanswered_cds_turns_routing_off_and_comes_again_once_reports_are_routed(
    make_modem, at_client
) -> None:
    vm = make_modem(report_delay=0.05, cnma_timeout=0.3, redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CSMS=1;+CNMI=2,2,0,1,0")
    mr = _send(at, "nobody answers its report")
    at.read_until_line("+CDS:")
    first = at.read_until_line("0")
    assert vm.wait_event("cnma_timeout")["via"] == "cds"
    assert at.ok("AT+CNMI?") == ["+CNMI: 2,0,0,0,0"]
    vm.deliver(SENDER, "meanwhile stored")
    vm.wait_event("delivered", predicate=lambda e: e["via"] == "stored")
    reports = [e for e in vm.history if e.get("event") == "report"]
    assert len(reports) == 1  # kept by the network: not dropped, not routed to <ds> 0
    at.ok("AT+CNMI=2,2,0,1,0")  # a terminal sets routing again
    assert _report(at) == mr
    assert vm.wait_event("report", predicate=lambda e: e.get("again"))["pdu"] == first


def test_without_csms_1_nothing_waits(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0;+CMEE=1;+CSMS=0;+CNMI=2,2,0,1,0")
    _send(at, "phase 2: the modem acknowledges itself")
    _report(at)
    assert not virtual_modem.control({"cmd": "status"})["awaiting_ack"]
    assert at.cmd("AT+CNMA") == ["+CMS ERROR: 340"]


def test_a_report_that_finds_sr_full_is_kept_and_stored_once_there_is_room(
    make_modem, at_client
) -> None:
    vm = make_modem(report_delay=0.02, redeliver_delay=0.2)
    at = at_client(vm)
    at.ok("ATE0;+CMEE=1;+CNMI=2,1,0,2,0")
    vm.control({"cmd": "fill_storage", "memory": "SR"})
    mr = _send(at, "its report finds SR full")
    vm.wait_event("rejected", predicate=lambda e: e["memory"] == "SR")
    at.ok('AT+CPMS="SR"')
    at.ok("AT+CMGD=1")
    assert at.read_until_line("+CDSI:") == '+CDSI: "SR",1'
    assert decode(at.ok("AT+CMGR=1")[1]).reference == mr
