"""Terse and odd answers at the AT layer: normalising case and spacing, registration URCs vs
late query answers, boot lines queued (not raised), and the init queries' "unknown" over a
scripted port (modem.at.channel.AtChannel on tests.helpers.service_harness.ScriptedPort)."""

from __future__ import annotations

import pytest

from modem.at import urc
from modem.at.channel import AtChannel
from modem.at.lines import LineBuffer, normalise
from modem.service import init_ops
from tests.helpers.service_harness import ScriptedPort


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("+creg : 0,1", "+CREG: 0,1"),
        ("+CSQ:18,99", "+CSQ: 18,99"),
        ("ok", "OK"),
        ("Error", "ERROR"),
        ("+cms error:500", "+CMS ERROR: 500"),
        ("+CME  ERROR : 14", "+CME ERROR: 14"),
        ("^rssi:17", "^RSSI: 17"),
        ("0791448720003023240DD0E474D81C0EBB010000111011315214000BE474D81C0EBB5DE3771B", None),
        ("SMS Ready", None),
        ("huawei", None),
    ],
)
def test_normalise(raw: str, canonical: str | None) -> None:
    assert normalise(raw) == (canonical or raw)


def test_line_buffer_normalises_and_drops_blank_lines() -> None:
    buf = LineBuffer()
    buf.feed(b"\r\n\r\n\r\n+cnmi : 2,1,0,2,0\r\n\r\n\r\nok\r\n")
    assert [buf.next_line(), buf.next_line(), buf.next_line()] == ["+CNMI: 2,1,0,2,0", "OK", None]


def test_registration_urc_and_a_late_query_answer_give_the_stat() -> None:
    assert urc.parse(["+CREG: 1"]) == urc.Registration("+CREG: 1", 1)
    assert urc.parse(['+CREG: 5,"1A2B","00C3D4E5",7']).stat == 5  # type: ignore[attr-defined]
    assert urc.parse(['+CREG: 2,1,"1A2B","00C3D4E5"']).stat == 1  # type: ignore[attr-defined]
    assert urc.parse(["+CEREG: 2,3"]).stat == 3  # type: ignore[attr-defined]


def _channel(answers: dict[str, str]) -> tuple[ScriptedPort, AtChannel]:
    port = ScriptedPort(answers)  # type: ignore[arg-type]
    return port, AtChannel(port)


@pytest.mark.parametrize("answer", ["OK", "ERROR", "+CNMI: ???\nOK", "RDY\nOK", "\n\nOK"])
def test_cnmi_query_without_a_readable_line_is_unknown(answer: str) -> None:
    _, ch = _channel({"AT+CNMI?": answer})
    assert init_ops.cnmi_values(ch, 1.0) is None


def test_cnmi_query_in_other_case_and_spacing_is_read() -> None:
    _, ch = _channel({"AT+CNMI?": "+cnmi : 2, 1, 0, 2, 0\nok"})
    assert init_ops.cnmi_values(ch, 1.0) == ["2", "1", "0", "2", "0"]


@pytest.mark.parametrize("answer", ["OK", "ERROR", "+CREG: garbage\nOK", "+CREG: 2,4\nOK"])
def test_registration_without_evidence_is_unknown(answer: str) -> None:
    _, ch = _channel({"AT+CREG?": answer, "AT+CEREG?": "OK"})
    stat = init_ops.registration(ch, 1.0)
    assert stat in (None, 4)


def test_registration_falls_back_to_cereg() -> None:
    _, ch = _channel({"AT+CREG?": "OK", "AT+CEREG?": "+CEREG: 0,1\nOK"})
    assert init_ops.registration(ch, 1.0) == 1


@pytest.mark.parametrize("answer", ["OK", "ERROR", "+CPIN: \u00ff\u00fe\nOK"])
def test_pin_state_without_a_readable_answer_is_unknown_and_goes_on(answer: str) -> None:
    _, ch = _channel({"AT+CPIN?": answer})
    state = init_ops.pin_state(ch, 1.0)
    assert state.ready and state.unknown


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("+CPIN: SIM PIN\nOK", "SIM PIN"),
        ("+cpin: sim puk\nok", "SIM PUK"),
        ("+CME ERROR: 11", "SIM PIN"),
    ],
)
def test_pin_state_believes_a_real_pin_request(answer: str, kind: str) -> None:
    _, ch = _channel({"AT+CPIN?": answer})
    state = init_ops.pin_state(ch, 1.0)
    assert not state.ready and state.kind == kind


def test_not_ready_is_sim_busy() -> None:
    _, ch = _channel({"AT+CPIN?": "+CPIN: NOT READY\nOK"})
    with pytest.raises(init_ops.SimBusy):
        init_ops.pin_state(ch, 1.0)


def test_vendor_urcs_inside_an_answer_are_queued_and_the_answer_kept() -> None:
    lines = "^RSSI: 17\n^BOOT:1,0,0,0,77\nRDY\n+CFUN: 1\nSMS Ready\n+CSQ: 20,99\nOK"
    _, ch = _channel({"AT+CSQ": lines})
    assert init_ops.signal(ch, 1.0) == 20
    kinds = [type(u) for u in ch.urcs]
    assert kinds == [urc.Signal, urc.Other, urc.Boot, urc.Boot, urc.Other]


def test_echo_off_is_only_known_after_an_answer_without_echo() -> None:
    port, ch = _channel({})
    port.echo = True
    ch.command("AT", 1.0)
    assert ch.echo_seen and not ch.echo_off  # a modem that keeps echoing: never "back on"
    port.echo = False
    ch.echo_seen = False
    ch.command("AT", 1.0)
    assert ch.echo_off and not ch.echo_seen
    assert ch.last_command == "AT" and ch.last_lines == ["OK"]
