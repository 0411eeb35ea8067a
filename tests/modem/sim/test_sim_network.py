"""Network side of the virtual modem: signal, registration URCs, operator, radio, USSD."""

from __future__ import annotations

import pytest


@pytest.fixture
def at(virtual_modem, at_client):
    client = at_client(virtual_modem)
    client.ok("ATE0;+CMEE=1")
    return client


def test_signal_quality_follows_control(virtual_modem, at) -> None:
    assert at.ok("AT+CSQ") == ["+CSQ: 23,99"]
    assert virtual_modem.control({"cmd": "set_signal", "rssi": 7})["ok"]
    assert at.ok("AT+CSQ") == ["+CSQ: 7,99"]
    assert virtual_modem.control({"cmd": "set_signal", "rssi": 40})["ok"] is False
    assert at.ok("AT+CSQ=?") == ["+CSQ: (0-31,99),(0-7,99)"]


def test_creg_modes_and_unsolicited_changes(virtual_modem, at) -> None:
    assert at.ok("AT+CREG?") == ["+CREG: 0,1"]
    at.ok("AT+CREG=1")
    virtual_modem.control({"cmd": "set_registration", "state": "roaming"})
    assert at.read_until_line("+CREG:") == "+CREG: 5"
    assert at.ok("AT+CREG?") == ["+CREG: 1,5"]
    at.ok("AT+CREG=2")
    virtual_modem.control(
        {"cmd": "set_registration", "state": "home", "lac": "1A2B", "ci": "00C0FFEE"}
    )
    assert at.read_until_line("+CREG:") == '+CREG: 1,"1A2B","00C0FFEE"'
    assert at.ok("AT+CREG?") == ['+CREG: 2,1,"1A2B","00C0FFEE"']
    virtual_modem.control({"cmd": "set_registration", "state": "denied"})
    assert at.read_until_line("+CREG:") == "+CREG: 3"
    assert at.cmd("AT+CREG=5") == ["+CME ERROR: 4"]


def test_no_urc_with_creg_zero(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "set_registration", "state": "searching"})
    virtual_modem.wait_event("registration")
    at.write(b"AT+CREG?\r")
    out = at.read_until(b"OK\r\n")
    assert out == b"\r\n+CREG: 0,2\r\n\r\nOK\r\n"  # nothing unsolicited came before it


def test_cgreg_like_creg(virtual_modem, at) -> None:
    at.ok("AT+CGREG=2")
    assert at.ok("AT+CGREG?") == ['+CGREG: 2,1,"00C3","0000A1B2"']
    virtual_modem.control({"cmd": "lose_network"})
    assert at.read_until_line("+CGREG:") == "+CGREG: 2"
    virtual_modem.control({"cmd": "restore_network"})
    assert at.read_until_line("+CGREG:") == '+CGREG: 1,"00C3","0000A1B2"'


def test_cops_read_formats_and_list(virtual_modem, at) -> None:
    assert at.ok("AT+COPS?") == ['+COPS: 0,0,"TextDesk Mobile",2']
    at.ok("AT+COPS=3,2")
    assert at.ok("AT+COPS?") == ['+COPS: 0,2,"31026",2']
    at.ok("AT+COPS=3,1")
    assert at.ok("AT+COPS?") == ['+COPS: 0,1,"TDM",2']
    virtual_modem.control({"cmd": "set_operator", "name": "Acme Tel", "short": "ACME"})
    at.ok("AT+COPS=3,0")
    assert at.ok("AT+COPS?") == ['+COPS: 0,0,"Acme Tel",2']
    (listing,) = at.ok("AT+COPS=?")
    assert listing.startswith('+COPS: (2,"Acme Tel","ACME","31026",2)')
    virtual_modem.control({"cmd": "lose_network", "state": "none"})
    assert at.ok("AT+COPS?") == ["+COPS: 0"]


def test_cops_deregister_and_back(virtual_modem, at) -> None:
    at.ok("AT+COPS=2")
    assert at.ok("AT+CREG?") == ["+CREG: 0,0"]
    at.ok("AT+COPS=0")
    assert at.ok("AT+CREG?") == ["+CREG: 0,1"]


def test_csca_read_and_set(at) -> None:
    assert at.ok("AT+CSCA?") == ['+CSCA: "+15550000000",145']
    at.ok('AT+CSCA="+4479000000"')
    assert at.ok("AT+CSCA?") == ['+CSCA: "+4479000000",145']
    assert at.cmd('AT+CSCA="abc"') == ["+CMS ERROR: 304"]


def test_cfun_flight_mode_deregisters_and_blocks_sending(virtual_modem, at) -> None:
    at.ok("AT+CREG=1")
    assert at.ok("AT+CFUN?") == ["+CFUN: 1"]
    at.ok("AT+CFUN=4")
    assert at.read_until_line("+CREG:") == "+CREG: 0"
    assert at.ok("AT+CSQ") == ["+CSQ: 99,99"]
    assert at.cmd('AT+CMGF=1;+CMGS="+15551234567"')[-1] == "> "
    assert at.send_prompt_text("hi") == ["+CMS ERROR: 331"]
    at.ok("AT+CFUN=1")
    assert at.read_until_line("+CREG:") == "+CREG: 1"
    assert at.cmd("AT+CFUN=9") == ["+CME ERROR: 4"]


def test_cfun_reset_reboots(virtual_modem, at) -> None:
    at.ok("AT+CMGF=1")
    at.ok("AT+CFUN=1,1")
    virtual_modem.wait_event("rebooted")
    at.write(b"AT+CMGF?\r")
    assert at.read_until(b"OK\r\n").endswith(b"+CMGF: 0\r\n\r\nOK\r\n")


def test_ussd_answer_comes_as_urc(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "ussd_text", "text": "Balance: 5.00 EUR"})
    assert at.ok('AT+CUSD=1,"*100#",15') == []
    assert at.read_until_line("+CUSD:") == '+CUSD: 0,"Balance: 5.00 EUR",15'
    assert virtual_modem.wait_event("ussd")["request"] == "*100#"
    assert at.ok("AT+CUSD?") == ["+CUSD: 1"]


def test_ussd_in_ucs2_charset(virtual_modem, at) -> None:
    at.ok('AT+CSCS="UCS2"')
    at.ok('AT+CUSD=1,"002A0031003000300023",15')
    assert virtual_modem.wait_event("ussd")["request"] == "*100#"
    expected = "Your balance is 12.34 USD. Valid until 31/12.".encode("utf-16-be").hex().upper()
    assert at.read_until_line("+CUSD:") == f'+CUSD: 0,"{expected}",72'


def test_ussd_without_network(virtual_modem, at) -> None:
    virtual_modem.control({"cmd": "lose_network"})
    assert at.cmd('AT+CUSD=1,"*100#",15') == ["+CME ERROR: 30"]
