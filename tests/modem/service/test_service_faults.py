"""ModemService when things go wrong: unplug, replug on a new path, reboot, hang, garbage, late
replies, SIM busy, sends in flight when the modem vanishes."""

from __future__ import annotations

import os
from pathlib import Path

from modem.events import (
    IncomingSms,
    ModemState,
    PartSent,
    PartSubmitting,
    PortChanged,
    SendFailed,
    SendJob,
    StatusChanged,
)
from tests.helpers.service_harness import Harness


def test_unplug_is_reported_and_replug_on_a_new_path_reconnects(tmp_path: Path) -> None:
    link = str(tmp_path / "usb-Virtual_GSM_Modem-if00")
    h = Harness(use_link=link)
    try:
        h.ready()
        old = h.device
        mark = h.mark()
        h.vm.control({"cmd": "unplug"})
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        down = [e for e in h.events[mark:] if isinstance(e, StatusChanged)][-1].status
        assert down.last_error and "disconnected" in down.last_error
        h.svc.submit(SendJob("queued", "+15550000001", "waits for the modem"))
        new = h.vm.control({"cmd": "replug"})["device"]
        assert new != old and os.path.realpath(link) == new
        h.wait_state(ModemState.READY, after=mark)
        changed = h.wait_for(PortChanged)[0]
        assert (changed.old, changed.new) == (old, new)
        assert h.wait_for(PartSent)[0].job_id == "queued"  # the pending job survived
    finally:
        h.close()


def test_send_in_flight_at_unplug_fails_promptly_as_uncertain(tmp_path: Path) -> None:
    link = str(tmp_path / "modem")
    h = Harness(sim={"cmgs_delay": 30.0}, send_timeout=60.0, use_link=link)
    try:
        h.ready()
        h.svc.submit(SendJob("inflight", "+15550000002", "going out as the cable goes"))
        h.svc.submit(SendJob("next", "+15550000003", "after the replug"))
        h.vm.wait_event("submitting")  # the PDU is with the modem, its answer 30 s away
        h.vm.control({"cmd": "unplug"})
        # promptly: well before the 30 s the modem would take, let alone a 35 s library timeout
        failed = h.wait_for(SendFailed, timeout=10)[0]
        assert failed.job_id == "inflight"
        assert failed.uncertain and not failed.retryable
        assert "may or may not" in failed.reason
        h.vm.control({"cmd": "config", "cmgs_delay": 0.0})
        h.vm.control({"cmd": "replug"})
        assert h.wait_for(PartSent)[0].job_id == "next"
        assert not h.of(PartSent, lambda e: e.job_id == "inflight")  # never resent by itself
    finally:
        h.close()


def test_unplug_before_the_prompt_is_retryable_not_uncertain() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "hang"})  # the modem goes silent: no prompt will come
        h.svc.submit(SendJob("noprompt", "+15550000004", "hello"))
        h.wait_for(PartSubmitting)
        failed = h.wait_for(SendFailed)[0]
        assert failed.retryable and not failed.uncertain
        assert "not sent" in failed.reason
    finally:
        h.close()


def test_silence_after_the_pdu_is_uncertain_then_hang_is_detected() -> None:
    h = Harness(sim={"cmgs_delay": 3.0}, send_timeout=1.0)
    try:
        h.ready()
        mark = h.mark()
        h.svc.submit(SendJob("silent", "+15550000005", "into the void"))
        h.vm.wait_event("submitting")
        h.vm.control({"cmd": "hang"})
        failed = h.wait_for(SendFailed)[0]
        assert failed.uncertain and not failed.retryable
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        assert "stopped answering" in (h.svc.status.last_error or "")
        h.vm.control({"cmd": "config", "cmgs_delay": 0.0})
        h.vm.control({"cmd": "unhang"})
        h.wait_state(ModemState.READY, after=mark)
    finally:
        h.close()


def test_hang_is_detected_and_recovered() -> None:
    h = Harness(poll_interval=0.3, command_timeout=1.0)
    try:
        h.ready()
        mark = h.mark()
        h.vm.control({"cmd": "hang"})
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        h.vm.control({"cmd": "unhang"})
        h.wait_state(ModemState.READY, after=mark)
        h.svc.submit(SendJob(1, "+15550000006", "works again"))
        assert h.wait_for(PartSent)[0].job_id == 1
    finally:
        h.close()


