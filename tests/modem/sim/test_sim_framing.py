"""V.250 framing of the virtual modem on its real pty: results, echo, chaining, error modes."""

from __future__ import annotations

import os
import stat

from modem.sim import VirtualModem


def test_device_is_a_real_tty(virtual_modem: VirtualModem) -> None:
    device = virtual_modem.device
    assert device is not None and device.startswith("/dev/pts/")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert virtual_modem.wait_event("ready")["device"] == device


def test_echo_is_on_after_power_on_and_ate0_turns_it_off(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    assert at.raw("AT") == b"AT\r\r\nOK\r\n"
    assert at.raw("ATE0") == b"ATE0\r\r\nOK\r\n"  # the command itself is still echoed
    assert at.raw("AT") == b"\r\nOK\r\n"
    assert at.raw("ATE1") == b"\r\nOK\r\n"
    assert at.raw("AT") == b"AT\r\r\nOK\r\n"


def test_information_response_framing(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.raw("AT+CGMI") == b"\r\nTextDesk\r\n\r\nOK\r\n"
    assert at.raw("AT+CSQ") == b"\r\n+CSQ: 23,99\r\n\r\nOK\r\n"


def test_lower_case_and_unknown_commands(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.ok("at+cgmm") == ["Virtual GSM Modem"]
    assert at.cmd("AT+NOSUCH") == ["ERROR"]
    at.ok("AT+CMEE=2")
    assert at.cmd("AT+NOSUCH") == ["ERROR"]  # unknown stays plain ERROR in every CMEE mode
    assert at.cmd("ATW7") == ["ERROR"]


def test_chained_commands_run_in_order_and_stop_at_the_first_error(virtual_modem, at_client):
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.ok("AT+CMEE=1;+CREG=2;+CREG?") == ['+CREG: 2,1,"00C3","0000A1B2"']
    assert at.cmd("AT+CMGF=1;+BOGUS;+CMGF=0") == ["ERROR"]
    assert at.ok("AT+CMGF?") == ["+CMGF: 1"]  # ran before the error, the rest did not
    assert at.ok("ATE0V1+CGMI;+CGMM") == ["TextDesk", "Virtual GSM Modem"]


def test_test_and_read_forms(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.ok("AT+CMGF=?") == ["+CMGF: (0,1)"]
    assert at.ok("AT+CMGF?") == ["+CMGF: 0"]
    assert at.ok("AT+CNMI=?") == ["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"]
    assert at.ok("AT+CSCS=?") == ['+CSCS: ("GSM","IRA","UCS2","8859-1")']
    assert at.ok("AT+CGMI=?") == []


def test_cmee_modes_numeric_verbose_and_off(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.cmd("AT+CMGR=999") == ["ERROR"]  # CMEE=0 after power-on
    at.ok("AT+CMEE=1")
    assert at.cmd("AT+CMGR=999") == ["+CMS ERROR: 321"]
    assert at.cmd("AT+CPIN=1234") == ["+CME ERROR: 3"]
    at.ok("AT+CMEE=2")
    assert at.cmd("AT+CMGR=999") == ["+CMS ERROR: invalid memory index"]
    assert at.cmd("AT+CPIN=1234") == ["+CME ERROR: operation not allowed"]
    assert at.ok("AT+CMEE?") == ["+CMEE: 2"]
    assert at.cmd("AT+CMEE=7") == ["+CME ERROR: operation not supported"]


def test_numeric_result_codes_with_v0(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    at.write(b"ATV0\r")
    assert at.read_until(b"0\r") == b"0\r"
    at.write(b"AT+BOGUS\r")
    assert at.read_until(b"4\r") == b"4\r"
    at.write(b"AT+CSQ\r")
    assert at.read_until(b"0\r") == b"+CSQ: 23,99\r\n0\r"
    at.write(b"ATV1\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"


def test_quiet_mode_suppresses_results(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    at.write(b"ATQ1\r")
    at.write(b"AT+CGMI\r")
    assert at.read_until(b"TextDesk\r\n") == b"\r\nTextDesk\r\n"
    at.write(b"ATQ0\r")
    at.write(b"AT\r")
    assert at.read_until(b"OK\r\n") == b"\r\nOK\r\n"


def test_atz_and_at_f_restore_defaults(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0;+CMEE=2;+CMGF=1;+CNMI=2,1,0,2,0")
    at.ok("ATZ")
    assert at.cmd("AT+CMGF?") == ["+CMGF: 0", "OK"]
    assert at.cmd("AT+CNMI?") == ["+CNMI: 0,0,0,0,0", "OK"]
    assert at.raw("AT+CMEE?") == b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"
    at.ok("AT+CMGF=1")
    at.ok("AT&F")
    assert at.cmd("AT+CMGF?") == ["+CMGF: 0", "OK"]


def test_a_slash_repeats_the_last_command(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    at.ok("AT+CGMI")
    at.write(b"A/")
    assert at.read_until(b"OK\r\n") == b"\r\nTextDesk\r\n\r\nOK\r\n"


def test_s_registers(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.ok("ATS3?") == ["013"]
    at.ok("ATS0=2")
    assert at.ok("ATS0?") == ["002"]


def test_garbage_from_the_client_is_survived(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    at.write(bytes(range(256)) + b"\xff\xfe\r")  # junk line without a command in it
    at.write(b"\x00\x81garbageAT+CGMI\r")  # junk before a real command
    assert at.read_until(b"OK\r\n").endswith(b"TextDesk\r\n\r\nOK\r\n")
    at.write(b"Z" * 6000 + b"\r")  # a runaway line
    at.read_until(b"ERROR\r\n")
    assert at.ok("AT+CGMM") == ["Virtual GSM Modem"]
    assert not [e for e in virtual_modem.history if e["event"] == "error"]


def test_identity_commands(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0")
    assert at.ok("AT+CGMR") == ["1.0.0"]
    assert at.ok("AT+CGSN") == ["356938035643809"]
    assert at.ok("AT+CIMI") == ["310260000000001"]
    assert at.ok("AT+CCID") == ["+CCID: 89012600000000000017"]
    assert at.ok("AT+CNUM") == ['+CNUM: "","+15550001111",145']
    assert at.ok("ATI") == ["TextDesk", "Virtual GSM Modem", "Revision: 1.0.0"]
    assert "AT+CMGS" in at.ok("AT+CLAC")


def test_client_reopening_the_port_keeps_the_modem(virtual_modem, at_client) -> None:
    first = at_client(virtual_modem)
    first.ok("ATE0")
    first.close()
    second = at_client(virtual_modem)
    assert second.ok("AT+CGMI") == ["TextDesk"]  # same settings: nothing hung up
