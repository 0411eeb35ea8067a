"""ModemService against the virtual modem on a real pty: status, sending, receiving, acks, USSD,
PIN handling and vendor quirks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    PartSubmitting,
    SendFailed,
    SendJob,
    StatusChanged,
    UssdResult,
)
from modem.service.modem_service import ModemService
from tests.helpers.service_harness import Harness


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = Harness()
    yield harness.ready()
    harness.close()


def test_connects_and_reports_identity_and_network(h: Harness) -> None:
    st = h.svc.status
    assert st.state == ModemState.READY
    assert st.registration == "home"
    assert st.operator
    assert st.signal is not None and 0 <= st.signal <= 31
    assert st.imei and st.imei.isdigit()
    assert st.imsi and st.iccid
    assert st.manufacturer and st.model
    assert st.storage_total and st.storage_used == 0
    assert st.last_error is None
    states = [e.status.state for e in h.of(StatusChanged)]
    assert states[0] == ModemState.CONNECTING
    sim = h.vm.control({"cmd": "status"})
    assert sim["echo"] is False and sim["cmgf"] == 0 and sim["cnmi"][1] == 1


def test_status_is_read_from_any_thread_and_submit_never_blocks(h: Harness) -> None:
    seen: list[ModemState] = []
    t = threading.Thread(target=lambda: seen.append(h.svc.status.state))
    t.start()
    t.join()
    assert seen == [ModemState.READY]
    with pytest.raises(RuntimeError):
        h.svc.channel  # noqa: B018 - only the modem thread may touch the port


def test_send_single_part(h: Harness) -> None:
    h.svc.submit(SendJob(7, "+15551230000", "Your order is ready"))
    sent = h.wait_for(PartSent)[0]
    sub = h.vm.wait_event("submitted")
    assert (sent.job_id, sent.part, sent.parts, sent.concat_ref) == (7, 1, 1, None)
    assert sent.reference == sub["reference"]
    assert sub["to"] == "+15551230000" and sub["text"] == "Your order is ready"
    before = h.of(PartSubmitting)
    assert before and before[0].job_id == 7


def test_send_two_parts_with_one_concat_reference(h: Harness) -> None:
    text = "Long message. " * 20
    h.svc.submit(SendJob("j2", "+15551230001", text))
    sent = h.wait_for(PartSent, count=2)
    assert [s.part for s in sent] == [1, 2]
    assert sent[0].concat_ref is not None and sent[0].concat_ref == sent[1].concat_ref
    subs = [h.vm.wait_event("submitted") for _ in range(2)]
    assert {s["concat_ref"] for s in subs} == {sent[0].concat_ref}
    assert "".join(s["text"] for s in subs) == text


def test_resend_from_part_two_keeps_reference_and_skips_part_one(h: Harness) -> None:
    text = "Another long message. " * 12
    h.svc.submit(SendJob("r", "+15551230002", text, concat_ref=77, start_part=2))
    sent = h.wait_for(PartSent)[0]
    assert (sent.part, sent.parts, sent.concat_ref) == (2, 2, 77)
    sub = h.vm.wait_event("submitted")
    assert (sub["part"], sub["concat_ref"]) == (2, 77)
    assert len(h.vm.submitted()) == 1


def test_network_error_is_reported_in_plain_words_and_next_job_goes(h: Harness) -> None:
    h.vm.control({"cmd": "cms_error", "code": 42, "count": 1})
    h.svc.submit(SendJob(1, "+15551230003", "first"))
    h.svc.submit(SendJob(2, "+15551230004", "second"))
    failed = h.wait_for(SendFailed)[0]
    assert (failed.job_id, failed.code, failed.retryable, failed.uncertain) == (1, 42, True, False)
    assert "congested" in failed.reason
    assert h.wait_for(PartSent)[0].job_id == 2


def test_permanent_error_stops_the_job_at_that_part(h: Harness) -> None:
    h.vm.control({"cmd": "cms_error", "code": 21, "count": 1})
    h.svc.submit(SendJob(3, "+15551230005", "Long text here. " * 15))
    failed = h.wait_for(SendFailed)[0]
    assert (failed.part, failed.parts, failed.retryable) == (1, 2, False)
    h.svc.submit(SendJob(4, "+15551230006", "after"))
    assert h.wait_for(PartSent)[0].job_id == 4
    assert not h.of(PartSent, lambda e: e.job_id == 3)  # part 2 was never sent


def test_bad_number_is_refused_without_touching_the_modem(h: Harness) -> None:
    h.svc.submit(SendJob(5, "call me maybe!", "hi"))
    h.svc.submit(SendJob(6, "+15551230007", "ok"))
    failed = h.wait_for(SendFailed)[0]
    assert failed.job_id == 5 and not failed.retryable and "cannot be sent" in failed.reason
    assert h.wait_for(PartSent)[0].job_id == 6


def test_incoming_is_deleted_only_after_ack() -> None:
    h = Harness(auto_ack=False)
    try:
        h.ready()
        h.vm.deliver("+15559870000", "Is my bike ready?")
        msg = h.wait_for(IncomingSms)[0]
        assert msg.pdu is not None and msg.pdu.text == "Is my bike ready?"
        assert msg.pdu.number == "+15559870000"
        assert (msg.storage, msg.index) == ("SM", 1)
        assert len(h.stored()) == 1  # not acked yet: still on the SIM
        h.svc.ack_incoming(msg.token)
        h.wait_until(lambda: h.stored() == [], what="deleted after ack")
        h.svc.ack_incoming(msg.token)  # a second ack of the same token is harmless
        h.svc.ack_incoming("nonsense")
        h.vm.deliver("+15559870000", "hello again")
        assert h.wait_for(IncomingSms, count=2)[1].pdu.text == "hello again"  # type: ignore[union-attr]
    finally:
        h.close()


def test_messages_stored_while_closed_are_found_at_connect() -> None:
    h = Harness(start=False)
    try:
        h.vm.deliver("+15550001111", "sent while the shop was closed")
        h.vm.deliver("+15550002222", "me too")
        h.vm.wait_event("delivered", predicate=lambda e: e["index"] == 2)
        h.svc.start()
        got = h.wait_for(IncomingSms, count=2)
        assert {m.pdu.text for m in got if m.pdu} == {"sent while the shop was closed", "me too"}
        h.wait_until(lambda: h.stored() == [], what="both deleted after ack")
    finally:
        h.close()


def test_pending_message_is_not_handed_twice_by_sweeps() -> None:
    h = Harness(auto_ack=False, sweep_interval=0.1, sim={"trace": True})
    try:
        h.ready()
        h.vm.deliver("+15550003333", "once please")
        msg = h.wait_for(IncomingSms)[0]
        for _ in range(3):  # three more sweeps while the ack is pending
            h.vm.wait_event("rx", predicate=lambda e: e["data"].startswith("AT+CMGL"))
        assert len(h.of(IncomingSms)) == 1
        h.svc.ack_incoming(msg.token)
        h.wait_until(lambda: h.stored() == [], what="deleted")
    finally:
        h.close()


def test_malformed_stored_pdu_is_handed_raw_and_loses_nothing_else() -> None:
    h = Harness(start=False)
    try:
        h.vm.control({"cmd": "deliver_pdu", "pdu": "07915155000000F0040B91515521"})
        h.vm.deliver("+15550004444", "a good one")
        h.svc.start()
        got = h.wait_for(IncomingSms, count=2)
        bad = next(m for m in got if m.pdu is None)
        good = next(m for m in got if m.pdu is not None)
        assert bad.error and bad.raw.startswith("07915155000000F0")
        assert good.pdu.text == "a good one"  # type: ignore[union-attr]
        h.wait_until(lambda: h.stored() == [], what="both acked and deleted")
    finally:
        h.close()


def test_delivery_report_matches_the_part_and_is_deleted_after_ack(h: Harness) -> None:
    h.svc.submit(SendJob(9, "+15551230008", "report me"))
    sent = h.wait_for(PartSent)[0]
    rep = h.wait_for(DeliveryReport)[0]
    assert rep.reference == sent.reference
    assert rep.delivered and rep.final and rep.status == 0
    assert rep.number == "+15551230008"
    h.wait_until(lambda: h.stored("SR") == [], what="report deleted after ack")


def test_failed_delivery_report(h: Harness) -> None:
    h.vm.control({"cmd": "deliver_report", "mode": "fail", "status": 0x41})
    h.svc.submit(SendJob(10, "+15551230009", "will bounce"))
    rep = h.wait_for(DeliveryReport)[0]
    assert not rep.delivered and rep.final and rep.status == 0x41


def test_ussd_balance(h: Harness) -> None:
    h.vm.control({"cmd": "ussd_text", "text": "Balance: 4.20 EUR"})
    h.svc.query_ussd("*100#")
    res = h.wait_for(UssdResult)[0]
    assert (res.code, res.text, res.error) == ("*100#", "Balance: 4.20 EUR", None)


def test_registration_loss_and_return() -> None:
    h = Harness(poll_interval=0.3)
    try:
        h.ready()
        mark = h.mark()
        h.vm.control({"cmd": "lose_network"})
        h.wait_state(ModemState.NO_NETWORK, after=mark)
        assert h.svc.status.last_error and "Not registered" in h.svc.status.last_error
        mark = h.mark()
        h.vm.control({"cmd": "restore_network"})
        h.wait_state(ModemState.READY, after=mark)
    finally:
        h.close()


def test_refresh_status_reads_new_signal(h: Harness) -> None:
    h.vm.control({"cmd": "set_signal", "rssi": 9})
    h.svc.refresh_status()
    h.wait_until(lambda: h.svc.status.signal == 9, what="signal 9")
    assert h.svc.status.bars == 1


# --- PIN ---------------------------------------------------------------------------------------


def test_configured_pin_is_entered() -> None:
    h = Harness(sim={"pin": "4321"}, pin="4321")
    try:
        h.ready()
    finally:
        h.close()


def test_wrong_pin_is_tried_once_only_then_staff_enters_it() -> None:
    h = Harness(sim={"pin": "4321"}, pin="0000", poll_interval=0.2)
    try:
        h.wait_until(lambda: h.svc.status.state == ModemState.PIN_NEEDED, what="PIN_NEEDED")
        h.wait_until(lambda: "refused" in (h.svc.status.last_error or ""), what="pin refused")
        # several status polls later the SIM still has 2 tries left: never retried by itself
        for _ in range(3):
            h.svc.refresh_status()
        h.wait_until(lambda: h.svc.status.pin_kind == "SIM PIN", what="pin kind")
        assert h.vm.control({"cmd": "status"})["pin_attempts"] == 2
        h.svc.enter_pin("4321")
        h.ready()
    finally:
        h.close()


def test_puk_locked_sim_is_an_error_for_a_person() -> None:
    h = Harness(start=False)
    try:
        h.vm.control({"cmd": "set_sim_state", "state": "puk"})
        h.svc.start()
        h.wait_until(lambda: h.svc.status.state == ModemState.ERROR, what="ERROR")
        assert h.svc.status.pin_kind == "SIM PUK"
        assert "PUK" in (h.svc.status.last_error or "")
    finally:
        h.close()


def test_no_sim_is_explained() -> None:
    h = Harness(start=False)
    try:
        h.vm.control({"cmd": "set_sim_state", "state": "absent"})
        h.svc.start()
        h.wait_until(lambda: h.svc.status.state == ModemState.ERROR, what="ERROR")
        assert "No SIM" in (h.svc.status.last_error or "")
    finally:
        h.close()


# --- vendors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["huawei", "zte", "simcom", "quectel", "wavecom"])
def test_vendor_profiles_send_and_receive(vendor: str) -> None:
    h = Harness(vendor=vendor)
    try:
        h.ready(timeout=30)
        h.svc.submit(SendJob(1, "+15551112222", f"hello {vendor}"))
        assert h.wait_for(PartSent)[0].job_id == 1
        h.vm.deliver("+15553334444", f"reply via {vendor}")
        msg = h.wait_for(IncomingSms)[0]
        assert msg.pdu is not None and msg.pdu.text == f"reply via {vendor}"
        h.wait_until(lambda: h.stored(msg.storage or "SM") == [], what="deleted")
        h.svc.query_ussd("*100#")
        res = h.wait_for(UssdResult)[0]
        assert res.error is None and res.text and "balance" in res.text.lower()
    finally:
        h.close()


def test_stop_is_prompt_even_when_no_modem_answers(tmp_path) -> None:
    events: list = []
    svc = ModemService(str(tmp_path / "nothing-here"), events.append, backoff_initial=5)
    svc.start()
    deadline = threading.Event()
    deadline.wait(0.2)
    svc.stop()
    assert not svc.running
    assert any(
        isinstance(e, StatusChanged) and "does not exist" in (e.status.last_error or "")
        for e in events
    )


def test_ussd_text_decoding() -> None:
    from modem.codec import gsm7
    from modem.service.incoming import decode_ussd

    assert decode_ussd("Balance 5.00", 15) == "Balance 5.00"
    ucs2 = "Баланс 5 €".encode("utf-16-be").hex().upper()
    assert decode_ussd(ucs2, 72) == "Баланс 5 €"
    packed = gsm7.pack(gsm7.encode("Your balance is 12.34")).hex().upper()
    assert decode_ussd(packed, 15) == "Your balance is 12.34"
    assert decode_ussd("1234", 15) == "1234"  # digits stay digits
    assert decode_ussd("12345678", 15) == "12345678"  # a voucher code, not packed 7-bit
