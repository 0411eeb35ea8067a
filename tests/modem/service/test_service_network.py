"""ModemService with a modem on the network: the virtual modem served over raw TCP
(``socket://``) and RFC 2217 (``rfc2217://``), opened with serial.serial_for_url. Connection
loss behaves like an unplug: a send in flight is uncertain, and the service reconnects."""

from __future__ import annotations

import pytest

from modem.events import IncomingSms, ModemState, PartSent, SendFailed, SendJob
from tests.helpers.service_harness import Harness

TRANSPORTS = ["tcp", "rfc2217"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_send_and_receive_over_the_network(transport: str) -> None:
    h = Harness(sim={transport: "127.0.0.1:0"})
    try:
        assert h.device.startswith(("socket://", "rfc2217://"))
        h.ready()
        assert h.svc.status.port == h.device
        h.svc.submit(SendJob(1, "+15550001111", "over the wire"))
        assert h.wait_for(PartSent)[0].job_id == 1
        assert h.vm.wait_event("submitted")["text"] == "over the wire"
        h.vm.deliver("+15550002222", "and back")
        assert h.wait_for(IncomingSms)[0].pdu.text == "and back"  # type: ignore[union-attr]
    finally:
        h.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_connection_loss_is_an_unplug_send_uncertain_then_reconnects(transport: str) -> None:
    h = Harness(sim={transport: "127.0.0.1:0", "cmgs_delay": 30.0}, send_timeout=60.0)
    try:
        h.ready()
        h.svc.submit(SendJob("inflight", "+15550003333", "cut off"))
        h.vm.wait_event("submitting")
        mark = h.mark()
        h.vm.control({"cmd": "unplug"})
        failed = h.wait_for(SendFailed, timeout=15)[0]
        assert failed.uncertain and not failed.retryable
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        assert "disconnected" in (h.svc.status.last_error or "")
        h.vm.control({"cmd": "config", "cmgs_delay": 0.0})
        assert h.vm.control({"cmd": "replug"})["device"] == h.device
        h.wait_state(ModemState.READY, after=mark, timeout=30)
        h.svc.submit(SendJob("next", "+15550004444", "after the reconnect"))
        assert h.wait_for(PartSent)[0].job_id == "next"
        assert not h.of(PartSent, lambda e: e.job_id == "inflight")  # never resent by itself
    finally:
        h.close()


def test_nothing_listening_is_explained_and_retried_with_backoff() -> None:
    import socket

    from modem.service.modem_service import ModemService

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    events: list[object] = []
    svc = ModemService(f"socket://127.0.0.1:{free}", events.append, backoff_initial=0.05,
                       backoff_max=0.2)  # fmt: skip
    svc.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while "Nothing answers" not in (svc.status.last_error or ""):
            assert time.monotonic() < deadline, svc.status
            time.sleep(0.02)
        assert svc.status.state == ModemState.DISCONNECTED
    finally:
        svc.stop()
