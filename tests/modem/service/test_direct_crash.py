"""Inline delivery (+CMT / +CDS under AT+CSMS=1) when the consumer dies before storing.

A process killed after a +CMT was handed to its core but before the core stored it leaves the
modem waiting for a +CNMA that nobody will send. The next process must neither acknowledge that
message by mistake (a +CNMA names no message: the modem applies it to whatever waits) nor leave
it waiting: it answers AT+CNMA=2 when it connects, so the network keeps the message and delivers
it again. The first service here is stopped without a word on the line, as kill -9 leaves it.
"""

from __future__ import annotations

from typing import Any

from modem.events import DeliveryReport, IncomingSms, PartSent, SendJob
from modem.service.direct_acks import DirectAcks
from modem.service.modem_service import ModemService
from tests.helpers.service_harness import FAST, Harness

# a +CNMA timeout far beyond the test: only the new connection's AT+CNMA=2 can free the modem
SIM = {"cnma_timeout": 60.0, "redeliver_delay": 0.3, "report_delay": 0.1}


def _restart(h: Harness, **kw: Any) -> None:
    """The consumer process dies (nothing more is said on the line) and a new one connects."""
    h.svc.stop()
    h.auto_ack = True
    h.events.clear()
    h.svc = ModemService(h.device, h._sink, **{**FAST, "direct_delivery": True, **kw})
    h.svc.start()


def test_a_message_handed_but_not_stored_is_delivered_again_to_the_next_process() -> None:
    h = Harness(direct_delivery=True, auto_ack=False, sim=SIM)
    try:
        h.ready()
        h.vm.deliver("+15557770101", "handed, never stored")
        lost = h.wait_for(IncomingSms)[0]
        assert lost.storage is None
        _restart(h)
        again = h.wait_for(IncomingSms, lambda e: e.raw == lost.raw, timeout=10.0)[0]
        assert again.pdu is not None and again.pdu.text == "handed, never stored"
        acked = h.vm.wait_event("acked", predicate=lambda e: e["pdu"] == lost.raw, timeout=10.0)
        assert acked  # acknowledged by the process that stored it
    finally:
        h.close()


def test_a_status_report_to_the_next_process_does_not_acknowledge_the_dead_ones_message() -> None:
    h = Harness(direct_delivery=True, auto_ack=False, sim=SIM)
    try:
        h.ready()
        h.vm.deliver("+15557770102", "the dead process's text")
        lost = h.wait_for(IncomingSms)[0]
        _restart(h)
        h.ready()
        h.svc.submit(SendJob(1, "+15557770199", "a send brings a status report"))
        h.wait_for(PartSent)
        h.wait_for(DeliveryReport, timeout=10.0)
        # the text the dead process never stored comes again (the report's +CNMA did not
        # acknowledge it): refused once by the new connection, acknowledged once it was handed
        h.wait_for(IncomingSms, lambda e: e.raw == lost.raw, timeout=10.0)
        h.vm.wait_event("acked", predicate=lambda e: e["pdu"] == lost.raw, timeout=10.0)
        answers = [e["event"] for e in h.vm.history
                   if e.get("event") in ("acked", "nacked") and e["pdu"] == lost.raw]  # fmt: skip
        assert answers == ["nacked", "acked"]
    finally:
        h.close()


def test_a_status_report_handed_but_not_stored_is_delivered_again() -> None:
    h = Harness(direct_delivery=True, auto_ack=False, sim=SIM)
    try:
        h.ready()
        h.svc.submit(SendJob(1, "+15557770198", "report me"))
        h.wait_for(PartSent)
        lost = h.wait_for(DeliveryReport, timeout=10.0)[0]
        assert h.vm.control({"cmd": "status"})["awaiting_ack"]  # +CDS waits for its +CNMA too
        _restart(h)
        again = h.wait_for(DeliveryReport, lambda e: e.raw == lost.raw, timeout=10.0)[0]
        assert again.reference == lost.reference
        h.vm.wait_event("acked", predicate=lambda e: e["pdu"] == lost.raw, timeout=10.0)
    finally:
        h.close()


class _Host:
    """Just enough of the service for DirectAcks: the commands it writes, answered OK."""

    command_timeout = send_timeout = sim_busy_wait = 1.0

    def __init__(self) -> None:
        self.sent: list[str] = []

    def command(self, cmd: str, **_kw: object) -> None:
        self.sent.append(cmd)


def test_a_report_settled_before_a_message_arrives_gets_no_cnma_that_would_ack_the_message() -> (
    None
):
    # a modem that does not hold +CDS routes the +CMT while the report's +CNMA is still to go:
    # that +CNMA would acknowledge the message before the core stored it
    host = _Host()
    acks = DirectAcks(host, on_routing_lost=lambda: None)  # type: ignore[arg-type]
    acks.csms = 1
    acks.arrived("report", report=True)
    acks.settle("report", True)
    acks.arrived("message", report=False)
    assert acks.report_acks is False
    assert not acks.ready()  # nothing may go before the message is stored
    acks.settle("message", True)
    acks.send_next()
    assert host.sent == ["AT+CNMA"]
    acks.arrived("report 2", report=True)
    assert not acks.waits_for("report 2")  # reports need no +CNMA on this one


def test_a_report_while_a_message_waits_is_not_queued_for_a_cnma() -> None:
    host = _Host()
    acks = DirectAcks(host, on_routing_lost=lambda: None)  # type: ignore[arg-type]
    acks.csms = 1
    acks.arrived("message", report=False)
    acks.arrived("report", report=True)
    assert not acks.waits_for("report") and acks.waits_for("message")
