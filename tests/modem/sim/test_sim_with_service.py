"""Every vendor profile of the virtual modem, terse answers and all, through the real
ModemService: ready, send with a delivery report, receive; and the same over raw TCP and
RFC 2217 (the network-modem and Windows paths)."""

from __future__ import annotations

import pytest

from modem.events import DeliveryReport, IncomingSms, PartSent, SendJob
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
