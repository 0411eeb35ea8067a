"""ModemService after a crash (SIGKILL) of the process before it: a modem left in the +CMGS
prompt, messages and status reports left in every storage (SR too), and stop() in the middle of
a send."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from modem.codec.pdu import encode_deliver, encode_status_report
from modem.events import DeliveryReport, IncomingSms, PartSent, SendFailed, SendJob
from modem.sim.sms_store import Stat
from tests.helpers.service_harness import Harness
from tests.modem.conftest import AtClient

CLOSING = "TextDesk was closing; not sent"


def test_modem_left_in_the_sms_prompt_is_cancelled_not_sent_and_reaches_ready() -> None:
    h = Harness(start=False)
    client = AtClient(h.device)
    try:
        assert client.ok("AT+CMGF=0") == []
        assert client.raw("AT+CMGS=20").endswith(b"> ")
        client.write(b"0011000B915155")  # part of a PDU: the process was killed here
        time.sleep(0.2)  # let the bytes reach the modem before the port closes
        client.close()
        h.svc.start()
        h.ready(timeout=30)
        assert h.vm.core.prompt is None  # the half message was cancelled...
        assert not h.vm.submitted()  # ...not sent
        h.svc.submit(SendJob("after", "+15550000001", "the modem works normally again"))
        assert h.wait_for(PartSent)[0].job_id == "after"
    finally:
        client.close()
        h.close()


def _leftovers(h: Harness) -> dict[str, int]:
    now = datetime.now(UTC).replace(microsecond=0)
    stores = h.vm.core.stores
    report = encode_status_report(7, "+15550001111", 0x00, scts=now, discharge=now)
    failed = encode_status_report(8, "+15550002222", 0x41, scts=now, discharge=now)
    stores["SR"].add(report, Stat.REC_UNREAD)
    stores["SR"].add(failed, Stat.REC_READ)
    stores["SM"].add(encode_deliver("+15550003333", "left on the SIM", timestamp=now)[0])
    stores["ME"].add(encode_deliver("+15550004444", "left in the phone", timestamp=now)[0])
    stores["ME"].add(report, Stat.REC_UNREAD)  # a report filed in ME: still a report
    return {"reports": 3, "sms": 2}


def test_messages_and_reports_left_in_every_storage_are_handed_over_and_deleted() -> None:
    h = Harness(start=False)
    try:
        want = _leftovers(h)
        h.svc.start()
        h.ready(timeout=30)
        reports = h.wait_for(DeliveryReport, count=want["reports"], timeout=30)
        assert sorted(r.reference for r in reports) == [7, 7, 8]
        assert {r.delivered for r in reports if r.reference == 8} == {False}
        sms = h.wait_for(IncomingSms, count=want["sms"], timeout=30)
        assert {s.pdu.text for s in sms if s.pdu} == {"left on the SIM", "left in the phone"}
        for memory in ("SR", "SM", "ME"):  # acked (Harness auto-acks), so deleted
            h.wait_until(lambda m=memory: not h.stored(m), 30, f"{memory} emptied")
        assert len(h.of(DeliveryReport)) == want["reports"]  # none handed twice
        # the read storage is switched when something must be read elsewhere, not back after
        # every listing or delete: a new message in SM is read from wherever it was left
        h.vm.deliver("+15550005555", "after the sweep")
        again = h.wait_for(IncomingSms, count=want["sms"] + 1, timeout=30)[-1]
        assert again.pdu is not None and again.pdu.text == "after the sweep"
        h.wait_until(lambda: not h.stored("SM"), 30, "SM emptied again")
    finally:
        h.close()


def test_reports_stored_while_running_in_sr_are_found_by_the_next_sweep() -> None:
    h = Harness(sweep_interval=0.5)
    try:
        h.ready(timeout=30)
        now = datetime.now(UTC).replace(microsecond=0)
        pdu = encode_status_report(9, "+15550005555", 0x00, scts=now, discharge=now)
        with h.vm.core.lock:  # stored without a +CDSI (as one lost in a crash would be)
            h.vm.core.stores["SR"].add(pdu, Stat.REC_UNREAD)
        assert h.wait_for(DeliveryReport, timeout=30)[0].reference == 9
        h.wait_until(lambda: not h.stored("SR"), 30, "SR emptied")
    finally:
        h.close()


def test_stop_during_a_slow_send_is_prompt_and_accounts_for_every_job() -> None:
    h = Harness(sim={"cmgs_delay": 30.0}, send_timeout=60.0)
    try:
        h.ready()
        h.svc.submit(SendJob("inflight", "+15550000002", "the modem takes its time"))
        h.svc.submit(SendJob("queued1", "+15550000003", "waiting in line"))
        h.svc.submit(SendJob("queued2", "+15550000004", "x" * 200))  # two parts
        h.vm.wait_event("submitting")  # the PDU is with the modem, its answer 30 s away
        started = time.monotonic()
        h.svc.stop(timeout=15.0)
        took = time.monotonic() - started
        assert not h.svc.running, "the modem thread is still running after stop()"
        assert took < 10.0  # generous; without interruption it waits out the 30 s reply
        failed = {e.job_id: e for e in h.of(SendFailed)}
        assert set(failed) == {"inflight", "queued1", "queued2"}
        assert failed["inflight"].uncertain and not failed["inflight"].retryable
        for job in ("queued1", "queued2"):
            assert failed[job].retryable and not failed[job].uncertain
            assert failed[job].reason == CLOSING
        assert failed["queued2"].parts == 2
        assert not h.of(PartSent)
    finally:
        h.close()
