"""Modems that answer their own way (issue 10): each terse answer against a scripted modem.

Only positive evidence changes what the service believes: a bare OK, an ERROR to an optional
query, a garbage line, blank lines, another case or spacing and vendor URCs at any time are
"unknown", never "restarted" and never "no network". Each test runs the real ModemService
thread over a ScriptedPort given through its ``opener``.
"""

from __future__ import annotations

import time

from modem.events import ModemState, PartSent, SendFailed, SendJob
from tests.helpers.service_harness import ScriptedHarness, ScriptedPort

VENDOR_URCS = ("^RSSI: 17", "^BOOT:20952991,0,0,0,77", "^MODE: 5,4", '+ZPASR: "UMTS"', "RDY",
               "+CFUN: 1", "SMS Ready")  # fmt: skip


def _run(port: ScriptedPort, **kw: float) -> ScriptedHarness:
    return ScriptedHarness(port, **{"poll_interval": 0.2, **kw})


def _stays_up(h: ScriptedHarness, seconds: float = 1.5) -> None:
    """Over several polls: no reconnect, no re-initialisation, still READY."""
    mark = h.mark()
    polls = h.port.commands.count("AT+CSQ")
    time.sleep(seconds)
    assert h.port.commands.count("AT+CSQ") >= polls + 3, "the service did not keep polling"
    later = [s for s in h.states()[len(h.states()) - (h.mark() - mark) :]]
    assert ModemState.DISCONNECTED not in later and ModemState.CONNECTING not in later
    assert h.opened == 1 and h.port.commands.count("ATE0") == 1
    assert h.svc.status.state == ModemState.READY


def _sends(h: ScriptedHarness) -> None:
    h.svc.submit(SendJob("j", "+15550001111", "hello"))
    assert h.wait_for(PartSent)[0].job_id == "j"
    assert len(h.port.pdus) == 1


def test_cnmi_query_with_a_bare_ok_is_not_a_restart() -> None:
    h = _run(ScriptedPort({"AT+CNMI?": "OK"})).ready()
    try:
        _stays_up(h)
        _sends(h)
    finally:
        h.close()


def test_creg_with_a_bare_ok_is_unknown_and_sends() -> None:
    h = _run(ScriptedPort({"AT+CREG?": "OK", "AT+CEREG?": "OK"})).ready()
    try:
        assert h.svc.status.registration == "unknown"
        assert h.svc.status.last_error is None
        _sends(h)
        _stays_up(h)
    finally:
        h.close()


def test_unknown_registration_then_no_service_answer_holds_in_plain_words_then_retries() -> None:
    port = ScriptedPort({"AT+CREG?": "OK"}, cmgs_answer="+CMS ERROR: 331")
    h = _run(port, poll_interval=0.5).ready()
    try:
        h.svc.submit(SendJob("j", "+15550001111", "hello"))
        failed = h.wait_for(SendFailed)[0]
        assert failed.retryable and not failed.uncertain and failed.code == 331
        h.wait_until(lambda: h.svc.status.state == ModemState.NO_NETWORK, 5, "held")
        words = h.svc.status.last_error or ""
        assert "network" in words.lower() and "wait" in words
        # registration still unknown: the next poll lets a send try again
        h.wait_until(lambda: h.svc.status.state == ModemState.READY, 5, "READY again")
    finally:
        h.close()


def test_positive_not_registered_stays_no_network_until_the_modem_says_otherwise() -> None:
    port = ScriptedPort({"AT+CREG?": "+CREG: 2,2\nOK"})
    h = _run(port)
    try:
        h.wait_until(lambda: h.svc.status.state == ModemState.NO_NETWORK, 10, "NO_NETWORK")
        assert "searching" in (h.svc.status.last_error or "")
        port.answers["AT+CREG?"] = "OK"  # unknown is no evidence: still not registered
        time.sleep(0.8)
        assert h.svc.status.state == ModemState.NO_NETWORK
        port.answers["AT+CREG?"] = "+CREG: 2,5\nOK"
        h.ready(5)
        assert h.svc.status.registration == "roaming"
    finally:
        h.close()


def test_error_to_every_optional_query_still_reaches_ready_and_sends() -> None:
    optional = ["AT+CMEE=1", "AT+CGMI", "AT+CGMM", "AT+CGSN", "AT+CIMI", "AT+CCID", "AT+CSQ",
                "AT+CPMS?", "AT+CPMS=?", "AT+CNMI?", "AT+COPS?", "AT+COPS=3,0", "AT+CREG=2",
                "AT+CREG?", "AT+CMMS=0", "AT+CPIN?"]  # fmt: skip
    h = _run(ScriptedPort(dict.fromkeys(optional, "ERROR"))).ready()
    try:
        assert h.svc.status.registration == "unknown"
        _sends(h)
        _stays_up(h)
    finally:
        h.close()


def test_garbage_lines_as_answers_are_unknown() -> None:
    junk = "\u00ff\u00fe@@#!"
    answers = {q: f"{junk}\nOK" for q in ("AT+CNMI?", "AT+CREG?", "AT+CSQ", "AT+CPIN?")}
    h = _run(ScriptedPort(answers)).ready()
    try:
        _stays_up(h)
        _sends(h)
    finally:
        h.close()


