"""SIM PIN / PUK handling of the virtual modem (27.007 +CPIN, +CLCK, +CPWD)."""

from __future__ import annotations

import pytest

from tests.modem.conftest import wait_for


@pytest.fixture
def locked(make_modem, at_client):
    vm = make_modem(pin="1234")
    at = at_client(vm)
    at.ok("ATE0;+CMEE=1")
    return vm, at


def test_pin_required_after_power_on(locked) -> None:
    _, at = locked
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PIN"]
    assert at.cmd("AT+CIMI") == ["+CME ERROR: 11"]
    assert at.cmd("AT+CMGL=4") == ["+CMS ERROR: 311"]  # 27.005 commands answer +CMS
    assert at.cmd('AT+CUSD=1,"*100#",15') == ["+CME ERROR: 11"]
    assert at.ok("AT+CGMI") == ["TextDesk"]  # no SIM needed
    assert at.ok("AT+CCID") == ["+CCID: 89012600000000000017"]  # readable while locked
    assert at.ok("AT+CMGL=?") == ["+CMGL: (0-4)"]  # test forms work too


def test_correct_pin_unlocks(locked) -> None:
    vm, at = locked
    at.ok('AT+CPIN="1234"')
    assert at.ok("AT+CPIN?") == ["+CPIN: READY"]
    assert at.ok("AT+CIMI") == ["310260000000001"]
    assert vm.wait_event("sim_state")["state"] == "ready"
    assert at.cmd('AT+CPIN="1234"') == ["+CME ERROR: 3"]  # nothing to unlock any more


def test_three_wrong_pins_need_the_puk_then_puk_sets_a_new_pin(locked) -> None:
    vm, at = locked
    assert at.cmd("AT+CPINR") == ["+CPINR: SIM PIN,3,3", "+CPINR: SIM PUK,10,10", "OK"]
    for _ in range(3):
        assert at.cmd('AT+CPIN="0000"') == ["+CME ERROR: 16"]
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PUK"]
    assert at.cmd("AT+CIMI") == ["+CME ERROR: 12"]
    assert at.cmd('AT+CPIN="1234"') == ["+CME ERROR: 12"]  # a PIN alone is not enough now
    assert at.cmd('AT+CPIN="87654321","4321"') == ["+CME ERROR: 16"]
    at.ok('AT+CPIN="12345678","4321"')
    assert at.ok("AT+CPIN?") == ["+CPIN: READY"]
    assert vm.control({"cmd": "status"})["pin_attempts"] == 3
    vm.control({"cmd": "reboot", "seconds": 0.1})
    vm.wait_event("rebooted")
    at.ok("ATE0;+CMEE=1")
    assert at.ok("AT+CPIN?") == ["+CPIN: SIM PIN"]
    at.ok('AT+CPIN="4321"')  # the new PIN


def test_ten_wrong_puks_block_the_sim(make_modem, at_client) -> None:
    vm = make_modem()
    vm.control({"cmd": "set_sim_state", "state": "puk"})
    at = at_client(vm)
    at.ok("ATE0;+CMEE=2")
    for _ in range(10):
        assert at.cmd('AT+CPIN="00000000","1111"') == ["+CME ERROR: incorrect password"]
    assert at.cmd("AT+CPIN?") == ["+CME ERROR: SIM failure"]
    assert at.cmd("AT+CIMI") == ["+CME ERROR: SIM failure"]


def test_clck_query_enable_disable(virtual_modem, at_client) -> None:
    at = at_client(virtual_modem)
    at.ok("ATE0;+CMEE=1")
    assert at.ok('AT+CLCK="SC",2') == ["+CLCK: 0"]
    assert at.cmd('AT+CLCK="SC",1,"9999"') == ["+CME ERROR: 16"]
    at.ok('AT+CLCK="SC",1,"1234"')
    assert at.ok('AT+CLCK="SC",2') == ["+CLCK: 1"]
    at.ok('AT+CPWD="SC","1234","2468"')
    at.ok('AT+CLCK="SC",0,"2468"')
    assert at.ok('AT+CLCK="SC",2') == ["+CLCK: 0"]
    assert at.cmd('AT+CLCK="XX",2') == ["+CME ERROR: 4"]


def test_sim_absent(virtual_modem, at_client) -> None:
    virtual_modem.control({"cmd": "set_sim_state", "state": "absent"})
    at = at_client(virtual_modem)
    at.ok("ATE0;+CMEE=1")
    assert at.cmd("AT+CPIN?") == ["+CME ERROR: 10"]
    assert at.cmd("AT+CCID") == ["+CME ERROR: 10"]
    assert at.cmd("AT+CMGS=20") == ["+CMS ERROR: 310"]


def test_sim_busy_right_after_power_on(make_modem, at_client) -> None:
    vm = make_modem(sim_busy=60.0)
    at = at_client(vm)
    at.ok("ATE0;+CMEE=1")
    assert at.cmd("AT+CPIN?") == ["+CME ERROR: 14"]
    assert at.cmd("AT+CIMI") == ["+CME ERROR: 14"]
    assert at.cmd("AT+CPMS?") == ["+CMS ERROR: 314"]
    assert at.ok("AT+CGMI") == ["TextDesk"]
    vm.core.sim_busy_until = 0  # the SIM finished reading
    assert at.ok("AT+CPIN?") == ["+CPIN: READY"]


def test_sim_busy_ends_by_itself(make_modem, at_client) -> None:
    vm = make_modem(sim_busy=0.5)
    at = at_client(vm)
    at.ok("ATE0;+CMEE=1")
    wait_for(lambda: at.cmd("AT+CPIN?") == ["+CPIN: READY", "OK"], what="SIM ready")


def test_not_registered_until_the_pin_is_entered(locked) -> None:
    vm, at = locked
    at.ok("AT+CREG=1")
    assert at.ok("AT+CREG?") == ["+CREG: 1,0"]
    assert at.ok("AT+COPS?") == ["+COPS: 0"]
    assert at.ok("AT+CSQ") == ["+CSQ: 23,99"]  # the radio still measures
    vm.deliver("+15551112222", "waits in the network")
    at.ok('AT+CPIN="1234"')
    assert at.read_until_line("+CREG:") == "+CREG: 1"
    assert at.ok("AT+CREG?") == ["+CREG: 1,1"]
    assert vm.wait_event("delivered")["via"] == "stored"
