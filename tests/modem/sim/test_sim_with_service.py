"""Every vendor profile of the virtual modem, terse answers and all, through the real
ModemService: ready, send with a delivery report, receive; and the same over raw TCP and
RFC 2217 (the network-modem and Windows paths)."""

from __future__ import annotations

import pytest

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    SendFailed,
    SendJob,
)
from modem.sim import VENDORS
from tests.helpers.service_harness import Harness


def _round_trip(h: Harness, label: str) -> None:
    h.ready(timeout=30)
    h.svc.submit(SendJob(1, "+15551112222", f"hello {label}"))
    sent = h.wait_for(PartSent, timeout=30)[0]
    assert h.vm.wait_event("submitted", timeout=30)["text"] == f"hello {label}"
    report = h.wait_for(DeliveryReport, timeout=30)[0]
    assert report.reference == sent.reference and report.delivered
    h.vm.deliver("+15553334444", f"reply via {label}")
    msg = h.wait_for(IncomingSms, timeout=30)[0]
    assert msg.pdu is not None and msg.pdu.text == f"reply via {label}"
    h.wait_until(lambda: h.stored(msg.storage or "SM") == [], what="deleted")


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_vendor_profile_through_the_service(vendor: str) -> None:
    h = Harness(vendor=vendor, sim={"report_delay": 0.1})
    try:
        _round_trip(h, vendor)
    finally:
        h.close()


@pytest.mark.parametrize("transport", ["tcp", "rfc2217"])
@pytest.mark.parametrize("vendor", ["generic", "huawei"])
def test_network_transport_through_the_service(transport: str, vendor: str) -> None:
    h = Harness(vendor=vendor, sim={transport: "127.0.0.1:0", "report_delay": 0.1})
    try:
        assert h.device.startswith(("socket://", "rfc2217://"))
        _round_trip(h, f"{vendor} over {transport}")
    finally:
        h.close()


# --- faults on the network path: a lost connection is an unplug ------------------------------


def test_tcp_unplug_mid_send_is_uncertain_and_the_replug_is_found() -> None:
    h = Harness(sim={"tcp": "127.0.0.1:0", "cmgs_delay": 30.0}, send_timeout=60.0)
    try:
        h.ready(timeout=30)
        h.svc.submit(SendJob("inflight", "+15550000002", "going out as the link drops"))
        h.svc.submit(SendJob("next", "+15550000003", "after the link is back"))
        h.vm.wait_event("submitting")  # the PDU is with the modem, its answer 30 s away
        mark = h.mark()
        h.vm.control({"cmd": "unplug"})
        failed = h.wait_for(SendFailed, timeout=15)[0]
        assert failed.job_id == "inflight" and failed.uncertain and not failed.retryable
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        h.vm.control({"cmd": "config", "cmgs_delay": 0.0})
        h.vm.control({"cmd": "replug"})  # same address, as a modem behind ser2net comes back
        assert h.wait_for(PartSent, timeout=30)[0].job_id == "next"
        assert not h.of(PartSent, lambda e: e.job_id == "inflight")  # never resent by itself
        assert h.vm.submitted()[-1]["text"] == "after the link is back"
    finally:
        h.close()


@pytest.mark.parametrize("vendor", ["huawei", "simcom", "quectel"])
def test_tcp_modem_reboot_is_recovered(vendor: str) -> None:
    h = Harness(vendor=vendor, sim={"tcp": "127.0.0.1:0", "sim_busy": 0.3})
    try:
        h.ready(timeout=30)
        mark = h.mark()
        h.vm.control({"cmd": "reboot", "seconds": 1.0})
        h.vm.wait_event("rebooted", timeout=10)
        h.wait_state(ModemState.READY, after=mark, timeout=40)
        h.svc.submit(SendJob(2, "+15551112223", f"after the reboot of {vendor}"))
        assert h.wait_for(PartSent, timeout=30)[0].job_id == 2
    finally:
        h.close()
