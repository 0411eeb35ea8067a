"""SMS sending and storage on the virtual modem (27.005): PDU and text mode."""

from __future__ import annotations

import pytest

from modem.codec.pdu import decode, encode_submit

NUMBER = "+15551234567"


@pytest.fixture
def at(virtual_modem, at_client):
    client = at_client(virtual_modem)
    client.ok("ATE0;+CMEE=1")
    return client


def send_pdu(at, hex_pdu: str, length: int) -> list[str]:
    assert at.raw(f"AT+CMGS={length}").endswith(b"\r\n> ")
    return at.send_prompt_text(hex_pdu)


def test_prompt_has_no_line_end_after_it(at) -> None:
    raw = at.raw("AT+CMGS=20")
    assert raw == b"\r\n> "
    at.write(b"\x1b")  # ESC cancels
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"


def test_pdu_mode_send_reports_submitted_and_mr_increments(virtual_modem, at) -> None:
    refs = []
    for text in ("first", "second"):
        (part,) = encode_submit(NUMBER, text, request_status_report=False)
        lines = send_pdu(at, part.hex, part.tpdu_length)
        assert lines[-1] == "OK" and lines[0].startswith("+CMGS: ")
        refs.append(int(lines[0].split(": ")[1]))
    assert refs[1] == (refs[0] + 1) % 256
    sub = virtual_modem.submitted()
    assert [(e["to"], e["text"], e["reference"]) for e in sub] == [
        (NUMBER, "first", refs[0]),
        (NUMBER, "second", refs[1]),
    ]


def test_mr_wraps_at_256(virtual_modem, at) -> None:
    virtual_modem.core.tp_mr = 255
    (part,) = encode_submit(NUMBER, "wrap", request_status_report=False)
    assert send_pdu(at, part.hex, part.tpdu_length)[0] == "+CMGS: 255"
    assert send_pdu(at, part.hex, part.tpdu_length)[0] == "+CMGS: 0"


def test_concatenated_parts_carry_part_and_reference(virtual_modem, at) -> None:
    parts = encode_submit(
        NUMBER, "x" * 200 + " ünïcödé ☃", concat_ref=77, request_status_report=False
    )
    assert len(parts) > 1
    for part in parts:
        assert send_pdu(at, part.hex, part.tpdu_length)[-1] == "OK"
    events = virtual_modem.submitted()
    assert [(e["part"], e["parts"], e["concat_ref"]) for e in events] == [
        (i, len(parts), 77) for i in range(1, len(parts) + 1)
    ]
    assert "".join(e["text"] for e in events) == "x" * 200 + " ünïcödé ☃"


def test_wrong_tpdu_length_is_cms_304(virtual_modem, at) -> None:
    (part,) = encode_submit(NUMBER, "length check")
    assert send_pdu(at, part.hex, part.tpdu_length + 1) == ["+CMS ERROR: 304"]
    assert send_pdu(at, part.hex, part.tpdu_length - 1) == ["+CMS ERROR: 304"]
    assert virtual_modem.submitted() == []
    assert send_pdu(at, part.hex, part.tpdu_length)[-1] == "OK"


