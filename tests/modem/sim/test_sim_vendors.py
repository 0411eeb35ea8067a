"""Vendor profiles of the virtual modem: each quirk as a client meets it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from modem.sim import VENDORS, get_vendor


def _booted(make_modem, at_client, vendor: str, **kwargs):
    """A modem of ``vendor`` whose power-on happens while the client already listens. The URC
    some profiles put inside answers is switched off: these tests look at the other quirks (the
    URC inside answers has its own test)."""
    vm = make_modem(vendor=vendor, **kwargs)
    vm.core.profile = replace(vm.core.profile, answer_urc=None)
    at = at_client(vm)
    vm.control({"cmd": "reboot", "seconds": 0.05})
    vm.wait_event("rebooted")
    return vm, at


def test_every_vendor_answers_its_identity(make_modem, at_client) -> None:
    for name, profile in VENDORS.items():
        vm = make_modem(vendor=name, sim_busy=0)
        at = at_client(vm)
        at.ok("ATE0")
        # a profile with an answer_urc may slip "+CIEV: 2,3" or "^RSSI: n" in before the answer
        assert at.ok("AT+CGMI")[-1:] == [profile.manufacturer], name
        assert at.ok("AT+CGMM")[-1:] == [profile.model], name
        vm.stop()


def test_unknown_vendor_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="known: generic"):
        get_vendor("motorola")


def test_sim_busy_after_power_on_for_real_vendors(make_modem, at_client) -> None:
    _vm, at = _booted(make_modem, at_client, "huawei", sim_busy=60)
    at.ok("ATE0;+CMEE=1")
    assert at.cmd("AT+CPIN?") == ["+CME ERROR: 14"]
    assert get_vendor("simcom").sim_busy > 0 and get_vendor("generic").sim_busy == 0


def test_huawei_quirks(make_modem, at_client) -> None:
    vm, at = _booted(make_modem, at_client, "huawei", sim_busy=0)
    assert at.read_until_line("^MODE:") == "^MODE: 5,4"
    at.ok("ATE0;+CMEE=1")
    assert at.cmd("AT+CGREG=2") == ["ERROR"]  # refused, although 27.007 has it
    at.ok("AT+CGREG=1")
    assert at.cmd("AT+CCID") == ["ERROR"]
    assert at.ok("AT^ICCID?") == ["^ICCID: 89012600000000000017"]
    at.ok("AT+CNMI=2,1,0,0,0")
    vm.deliver("+15551112222", "index from zero")
    assert at.read_until_line("+CMTI:") == '+CMTI: "SM",0'
    vm.control({"cmd": "set_signal", "rssi": 12})
    assert at.read_until_line("^RSSI:") == "^RSSI: 12"
    vm.control({"cmd": "set_registration", "state": "searching"})
    assert at.read_until_line("^MODE:") == "^MODE: 0,0"
    assert at.read_until_line("^BOOT:", timeout=15).startswith("^BOOT:")
    assert "AT^USSDMODE" in at.ok("AT+CLAC")


def test_huawei_ussd_packed_unless_ussdmode_0(make_modem, at_client) -> None:
    vm, at = _booted(make_modem, at_client, "huawei", sim_busy=0, ussd_text="Hi")
    at.ok("ATE0")
    at.ok('AT+CUSD=1,"AA180C3602",15')  # "*100#" as packed GSM 7-bit
    assert vm.wait_event("ussd")["request"] == "*100#"
    assert at.read_until_line("+CUSD:") == '+CUSD: 0,"C834",15'
    at.ok("AT^USSDMODE=0")
    at.ok('AT+CUSD=1,"*100#",15')
    assert at.read_until_line("+CUSD:") == '+CUSD: 0,"Hi",15'


def test_huawei_and_zte_answer_sms_while_locked_with_cme(make_modem, at_client) -> None:
    for vendor in ("huawei", "zte"):
        vm = make_modem(vendor=vendor, pin="1234", sim_busy=0)
        at = at_client(vm)
        at.ok("ATE0;+CMEE=1")
        assert at.cmd("AT+CMGL=4") == ["+CME ERROR: 11"], vendor


def test_zte_needs_cpms_before_cnmi(make_modem, at_client) -> None:
    vm, at = _booted(make_modem, at_client, "zte", sim_busy=0)
    assert at.read_until_line("+ZUSIMR:") == "+ZUSIMR:2"
    at.ok("ATE0;+CMEE=1")
    assert at.cmd("AT+CNMI=2,1,0,2,0") == ["+CMS ERROR: 302"]
    at.ok('AT+CPMS="SM","SM","SM"')
    at.ok("AT+CNMI=2,1,0,2,0")
    assert at.ok("AT+ZPAS?") == ['+ZPAS: "UMTS","CS_PS"']
    vm.control({"cmd": "lose_network", "state": "none"})
    assert at.read_until_line("+ZPASR:") == '+ZPASR: "No Service"'


def test_simcom_boot_urcs_empty_cmgr_and_bare_ccid(make_modem, at_client) -> None:
    _vm, at = _booted(make_modem, at_client, "simcom")
    for line in ("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready"):
        assert at.read_until_line(line) == line
    at.ok("ATE0;+CMEE=1")
    assert at.ok("AT+CMGR=3") == []  # empty slot: just OK
    assert at.ok("AT+CCID") == ["89012600000000000017"]


def test_simcom_reports_cpin_ready_after_pin(make_modem, at_client) -> None:
    vm = make_modem(vendor="simcom", pin="1234", sim_busy=0)
    at = at_client(vm)
    at.ok("ATE0")
    at.ok('AT+CPIN="1234"')
    assert at.read_until_line("+CPIN:") == "+CPIN: READY"
    assert at.read_until_line("SMS Ready") == "SMS Ready"


def test_quectel_boot_urcs_and_qccid(make_modem, at_client) -> None:
    _vm, at = _booted(make_modem, at_client, "quectel", pin="0000")
    assert at.read_until_line("RDY") == "RDY"
    assert at.read_until_line("+CPIN:") == "+CPIN: SIM PIN"
    assert at.read_until_line("+QIND:") == "+QIND: SMS DONE"
    at.ok("ATE0")
    assert at.ok("AT+QCCID") == ["+QCCID: 89012600000000000017"]


def test_wavecom_cpin_without_ok_and_no_clac(make_modem, at_client) -> None:
    _vm, at = _booted(make_modem, at_client, "wavecom", sim_busy=0)
    assert at.read_until_line("+WIND: 4") == "+WIND: 4"
    at.ok("ATE0")
    at.write(b"AT+CPIN?\r")
    assert at.read_until(b"READY\r\n") == b"\r\n+CPIN: READY\r\n"
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"  # the next answer: no stray OK before it
    assert at.cmd("AT+CLAC") == ["ERROR"]
    assert at.ok("AT+WIND?") == ["+WIND: 63"]


def test_generic_has_no_vendor_commands(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    for command in ("AT^ICCID?", "AT+ZPAS?", "AT+WIND?", "AT^USSDMODE=0", "AT+QCCID"):
        assert at.cmd(command) == ["ERROR"], command


# --- the terse answers ------------------------------------------------------------------------


def test_every_real_family_has_a_profile_with_terse_answers() -> None:
    families = {"huawei", "zte", "simcom", "sim7600", "quectel", "sierra", "telit", "ublox"}
    families |= {"wavecom", "phone"}
    assert families <= set(VENDORS)
    for name in families:
        p = get_vendor(name)
        terse = [p.bare_reads, p.refused, p.blank_lines, p.chatter, p.answer_urc, p.rewrites]
        terse += [p.needs_first, p.boot_urcs, p.cpms_before_cnmi]
        assert sum(bool(t) for t in terse) >= 2, name


def test_bare_ok_to_a_read_still_applies_the_setting(make_modem, at_client) -> None:
    vm = make_modem(vendor="zte", sim_busy=0)
    at = at_client(vm)
    at.ok("ATE0;+CMEE=1")
    at.ok("AT+CREG=2")
    assert at.ok("AT+CREG?") == []  # bare OK: no +CREG: line
    at.ok('AT+CPMS="SM","SM","SM"')
    at.ok("AT+CNMI=2,1,0,0,0")
    vm.control({"cmd": "set_registration", "state": "roaming"})
    assert at.read_until_line("+CREG:").startswith("+CREG: 5")  # the mode was set all right


def test_command_that_needs_another_first(make_modem, at_client) -> None:
    for vendor in ("simcom", "telit", "sim7600"):
        vm = make_modem(vendor=vendor, sim_busy=0)
        at = at_client(vm)
        at.ok("ATE0")
        assert at.cmd("AT+CNMI=2,1,0,0,0") == ["ERROR"], vendor
        at.ok("AT+CMGF=0")
        at.ok("AT+CNMI=2,1,0,0,0")
        vm.stop()


def test_blank_lines_and_rewritten_spacing(make_modem, at_client) -> None:
    vm = make_modem(vendor="sierra", sim_busy=0)
    at = at_client(vm)
    at.ok("ATE0")
    vm.control({"cmd": "set_signal", "rssi": 20})
    assert at.raw("AT+CSQ") == b"\r\n\r\n+CSQ: 20, 99\r\n\r\n\r\nOK\r\n"
    phone = make_modem(vendor="phone", sim_busy=0)
    pa = at_client(phone)
    pa.ok("ATE0")
    phone.control({"cmd": "set_signal", "rssi": 20})
    assert pa.ok("AT+CSQ") == ["+CSQ:20,99"]
    assert pa.ok("AT+CNMI?") == [] and pa.ok("AT+CREG?") == []
    assert pa.cmd("AT+CSMS=1") == ["ERROR"] and pa.cmd("AT+CLAC") == ["ERROR"]


def test_urcs_at_any_time_and_inside_answers(make_modem, at_client) -> None:
    vm = make_modem(vendor="ublox", sim_busy=0)
    at = at_client(vm)
    at.ok("ATE0")
    answers = [at.cmd("AT") for _ in range(3)]
    assert ["+CIEV: 2,3", "OK"] in answers  # every third answer carries the URC
    huawei = make_modem(vendor="huawei", sim_busy=0)
    ha = at_client(huawei)
    ha.ok("ATE0")
    assert any(line.startswith("^RSSI: ") for _ in range(4) for line in ha.cmd("AT"))
    zte = make_modem(vendor="zte", sim_busy=0)
    za = at_client(zte)
    assert za.read_until_line("+ZPASR:", timeout=10) == '+ZPASR: "UMTS"'