def test_extra_blank_lines_and_other_case_and_spacing() -> None:
    answers = {
        "AT+CREG?": "\n\n+creg : 2 , 1\n\nok",
        "AT+CSQ": "+csq:  18,99\n\nOK",
        "AT+CNMI?": lambda _c: "+cnmi : 2,1,0,2,0\n\nok",
        "AT+CPIN?": "+cpin: ready\nok",
    }
    h = _run(ScriptedPort(answers)).ready()
    try:
        assert h.svc.status.registration == "home"
        assert h.svc.status.signal == 18
        _stays_up(h)
        _sends(h)
    finally:
        h.close()


def test_vendor_urcs_at_any_time_are_not_a_restart() -> None:
    port = ScriptedPort()
    for cmd in ("AT+CSQ", "AT+CREG?", "AT+CNMI?"):
        base = port.answers[cmd]
        port.answers[cmd] = lambda c, base=base: (
            "\n".join(VENDOR_URCS) + "\n" + (base(c) if callable(base) else str(base))
        )
    h = _run(port).ready()
    try:
        for line in VENDOR_URCS:
            port.urc(line)
        _stays_up(h, 2.0)
        _sends(h)
    finally:
        h.close()


def test_cnmi_with_other_values_is_a_restart_and_sets_it_up_again() -> None:
    port = ScriptedPort()
    h = _run(port).ready()
    try:
        mark = h.mark()
        port.cnmi = "0,0,0,0,0"  # what a modem says after losing our setting
        h.wait_state(ModemState.DISCONNECTED, after=mark, timeout=10)
        h.wait_state(ModemState.READY, after=mark, timeout=10)
        assert port.cnmi.split(",")[:2] == ["2", "1"]
        assert port.commands.count("ATE0") == 2
    finally:
        h.close()


def test_echo_back_on_is_a_restart() -> None:
    port = ScriptedPort()
    h = _run(port).ready()
    try:
        mark = h.mark()
        port.echo = True
        h.wait_state(ModemState.DISCONNECTED, after=mark, timeout=10)
        port.echo = False
        h.wait_state(ModemState.READY, after=mark, timeout=10)
    finally:
        h.close()


def test_a_modem_that_never_turns_echo_off_is_not_restarting() -> None:
    h = _run(ScriptedPort(echo=True)).ready()
    try:
        _stays_up(h)
        _sends(h)
    finally:
        h.close()


def test_boot_line_with_the_pin_asked_again_is_a_restart() -> None:
    port = ScriptedPort()
    h = ScriptedHarness(port, poll_interval=30.0, pin="1234").ready()
    try:
        mark = h.mark()
        port.answers["AT+CPIN?"] = "+CPIN: SIM PIN\nOK"

        def unlock(_cmd: str) -> str:
            port.answers["AT+CPIN?"] = "+CPIN: READY\nOK"
            return "OK"

        port.answers['AT+CPIN="1234"'] = unlock
        port.urc("RDY")
        h.wait_state(ModemState.DISCONNECTED, after=mark, timeout=10)
        h.wait_state(ModemState.READY, after=mark, timeout=10)
        assert 'AT+CPIN="1234"' in port.commands
    finally:
        h.close()


def test_boot_line_with_settings_intact_changes_nothing() -> None:
    port = ScriptedPort()
    h = ScriptedHarness(port, poll_interval=30.0).ready()
    try:
        before = len(port.commands)
        port.urc("RDY")
        h.wait_until(lambda: "AT" in port.commands[before:], 5, "the service looked")
        time.sleep(0.3)
        assert port.commands.count("ATE0") == 1
        assert h.svc.status.state == ModemState.READY
    finally:
        h.close()


def test_a_restart_loop_says_what_the_modem_answered_and_backs_off() -> None:
    # the modem takes AT+CNMI= but keeps reporting other values: a real loop
    port = ScriptedPort({"AT+CNMI?": "+CNMI: 0,0,0,0,0\nOK"})
    h = ScriptedHarness(port, poll_interval=0.05, backoff_initial=0.2, backoff_max=0.4)
    try:
        h.wait_until(lambda: h.svc.status.repeats >= 3, 30, "3 repeats")
        st = h.svc.status
        assert st.modem_answer and "+CNMI: 0,0,0,0,0" in st.modem_answer
        assert st.expected and "+CNMI: 2,1,0,2,0" in st.expected
        words = h.svc.status.last_error or ""
        h.wait_until(lambda: "times in 2 minutes" in (h.svc.status.last_error or ""), 10, "words")
        words = h.svc.status.last_error or ""
        assert "AT+CNMI?" in words and "expected" in words
        # the backoff grows: the gaps between re-initialisations get longer
        starts: list[float] = []
        seen = port.commands.count("ATE0")
        deadline = time.monotonic() + 20
        while len(starts) < 3 and time.monotonic() < deadline:
            if port.commands.count("ATE0") > seen:
                seen = port.commands.count("ATE0")
                starts.append(time.monotonic())
            time.sleep(0.01)
        assert len(starts) == 3
        assert starts[2] - starts[1] > (starts[1] - starts[0]) * 1.3
    finally:
        h.close()


def test_cpin_bare_ok_goes_on_and_a_pin_request_from_the_modem_is_believed() -> None:
    port = ScriptedPort({"AT+CPIN?": "OK", "AT+CMGF=0": "+CME ERROR: 11"})
    h = _run(port)
    try:
        h.wait_until(lambda: h.svc.status.state == ModemState.PIN_NEEDED, 10, "PIN_NEEDED")
        assert h.svc.status.pin_kind == "SIM PIN"
        port.answers["AT+CMGF=0"] = "OK"
        h.ready(10)
        _sends(h)
    finally:
        h.close()