@pytest.mark.parametrize("junk", ["ZZ", "0011", "00" + "FF" * 20])
def test_malformed_submit_pdus_are_refused(virtual_modem, at, junk: str) -> None:
    length = max(len(junk) // 2 - 1, 7)
    assert send_pdu(at, junk, length) == ["+CMS ERROR: 304"]
    assert at.ok("AT") == []  # the modem is fine afterwards
    assert virtual_modem.submitted() == []


def test_cmgs_length_out_of_range(at) -> None:
    assert at.cmd("AT+CMGS=0") == ["+CMS ERROR: 304"]
    assert at.cmd("AT+CMGS=abc") == ["+CMS ERROR: 304"]


def test_text_mode_send(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1")
    assert at.raw(f'AT+CMGS="{NUMBER}"') == b"\r\n> "
    lines = at.send_prompt_text("Hello in text mode")
    assert lines[0].startswith("+CMGS: ") and lines[-1] == "OK"
    event = virtual_modem.wait_event("submitted")
    assert (event["to"], event["text"]) == (NUMBER, "Hello in text mode")
    assert event["report_requested"] is False  # CSMP first octet 17 after power-on


def test_text_mode_multiline_prompt_and_ucs2(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1")
    at.raw(f'AT+CMGS="{NUMBER}"')
    at.write(b"line one\r")
    at.read_until(b"\r\n> ")
    at.send_prompt_text("line two")
    assert virtual_modem.wait_event("submitted")["text"] == "line one\rline two"
    at.ok('AT+CSCS="UCS2";+CSMP=49,167,0,8')
    to = NUMBER.encode("utf-16-be").hex().upper()
    at.raw(f'AT+CMGS="{to}"')
    lines = at.send_prompt_text("Grüße ☃".encode("utf-16-be").hex().upper())
    assert lines[-1] == "OK"
    event = virtual_modem.wait_event("submitted")
    assert (event["to"], event["text"], event["report_requested"]) == (NUMBER, "Grüße ☃", True)


def test_text_mode_too_long_is_refused(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1")
    at.raw(f'AT+CMGS="{NUMBER}"')
    assert at.send_prompt_text("y" * 161) == ["+CMS ERROR: 305"]
    assert virtual_modem.submitted() == []


def test_escape_cancels_without_sending(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1")
    at.raw(f'AT+CMGS="{NUMBER}"')
    assert at.send_prompt_text("never mind", end=b"\x1b") == ["OK"]
    assert virtual_modem.submitted() == []


def test_cpms_storages_and_capacities(virtual_modem, at) -> None:
    assert at.ok("AT+CPMS=?") == ['+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")']
    assert at.ok("AT+CPMS?") == ['+CPMS: "SM",0,30,"SM",0,30,"SM",0,30']
    assert at.ok('AT+CPMS="ME","ME","ME"') == ["+CPMS: 0,100,0,100,0,100"]
    assert at.ok('AT+CPMS="SR"') == ["+CPMS: 0,20,0,100,0,100"]
    assert at.cmd('AT+CPMS="SM","SR"') == ["+CMS ERROR: 302"]
    assert at.cmd('AT+CPMS="XX"') == ["+CMS ERROR: 302"]


def _fill(vm, texts: list[str]) -> None:
    for text in texts:
        vm.deliver("+15550001234", text)
    for _ in texts:
        vm.wait_event("delivered")


def test_cmgl_pdu_stat_filters_and_marks_read(virtual_modem, at) -> None:
    _fill(virtual_modem, ["one", "two"])
    listing = at.ok("AT+CMGL=0")
    assert [ln.split(",")[:2] for ln in listing[::2]] == [["+CMGL: 1", "0"], ["+CMGL: 2", "0"]]
    assert [decode(p).text for p in listing[1::2]] == ["one", "two"]
    assert at.ok("AT+CMGL=0") == []  # listing marked them read
    assert len(at.ok("AT+CMGL=1")) == 4
    assert len(at.ok("AT+CMGL=4")) == 4
    assert at.ok("AT+CMGL=2") == []
    assert at.cmd("AT+CMGL=9") == ["+CMS ERROR: 302"]
    assert at.cmd('AT+CMGL="ALL"') == ["+CMS ERROR: 302"]  # text-mode argument in PDU mode


def test_cmgl_pdu_length_matches_tpdu(virtual_modem, at) -> None:
    _fill(virtual_modem, ["length"])
    head, pdu = at.ok("AT+CMGL=4")
    length = int(head.rsplit(",", 1)[1])
    smsc_octets = int(pdu[:2], 16)
    assert length == len(pdu) // 2 - 1 - smsc_octets


def test_cmgr_reads_and_marks_read(virtual_modem, at) -> None:
    _fill(virtual_modem, ["read me"])
    head, pdu = at.ok("AT+CMGR=1")
    assert head.startswith("+CMGR: 0,,")
    assert decode(pdu).text == "read me"
    assert at.ok("AT+CMGR=1")[0].startswith("+CMGR: 1,,")
    assert at.cmd("AT+CMGR=2") == ["+CMS ERROR: 321"]  # empty slot
    assert at.cmd("AT+CMGR=31") == ["+CMS ERROR: 321"]  # beyond the SIM's 30


def test_text_mode_reading(virtual_modem, at) -> None:
    _fill(virtual_modem, ["Hello, shop", "Ünïcode ☃"])
    at.ok("AT+CMGF=1")
    listing = at.ok('AT+CMGL="ALL"')
    assert listing[0].startswith('+CMGL: 1,"REC UNREAD","+15550001234",,"')
    assert listing[1] == "Hello, shop"
    assert listing[3] == "Ünïcode ☃".encode("utf-16-be").hex().upper()  # UCS2 body as hex
    head, text = at.ok("AT+CMGR=1")
    assert head.startswith('+CMGR: "REC READ","+15550001234",,"')
    assert text == "Hello, shop"
    at.ok("AT+CSDH=1")
    head, _ = at.ok("AT+CMGR=1")
    assert head.endswith(',145,4,0,0,"+15550000000",145,11')
    assert at.ok("AT+CMGL=?") == ['+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")']


def test_cmgd_index_and_flags(virtual_modem, at) -> None:
    _fill(virtual_modem, ["a", "b", "c", "d"])
    at.ok("AT+CMGR=1")
    at.ok("AT+CMGR=2")
    assert at.ok("AT+CMGD=?") == ["+CMGD: (1,2,3,4),(0-4)"]
    at.ok("AT+CMGD=3")
    assert at.ok("AT+CMGD=?") == ["+CMGD: (1,2,4),(0-4)"]
    at.ok("AT+CMGD=3")  # deleting an empty slot is fine
    at.ok("AT+CMGD=1,1")  # all read ones
    assert at.ok("AT+CMGD=?") == ["+CMGD: (4),(0-4)"]
    at.ok("AT+CMGD=1,4")
    assert at.ok("AT+CMGD=?") == ["+CMGD: (),(0-4)"]
    assert at.cmd("AT+CMGD=99") == ["+CMS ERROR: 321"]
    assert at.cmd("AT+CMGD=1,7") == ["+CMS ERROR: 302"]


def test_cmgw_and_cmss(virtual_modem, at) -> None:
    (part,) = encode_submit(NUMBER, "stored first", request_status_report=False)
    at.raw(f"AT+CMGW={part.tpdu_length}")
    lines = at.send_prompt_text(part.hex)
    assert lines == ["+CMGW: 1", "OK"]
    assert at.ok("AT+CMGL=2")[0] == f"+CMGL: 1,2,,{part.tpdu_length}"
    assert at.ok("AT+CMSS=1")[0].startswith("+CMSS: ")
    assert virtual_modem.wait_event("submitted")["text"] == "stored first"
    assert at.ok("AT+CMGL=3")[0].startswith("+CMGL: 1,3,,")
    at.ok("AT+CMGF=1")
    at.raw(f'AT+CMGW="{NUMBER}"')
    assert at.send_prompt_text("text draft") == ["+CMGW: 2", "OK"]
    at.ok('AT+CMSS=2,"+15559990000"')
    event = virtual_modem.wait_event("submitted")
    assert (event["to"], event["text"]) == ("+15559990000", "text draft")
    assert at.cmd("AT+CMSS=9") == ["+CMS ERROR: 321"]


def test_sms_settings(at) -> None:
    assert at.ok("AT+CSMS?") == ["+CSMS: 0,1,1,1"]
    assert at.ok("AT+CSMS=1") == ["+CSMS: 1,1,1"]
    assert at.cmd("AT+CSMS=3") == ["+CMS ERROR: 303"]
    assert at.ok("AT+CSMP?") == ["+CSMP: 17,167,0,0"]
    at.ok("AT+CSMP=49,167,0,0")
    assert at.ok("AT+CSMP?") == ["+CSMP: 49,167,0,0"]
    assert at.ok("AT+CSDH?") == ["+CSDH: 0"]
    assert at.ok("AT+CMMS=2;+CMMS?") == ["+CMMS: 2"]
    assert at.ok("AT+CSCS?") == ['+CSCS: "IRA"']
    assert at.cmd('AT+CSCS="KOI8"') == ["+CME ERROR: 4"]
