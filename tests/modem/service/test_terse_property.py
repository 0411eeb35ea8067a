"""Property (issue 10): whatever a modem answers to its optional queries (a bare OK, ERROR, a
garbage line, an unexpected URC in between), the service reaches READY or a state it explains
in plain words, and a send is attempted whenever the modem is registered or does not say.

Each example runs the real ModemService thread over a ScriptedPort (its ``opener``).
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modem.events import ModemState, PartSent, SendJob
from tests.helpers.service_harness import Answer, ScriptedHarness, ScriptedPort

OPTIONAL = ("AT+CMEE=1", "AT+CGMI", "AT+CGMM", "AT+CGSN", "AT+CIMI", "AT+CCID", "AT+CPIN?",
            'AT+CPMS="SM","SM","SM"', "AT+CPMS=?", "AT+CPMS?", "AT+CREG=2", "AT+COPS=3,0",
            "AT+CMMS=0", "AT+CNMI?", "AT+CSQ", "AT+CREG?", "AT+CEREG?", "AT+COPS?",
            "AT+CMGL=4")  # fmt: skip
URCS = ("^RSSI: 12", "^BOOT:20952991,0,0,0,77", "^MODE: 5,4", '+ZPASR: "UMTS"', "RDY",
        "+CFUN: 1", "SMS Ready", "+CREG: 1", "^SRVST: 2")  # fmt: skip
KINDS = ("normal", "bare ok", "error", "garbage", "urc")


def _answer(kind: str, normal: Answer, urc: str) -> Answer:
    if kind == "bare ok":
        return "OK"
    if kind == "error":
        return "ERROR"
    if kind == "garbage":
        return "\u00ff\u0001##garbage##\nOK"

    def answered(cmd: str) -> str:
        text = normal(cmd) if callable(normal) else str(normal)
        return f"{urc}\n{text}" if kind == "urc" else text

    return answered


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    kinds=st.fixed_dictionaries({q: st.sampled_from(KINDS) for q in OPTIONAL}),
    urc=st.sampled_from(URCS),
)
def test_any_optional_answers_reach_ready_or_plain_words_and_send(
    kinds: dict[str, str], urc: str
) -> None:
    port = ScriptedPort()
    defaults = dict(port.answers)
    port.answers.update({q: _answer(k, defaults[q], urc) for q, k in kinds.items()})
    h = ScriptedHarness(port, poll_interval=0.3, command_timeout=0.5)
    try:
        h.wait_until(
            lambda: (
                h.svc.status.state == ModemState.READY
                or (
                    h.svc.status.state not in (ModemState.CONNECTING, ModemState.DISCONNECTED)
                    and bool(h.svc.status.last_error)
                )
            ),
            15,
            f"READY or plain words; now {h.svc.status}",
        )
        # registered ("+CREG: 2,1") or unknown: READY, and the send is attempted
        assert h.svc.status.state == ModemState.READY, h.svc.status
        h.svc.submit(SendJob("p", "+15550002222", "property"))
        h.wait_for(PartSent, timeout=10)
        assert port.pdus, "no PDU was handed to the modem"
        time.sleep(0.1)
        assert h.opened == 1, "the service reconnected"
        assert port.commands.count("ATE0") == 1, "the service took it for a restart"
    finally:
        h.close()
