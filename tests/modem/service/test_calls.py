"""Missed calls, modem side: RING / +CRING: VOICE, +CLIP, NO CARRIER / ^CEND or rings that stop,
turned into one CallMissed each; declining with AT+CHUP, or ATH where the modem has no +CHUP.
Against the virtual modem on a real pty (``{"cmd": "call", ...}``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from modem.events import CallMissed, IncomingSms
from modem.service.calls import Calls
from tests.helpers.service_harness import Harness


def _rx(h: Harness) -> list[str]:
    return [str(e["data"]).strip() for e in h.vm.history if e.get("event") == "rx"]


def test_a_caller_who_gives_up_is_one_missed_call_with_the_number_and_rings() -> None:
    h = Harness(sim={"trace": True})
    try:
        h.ready()
        assert "AT+CLIP=1" in _rx(h) and "AT+CRC=1" in _rx(h)
        before = datetime.now(UTC)
        h.vm.control({"cmd": "call", "from": "+15551230001", "rings": 3, "hangup_after": 0.9})
        # ended by the modem's NO CARRIER, long before the rings' gap (8 s) would end it
        (call,) = h.wait_for(CallMissed, timeout=4.0)
        assert (call.number, call.rings, call.declined) == ("+15551230001", 3, False)
        assert before <= call.ended_at <= datetime.now(UTC)
        # the modem still serves texts after the call
        h.vm.deliver("+15551230001", "sorry I called")
        h.wait_for(IncomingSms)
        assert len(h.of(CallMissed)) == 1
    finally:
        h.close()


def test_a_withheld_caller_has_no_number() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "call", "withheld": True, "rings": 2, "hangup_after": 0.6})
        (call,) = h.wait_for(CallMissed, timeout=4.0)
        assert (call.number, call.rings) == (None, 2)
    finally:
        h.close()


def test_huawei_ends_the_call_with_cend() -> None:
    h = Harness(vendor="huawei")
    try:
        h.ready()
        h.vm.control({"cmd": "call", "from": "+15551230002", "rings": 2, "hangup_after": 0.6})
        (call,) = h.wait_for(CallMissed, timeout=10.0)
        assert (call.number, call.rings) == ("+15551230002", 2)
    finally:
        h.close()


def test_declined_after_n_rings_with_chup() -> None:
    h = Harness(sim={"trace": True}, decline_after_rings=2)
    try:
        h.ready()
        h.vm.control({"cmd": "call", "from": "+15551230003", "rings": 6, "hangup_after": 3.0})
        (call,) = h.wait_for(CallMissed, timeout=10.0)
        assert (call.number, call.rings, call.declined) == ("+15551230003", 2, True)
        ended = h.vm.wait_event("call_ended")
        assert (ended["by"], ended["rings"]) == ("terminal", 2)
        assert "AT+CHUP" in _rx(h) and "ATH" not in _rx(h)
    finally:
        h.close()


def test_decline_falls_back_to_ath_where_chup_is_refused() -> None:
    h = Harness(sim={"trace": True}, start=False, decline_after_rings=2)
    try:
        core = h.vm.core
        core.profile = replace(core.profile, refused=(*core.profile.refused, "+CHUP"))
        h.svc.start()
        h.ready()
        h.vm.control({"cmd": "call", "from": "+15551230004", "rings": 6, "hangup_after": 3.0})
        (call,) = h.wait_for(CallMissed, timeout=10.0)
        assert (call.declined, call.rings, call.number) == (True, 2, "+15551230004")
        assert h.vm.wait_event("call_ended")["by"] == "terminal"
        assert _rx(h)[-2:] == ["AT+CHUP", "ATH"]
    finally:
        h.close()


def test_declining_asked_while_a_call_rings_applies_to_it() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "call", "from": "+15551230006", "rings": 8, "hangup_after": 4.0})
        h.vm.wait_event("ring")
        h.svc.decline_calls_after(1)
        (call,) = h.wait_for(CallMissed, timeout=10.0)
        assert call.declined and 1 <= call.rings <= 3
        assert h.vm.wait_event("call_ended")["by"] == "terminal"
        h.svc.decline_calls_after(None)
        h.vm.control({"cmd": "call", "from": "+15551230006", "rings": 2, "hangup_after": 0.6})
        second = h.wait_for(CallMissed, count=2, timeout=10.0)[1]
        assert (second.declined, second.rings) == (False, 2)
    finally:
        h.close()


class _Host:
    command_timeout = send_timeout = sim_busy_wait = 1.0

    def __init__(self) -> None:
        self.events: list[object] = []

    def emit(self, event: object) -> None:
        self.events.append(event)


def test_rings_that_stop_without_a_word_end_the_call() -> None:
    # many modems print nothing when the caller gives up: the rings stopping is the end
    from modem.at import urc

    host = _Host()
    calls = Calls(host, ring_gap=5.0)  # type: ignore[arg-type]
    calls.on_urc(urc.Ring("RING"))
    calls.on_urc(urc.parse_clip('+CLIP: "5551230005",129,,,,0'))
    calls.on_urc(urc.Ring("+CRING: VOICE", "VOICE"))
    calls.on_urc(urc.Ring("+CRING: FAX", "FAX"))  # not a customer calling
    due = calls.next_due()
    assert not calls.due(due - 0.1) and calls.due(due)
    calls.work(due)
    (call,) = host.events
    assert isinstance(call, CallMissed)
    assert (call.number, call.rings) == ("5551230005", 2)
    assert call.ended_at - datetime.now(UTC) < timedelta(seconds=1)
    assert not calls.active()