def test_reboot_is_detected_and_the_modem_set_up_again() -> None:
    h = Harness(vendor="quectel", poll_interval=0.3, command_timeout=1.0)
    try:
        h.ready(timeout=30)
        mark = h.mark()
        h.vm.control({"cmd": "reboot", "seconds": 1.0})
        h.wait_state(ModemState.DISCONNECTED, after=mark, timeout=30)
        h.wait_state(ModemState.READY, after=mark, timeout=30)
        h.wait_until(lambda: h.vm.control({"cmd": "status"})["cnmi"][1] == 1, what="CNMI again")
        assert h.vm.control({"cmd": "status"})["echo"] is False
        h.vm.deliver("+15550000007", "after the reboot")
        assert h.wait_for(IncomingSms)[0].pdu.text == "after the reboot"  # type: ignore[union-attr]
    finally:
        h.close()


def test_reboot_that_asks_for_the_pin_again_uses_the_good_pin() -> None:
    h = Harness(sim={"pin": "1111"}, pin="1111", poll_interval=0.3, command_timeout=1.0)
    try:
        h.ready()
        mark = h.mark()
        h.vm.control({"cmd": "reboot", "seconds": 0.5, "pin_again": True})
        h.wait_state(ModemState.DISCONNECTED, after=mark, timeout=30)
        h.wait_state(ModemState.READY, after=mark, timeout=30)
    finally:
        h.close()


def test_garbage_on_the_line_changes_nothing() -> None:
    h = Harness()
    try:
        h.ready()
        for _ in range(3):
            h.vm.control({"cmd": "garbage", "length": 64})
        h.vm.control({"cmd": "garbage", "data": "fffe00c328e282", "in_reply": True})
        h.svc.refresh_status()
        h.svc.submit(SendJob(1, "+15550000008", "still fine"))
        assert h.wait_for(PartSent)[0].job_id == 1
        h.vm.deliver("+15550000009", "me too")
        assert h.wait_for(IncomingSms)[0].pdu is not None
        assert h.svc.status.state == ModemState.READY
    finally:
        h.close()


def test_sim_busy_at_power_on_is_waited_out() -> None:
    h = Harness(vendor="huawei", sim={"sim_busy": 2.0})
    try:
        h.ready(timeout=30)
        assert h.svc.status.iccid
    finally:
        h.close()


def test_no_network_at_send_is_retryable() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "lose_network"})
        h.svc.submit(SendJob(1, "+15550000010", "no bars"))
        failed = h.wait_for(SendFailed)[0]
        assert failed.code == 331 and failed.retryable and not failed.uncertain
    finally:
        h.close()


def test_full_sim_is_reported_and_emptied_by_acks() -> None:
    h = Harness(start=False)
    try:
        h.vm.control({"cmd": "fill_storage", "leave": 0})
        total = len(h.stored())
        h.svc.start()
        h.wait_for(IncomingSms, count=total)
        h.wait_until(lambda: h.stored() == [], what="SIM emptied by acks")
        h.vm.deliver("+15550000011", "now there is room")
        assert h.wait_for(IncomingSms, count=total + 1)[-1].pdu.text == "now there is room"  # type: ignore[union-attr]
    finally:
        h.close()


def test_backoff_doubles_from_half_a_second_and_is_capped() -> None:
    from modem.service.reconnect import Backoff

    b = Backoff()
    assert [b.next_delay() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    b.reset()
    assert b.next_delay() == 0.5


def test_unexpected_sink_errors_do_not_stop_the_service() -> None:
    def bad_sink(event: object) -> None:
        raise RuntimeError("consumer bug")

    h = Harness()
    try:
        h.ready()
        h.svc._sink = bad_sink  # a consumer whose sink raises must not take the modem down
        h.svc.submit(SendJob(1, "+15550000012", "still sent"))
        h.vm.wait_event("submitted")
        h.svc._sink = h._sink
        h.svc.submit(SendJob(2, "+15550000013", "and reported"))
        assert h.wait_for(PartSent, lambda e: e.job_id == 2)
        assert h.svc.running
    finally:
        h.close()
