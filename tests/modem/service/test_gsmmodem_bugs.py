"""Every python-gsmmodem-new 0.13.0 defect our investigation found, reproduced against the virtual
modem as a test of OUR ModemService (which must get it right). Where it is cheap and synchronous,
a ``test_library_*`` test shows the library itself failing on the same scenario."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modem.codec.pdu import encode_deliver, encode_status_report
from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    SendFailed,
    SendJob,
)
from modem.sim import VirtualModem
from modem.sim.text_mode import tpdu_length
from tests.helpers.service_harness import Harness


def _library_modem(vm: VirtualModem, **kw):  # type: ignore[no-untyped-def]
    from gsmmodem.modem import GsmModem

    m = GsmModem(vm.device, 115200, **kw)
    m.connect()
    return m


# --- a +CMTI inside a command's reply -------------------------------------------------------------


def test_cmti_arriving_inside_a_command_reply_is_handled() -> None:
    h = Harness()  # no periodic sweep during the test: only the +CMTI can reveal the message
    try:
        h.ready()
        cap = h.vm.control({"cmd": "status"})["storage"]["SM"]["total"]
        h.vm.control({"cmd": "fill_storage", "leave": cap - 1})  # one message, no notification
        cmti = b'\r\n+CMTI: "SM",1\r\n'
        h.vm.control({"cmd": "garbage", "data": cmti.hex(), "in_reply": True})
        h.svc.refresh_status()  # its first command's reply carries the +CMTI in the middle
        msg = h.wait_for(IncomingSms)[0]
        assert (msg.storage, msg.index) == ("SM", 1)
        assert msg.pdu is not None and msg.pdu.text == "Old message kept on the SIM"
        assert h.svc.status.state == ModemState.READY
    finally:
        h.close()


# --- a burst of notifications ---------------------------------------------------------------------


def test_every_notification_of_a_burst_is_handled() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "urc_burst", "count": 6, "text": "burst {n}"})
        got = h.wait_for(IncomingSms, count=6)
        assert sorted(m.pdu.text for m in got if m.pdu) == [f"burst {n}" for n in range(1, 7)]
        h.wait_until(lambda: h.stored() == [], what="all six deleted after ack")
    finally:
        h.close()


# --- +CMT direct delivery -------------------------------------------------------------------------


def test_direct_delivery_is_handed_and_acknowledged_with_cnma_after_ack() -> None:
    h = Harness(direct_delivery=True, auto_ack=False)
    try:
        h.ready()
        assert h.vm.control({"cmd": "status"})["csms"] == 1
        h.vm.deliver("+15557770000", "straight to you")
        msg = h.wait_for(IncomingSms)[0]
        assert msg.storage is None and msg.pdu is not None and msg.pdu.text == "straight to you"
        assert h.vm.control({"cmd": "status"})["awaiting_ack"]  # not acknowledged before storing
        h.svc.ack_incoming(msg.token)
        assert h.vm.wait_event("acked")["pdu"] == msg.raw
        h.vm.deliver("+15557770000", "second")
        second = h.wait_for(IncomingSms, count=2)[1]
        assert second.pdu.text == "second"  # type: ignore[union-attr]
        h.svc.ack_incoming(second.token)
        h.vm.wait_event("acked")
    finally:
        h.close()


def test_unrequested_cmt_from_a_quirky_modem_is_not_ignored() -> None:
    h = Harness()
    try:
        h.ready()
        pdu = encode_deliver("+15557771111", "pushed anyway", timestamp=datetime.now(UTC))[0]
        h.vm.control({"cmd": "send_urc", "line": f"+CMT: ,{tpdu_length(pdu)}\r\n{pdu}"})
        assert h.wait_for(IncomingSms)[0].pdu.text == "pushed anyway"  # type: ignore[union-attr]
    finally:
        h.close()


# --- +CDS split across two reads ------------------------------------------------------------------


def test_status_report_split_across_two_reads_is_not_lost() -> None:
    h = Harness()
    try:
        h.ready()
        now = datetime.now(UTC).replace(microsecond=0)
        pdu = encode_status_report(57, "+15557772222", 0, scts=now, discharge=now)
        h.vm.control({"cmd": "split_write", "pause": 0.4})
        h.vm.control({"cmd": "send_urc", "line": f"+CDS: {tpdu_length(pdu)}\r\n{pdu}"})
        h.vm.wait_event("split_written")
        rep = h.wait_for(DeliveryReport)[0]
        assert (rep.reference, rep.number, rep.delivered) == (57, "+15557772222", True)
    finally:
        h.close()


# --- reports are matched by reference, nobody waits for "a" report --------------------------------


def test_each_report_is_matched_to_its_own_part() -> None:
    h = Harness()
    try:
        h.ready()
        for n in range(4):
            h.svc.submit(SendJob(n, f"+1555777300{n}", f"message {n}"))
        sent = h.wait_for(PartSent, count=4)
        reports = h.wait_for(DeliveryReport, count=4)
        by_ref = {s.reference: s.job_id for s in sent}
        assert len(by_ref) == 4
        assert {by_ref[r.reference] for r in reports} == {0, 1, 2, 3}
        for r in reports:
            assert r.number == f"+1555777300{by_ref[r.reference]}"
    finally:
        h.close()


# --- one non-UTF-8 byte ---------------------------------------------------------------------------


def test_non_utf8_bytes_do_not_kill_anything() -> None:
    h = Harness()
    try:
        h.ready()
        h.vm.control({"cmd": "garbage", "data": "ff" + "fe80c328" * 4 + "0d0a"})
        h.svc.submit(SendJob(1, "+15557774444", "after the garbage"))
        assert h.wait_for(PartSent)[0].job_id == 1
        h.vm.deliver("+15557774444", "and back")
        assert h.wait_for(IncomingSms)[0].pdu.text == "and back"  # type: ignore[union-attr]
        assert h.svc.running and h.svc.status.state == ModemState.READY
    finally:
        h.close()


# --- unplug: reconnect, and the send in flight fails in seconds -----------------------------------


def test_unplug_reconnects_and_in_flight_send_fails_in_seconds(tmp_path: Path) -> None:
    link = str(tmp_path / "usb-modem")
    h = Harness(use_link=link, sim={"cmgs_delay": 30.0}, send_timeout=60.0)
    try:
        h.ready()
        h.svc.submit(SendJob("a", "+15557775555", "cut off"))
        h.vm.wait_event("submitting")
        mark = h.mark()
        h.vm.control({"cmd": "unplug"})
        failed = h.wait_for(SendFailed, timeout=10)[0]  # not 35 s, not 30 s
        assert failed.uncertain
        h.wait_state(ModemState.DISCONNECTED, after=mark)
        h.vm.control({"cmd": "config", "cmgs_delay": 0.0})
        h.vm.control({"cmd": "replug"})
        h.wait_state(ModemState.READY, after=mark)
    finally:
        h.close()


# --- a late reply ---------------------------------------------------------------------------------


def test_late_reply_is_not_taken_as_the_answer_to_the_next_command() -> None:
    h = Harness(send_timeout=1.0, command_timeout=2.0)
    try:
        h.ready()
        h.vm.control({"cmd": "late_reply", "seconds": 30})
        h.svc.submit(SendJob("late", "+15557776666", "answer comes late"))
        first = h.vm.wait_event("submitting")
        failed = h.wait_for(SendFailed)[0]
        assert failed.uncertain  # it did go out, but we could not know: never resent blindly
        h.svc.submit(SendJob("next", "+15557776667", "my own answer"))
        sent = h.wait_for(PartSent)[0]
        second = h.vm.wait_event("submitting")
        assert sent.job_id == "next"
        assert sent.reference == second["reference"] != first["reference"]
        assert h.svc.status.state == ModemState.READY
    finally:
        h.close()


# --- nothing lands inside a CMGS PDU --------------------------------------------------------------


def test_nothing_interleaves_with_a_pdu_under_heavy_polling() -> None:
    h = Harness(poll_interval=0.0)
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            h.svc.refresh_status()
            h.svc.query_ussd("*100#")
            stop.wait(0.005)

    try:
        h.ready()
        t = threading.Thread(target=hammer)
        t.start()
        texts = [f"order {n} is ready for pickup" for n in range(50)]
        for n, text in enumerate(texts):
            h.svc.submit(SendJob(n, "+15557778888", text))
        h.wait_for(PartSent, count=50, timeout=60)
        stop.set()
        t.join()
        assert [e["text"] for e in h.vm.submitted()] == texts
        assert not h.of(SendFailed)
        assert not [e for e in h.vm.history if e.get("event") == "error"]
    finally:
        stop.set()
        h.close()


# --- a long message whose part 2 fails ------------------------------------------------------------


def test_part_two_failure_records_part_one_and_resend_continues_at_part_two() -> None:
    armed: list[bool] = []

    def on_sim_event(ev: dict) -> None:
        if ev.get("event") == "submitted" and ev.get("part") == 1 and not armed:
            armed.append(True)
            h.vm.core.faults.cms_code, h.vm.core.faults.cms_count = 42, 1

    h = Harness(on_sim_event=on_sim_event)
    try:
        h.ready()
        text = "A long reminder that needs two parts. " * 6
        h.svc.submit(SendJob("long", "+15557779999", text))
        failed = h.wait_for(SendFailed)[0]
        sent = h.of(PartSent)
        assert [s.part for s in sent] == [1]  # the record that part 1 went out
        assert (failed.part, failed.parts, failed.retryable) == (2, 2, True)
        assert failed.concat_ref == sent[0].concat_ref
        h.svc.submit(
            SendJob("long", "+15557779999", text, concat_ref=failed.concat_ref, start_part=2)
        )
        h.wait_for(PartSent, count=2)
        parts = [(e["part"], e["concat_ref"]) for e in h.vm.submitted()]
        assert parts == [(1, failed.concat_ref), (2, failed.concat_ref)]  # part 1 only once
    finally:
        h.close()


def test_library_part_two_failure_leaves_no_record_of_part_one() -> None:
    from gsmmodem.exceptions import CmsError

    vm = VirtualModem()
    vm.start()
    m = _library_modem(vm)
    try:

        def arm(ev: dict) -> None:
            if ev.get("event") == "submitted" and ev.get("part") == 1:
                vm.core.faults.cms_code, vm.core.faults.cms_count = 42, 1

        vm._on_event = arm
        with pytest.raises(CmsError) as err:
            m.sendSms("+15557779999", "A long reminder that needs two parts. " * 6)
        assert len(vm.submitted()) == 1  # part 1 went out ...
        assert not hasattr(err.value, "sentParts")  # ... and nothing says so
    finally:
        m.close()
        vm.stop()


# --- stored messages are deleted only after the consumer has them ---------------------------------


def test_stored_message_survives_until_acked_even_across_a_restart() -> None:
    h = Harness(auto_ack=False)
    try:
        h.ready()
        h.vm.deliver("+15557770001", "keep me")
        h.wait_for(IncomingSms)
        h.svc.stop()  # the app closes before storing it
        assert len(h.stored()) == 1
        h2_events: list = []
        from modem.service.modem_service import ModemService

        svc2 = ModemService(h.device, h2_events.append, command_timeout=3.0)
        svc2.start()
        try:
            h.wait_until(lambda: any(isinstance(e, IncomingSms) for e in h2_events), what="again")
            msg = next(e for e in h2_events if isinstance(e, IncomingSms))
            assert msg.pdu.text == "keep me"  # type: ignore[union-attr]
            svc2.ack_incoming(msg.token)
            h.wait_until(lambda: h.stored() == [], what="deleted after the ack")
        finally:
            svc2.stop()
    finally:
        h.vm.stop()


def test_library_process_stored_sms_deletes_before_the_callback_runs() -> None:
    vm = VirtualModem()
    vm.start()
    seen_on_sim: list[int] = []
    m = _library_modem(
        vm,
        smsReceivedCallbackFunc=lambda sms: seen_on_sim.append(
            len(vm.control({"cmd": "storage", "memory": "ME"})["messages"])  # type: ignore[index]
        ),
    )
    try:
        cap = vm.control({"cmd": "status"})["storage"]["ME"]["total"]  # the library picks ME
        vm.control({"cmd": "fill_storage", "memory": "ME", "leave": cap - 1})
        m.processStoredSms()
        assert seen_on_sim and seen_on_sim[0] == 0  # already gone when the app gets it
    finally:
        m.close()
        vm.stop()


# --- emoji, both ways -----------------------------------------------------------------------------


def test_emoji_send_and_receive_end_to_end() -> None:
    h = Harness()
    try:
        h.ready()
        h.svc.submit(SendJob(1, "+15557770002", "Thanks! 😀👍 See you"))
        h.wait_for(PartSent)
        assert h.vm.submitted()[0]["text"] == "Thanks! 😀👍 See you"
        h.vm.deliver("+15557770002", "Great 🎉🙂")
        text = h.wait_for(IncomingSms)[0].pdu.text  # type: ignore[union-attr]
        assert text == "Great 🎉🙂"
        db = sqlite3.connect(":memory:")  # SQLite takes it (lone surrogates it refuses)
        db.execute("create table m (t text)")
        db.execute("insert into m values (?)", (text,))
        assert db.execute("select t from m").fetchone()[0] == text
    finally:
        h.close()


def test_library_emoji_send_raises_and_receive_gives_lone_surrogates() -> None:
    from gsmmodem.pdu import decodeSmsPdu, encodeSmsSubmitPdu

    with pytest.raises(ValueError):
        encodeSmsSubmitPdu("+15557770002", "Thanks! 😀")
    pdu = encode_deliver("+15557770002", "Great 🎉", timestamp=datetime.now(UTC))[0]
    text = decodeSmsPdu(pdu)["text"]
    with pytest.raises(UnicodeEncodeError):
        text.encode("utf-8")


# --- numbers with spaces or dashes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "on_air"),
    [("+1 (555) 777-0003", "+15557770003"), ("0171 234.56-78", "01712345678")],
)
def test_spaced_number_goes_out_as_a_number(given: str, on_air: str) -> None:
    h = Harness()
    try:
        h.ready()
        h.svc.submit(SendJob(1, given, "hello"))
        h.wait_for(PartSent)
        assert h.vm.submitted()[0]["to"] == on_air
    finally:
        h.close()


def test_library_sends_a_spaced_number_as_alphanumeric() -> None:
    from gsmmodem.pdu import encodeSmsSubmitPdu

    tpdu = encodeSmsSubmitPdu("+1 555-777-0003", "hello")[0].data
    # SMSC 00, first octet, MR, address length, then the type of address: 0xD0 = alphanumeric
    assert tpdu[4] == 0xD0
