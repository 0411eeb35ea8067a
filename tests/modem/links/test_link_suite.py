"""The behaviours every link keeps, written once and run against all three (``kind``): the AT
ModemService on the virtual modem's pty, the HiLink link on the virtual stick, the Android link
on the virtual gateway (both real HTTP on 127.0.0.1, driven by the real client libraries)."""

from __future__ import annotations

import time
from collections.abc import Callable

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemState,
    PartSent,
    PartSubmitting,
    SendFailed,
    SendJob,
    StatusChanged,
)
from tests.modem.links.rigs import Rig

MakeRig = Callable[..., Rig]


def test_an_incoming_text_stays_on_the_device_until_acked(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind, auto_ack=False).ready()
    rig.deliver("+15551230001", "Is my car ready?")
    sms = rig.wait_for(IncomingSms)[0]
    assert sms.pdu is not None and sms.pdu.text == "Is my car ready?"
    assert sms.pdu.number.endswith("15551230001")
    time.sleep(2.5)  # polls, sweeps and webhook retries go by: still not given up
    assert rig.held() == 1
    for event in rig.of(IncomingSms):  # the core stored it (each hand-over, if handed again)
        rig.link.ack_incoming(event.token)
    rig.wait_until(lambda: rig.held() == 0, 20, "removed from the device after the ack")


def test_nothing_is_handed_over_or_sent_twice(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    for n in range(3):
        rig.deliver(f"+1555123001{n}", f"text number {n}")
    rig.wait_for(IncomingSms, count=3)
    rig.link.submit(SendJob(7, "+15557650007", "Your order is in"))
    rig.wait_for(PartSent, lambda e: e.job_id == 7)
    rig.wait_until(lambda: rig.held() == 0, 20, "all deleted")
    time.sleep(3.0)  # several polls / sweeps / inbox checks later
    texts = sorted(e.pdu.text for e in rig.of(IncomingSms) if e.pdu and e.pdu.text)
    assert texts == ["text number 0", "text number 1", "text number 2"]
    assert [s.get("text") for s in rig.submitted()] == ["Your order is in"]
    assert len(rig.of(PartSent, lambda e: e.job_id == 7)) == 1


def test_a_send_cut_off_midway_is_uncertain_and_never_resent(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    rig.cut_next_send()
    rig.link.submit(SendJob(11, "+15557650011", "Cut off in the middle"))
    failed = rig.wait_for(SendFailed, lambda e: e.job_id == 11, timeout=30)[0]
    assert failed.uncertain and not failed.retryable
    assert failed.reason
    gone_out = len(rig.submitted())
    rig.ready(timeout=30)  # reconnected
    rig.link.submit(SendJob(12, "+15557650012", "The next one"))
    rig.wait_for(PartSent, lambda e: e.job_id == 12, timeout=30)
    time.sleep(1.0)
    texts = [s.get("text") for s in rig.submitted()]
    assert texts.count("Cut off in the middle") <= 1
    assert len(rig.submitted()) == gone_out + 1  # only the next one went out since
    assert not rig.of(PartSent, lambda e: e.job_id == 11)
    assert len(rig.of(PartSubmitting, lambda e: e.job_id == 11)) == 1


def test_reconnects_with_backoff_and_sends_after(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    mark = rig.mark()
    rig.down()
    lost = rig.wait_state(ModemState.DISCONNECTED, after=mark, timeout=30)
    assert lost.status.last_error  # plain words, not silence
    rig.link.submit(SendJob(21, "+15557650021", "Queued while it was away"))
    time.sleep(2.0)
    changes = [e for e in rig.events[mark:] if isinstance(e, StatusChanged)]
    # backoff (0.05 s doubling to 0.5 s): a handful of attempts in 2 s, not a busy loop
    assert len(changes) <= 30
    assert all(e.status.state != ModemState.READY for e in changes)
    assert not rig.of(PartSent, lambda e: e.job_id == 21)
    rig.up()
    rig.ready(timeout=30)
    rig.wait_for(PartSent, lambda e: e.job_id == 21, timeout=30)
    assert [s.get("text") for s in rig.submitted()] == ["Queued while it was away"]


def test_delivery_report_matches_the_sent_text(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    rig.link.submit(SendJob(31, "+15557650031", "Please confirm", request_report=True))
    sent = rig.wait_for(PartSent, lambda e: e.job_id == 31)[0]
    report = rig.wait_for(DeliveryReport, timeout=30)[0]
    assert report.reference == sent.reference
    assert report.delivered and report.final


def test_bad_input_from_the_device_is_said_and_loses_nothing(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    rig.bad_incoming()
    rig.deliver("+15551230041", "A good text after the bad one")
    rig.wait_for(
        IncomingSms,
        lambda e: e.pdu is not None and e.pdu.text == "A good text after the bad one",
        timeout=30,
    )
    unreadable = rig.of(IncomingSms, lambda e: e.pdu is None)
    words = [e.status.last_error for e in rig.of(StatusChanged) if e.status.last_error]
    assert unreadable or words  # told, in plain words or as an unreadable text kept raw
    for event in unreadable:
        assert event.error and event.raw  # kept as received
    assert rig.link.running
    rig.wait_until(lambda: rig.held() == 0, 20, "the good text deleted after its ack")


def test_a_huge_answer_does_not_stop_the_link(kind: str, make_rig: MakeRig) -> None:
    rig = make_rig(kind).ready()
    rig.huge_answer()
    time.sleep(1.0)
    rig.ready(timeout=30)
    rig.deliver("+15551230051", "Still here")
    rig.wait_for(
        IncomingSms, lambda e: e.pdu is not None and e.pdu.text == "Still here", timeout=30
    )
    rig.link.submit(SendJob(51, "+15557650051", "And sending"))
    rig.wait_for(PartSent, lambda e: e.job_id == 51, timeout=30)


def test_a_text_the_core_could_not_store_is_offered_again(kind: str, make_rig: MakeRig) -> None:
    """release_incoming (the core's commit failed): the text stays on the device, the token
    is forgotten, and the same text comes again soon, to be removed only after its ack."""
    rig = make_rig(kind, auto_ack=False).ready()
    rig.deliver("+15551230061", "Can I come at 3?")
    first = rig.wait_for(IncomingSms)[0]
    rig.link.release_incoming(first.token)
    again = rig.wait_for(IncomingSms, count=2, timeout=15)[1]
    assert again.pdu is not None and again.pdu.text == "Can I come at 3?"
    assert rig.held() == 1  # still on the device until the core stored it
    rig.link.ack_incoming(again.token)
    rig.wait_until(lambda: rig.held() == 0, 20, "removed from the device after the ack")
