"""Delivery reports: matched by reference, number and time, across multipart, TP-MR wrap and
restarts; delivered when all parts are; permanent failures in plain words; every report kept."""

from __future__ import annotations

from datetime import timedelta

from desk.messaging.delivery import describe_status, on_delivery_report, same_number
from desk.messaging.outbox import on_part_sent, queue_message
from desk.messaging.send_queue import take_jobs
from desk.store.models import (
    DELIVERED,
    FAILED,
    SENT,
    Conversation,
    DeliveryReport,
    Message,
    MessagePart,
)
from tests.desk.conftest import report_event, sent
from tests.helpers.databases import reopen

ANNA = "+12015550123"
BEN = "+14155552671"
LONG = "Your crown is ready. " * 20  # 3 parts


def _send(settings, clock, *, number=ANNA, text="Your appointment is confirmed", refs=(5,)):
    message = queue_message(number, text, source="staff", settings=settings, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    for part, ref in enumerate(refs, 1):
        on_part_sent(sent(job, part, ref, len(refs)), clock=clock)
    return Message.get_by_id(message.id)


def _state(message):
    return Message.get_by_id(message.id).state


def test_single_part_delivered(database, settings, clock):
    message = _send(settings, clock)
    clock.advance(10)
    assert on_delivery_report(report_event(5, ANNA), clock=clock) == message.id
    m = Message.get_by_id(message.id)
    assert m.state == DELIVERED and m.delivered_at is not None
    report = DeliveryReport.get()
    assert report.part.message_id == message.id and report.delivered and report.final


def test_multipart_is_delivered_when_all_parts_are(database, settings, clock):
    message = _send(settings, clock, text=LONG, refs=(254, 255, 0))  # TP-MR wraps mid-message
    on_delivery_report(report_event(0, ANNA), clock=clock)
    on_delivery_report(report_event(254, ANNA), clock=clock)
    assert _state(message) == SENT
    on_delivery_report(report_event(255, ANNA), clock=clock)
    assert _state(message) == DELIVERED


def test_a_multipart_message_is_delivered_at_its_last_parts_delivery(database, settings, clock):
    message = _send(settings, clock, text=LONG, refs=(7, 8, 9))
    at = clock.now()
    for ref, seconds in ((9, 20), (7, 30), (8, 10)):  # the network's discharge times
        on_delivery_report(
            report_event(ref, ANNA, when=at + timedelta(seconds=seconds)), clock=clock
        )
    m = Message.get_by_id(message.id)
    assert m.state == DELIVERED
    assert m.delivered_at == (at + timedelta(seconds=30)).replace(tzinfo=None)
    times = sorted(p.delivered_at for p in MessagePart.select().where(MessagePart.message == m.id))
    assert times == [(at + timedelta(seconds=s)).replace(tzinfo=None) for s in (10, 20, 30)]


def test_reports_before_the_last_part_is_sent_settle_it_when_it_is(database, settings, clock):
    message = queue_message(ANNA, LONG, source="staff", settings=settings, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    for part, ref in ((1, 20), (2, 21)):
        on_part_sent(sent(job, part, ref, 3), clock=clock)
        on_delivery_report(report_event(ref, ANNA), clock=clock)
    on_part_sent(sent(job, 3, 22, 3), clock=clock)
    assert _state(message) == SENT  # settle_message: part 3 has no report yet
    on_delivery_report(report_event(22, ANNA), clock=clock)
    assert _state(message) == DELIVERED


def test_report_arriving_before_the_last_part_is_recorded(database, settings, clock):
    message = queue_message(ANNA, LONG, source="staff", settings=settings, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_part_sent(sent(job, 1, 10, 3), clock=clock)
    on_delivery_report(report_event(10, ANNA), clock=clock)
    on_part_sent(sent(job, 2, 11, 3), clock=clock)
    on_delivery_report(report_event(11, ANNA), clock=clock)
    on_part_sent(sent(job, 3, 12, 3), clock=clock)
    assert _state(message) == SENT
    on_delivery_report(report_event(12, ANNA), clock=clock)
    assert _state(message) == DELIVERED


def test_reference_reused_after_wrap_matches_the_most_recent_open_part(database, settings, clock):
    old = _send(settings, clock, text="old", refs=(7,))
    clock.advance(timedelta(days=1))  # 256 messages later the modem reuses TP-MR 7
    new = _send(settings, clock, text="new", refs=(7,))
    on_delivery_report(report_event(7, ANNA, when=clock.now()), clock=clock)
    assert _state(new) == DELIVERED and _state(old) == SENT
    # the next report with 7 (another report: other times) goes to the older part still waiting
    later = clock.now() + timedelta(minutes=5)
    on_delivery_report(report_event(7, ANNA, when=later), clock=clock)
    assert _state(old) == DELIVERED


def test_late_report_for_an_old_part_is_matched_by_its_smsc_time(database, settings, clock):
    first_sent = clock.now()
    old = _send(settings, clock, text="old", refs=(7,))
    clock.advance(timedelta(days=1))
    new = _send(settings, clock, text="new", refs=(7,))
    # the old part's report arrives only now (the phone was off): its SCTS is a day old
    on_delivery_report(report_event(7, ANNA, when=first_sent), clock=clock)
    assert _state(old) == DELIVERED and _state(new) == SENT
    on_delivery_report(report_event(7, ANNA, when=clock.now()), clock=clock)
    assert _state(new) == DELIVERED


def test_report_time_far_from_every_part_falls_back_to_the_most_recent(database, settings, clock):
    old = _send(settings, clock, text="old", refs=(8,))
    clock.advance(timedelta(days=1))
    new = _send(settings, clock, text="new", refs=(8,))
    skewed = clock.now() + timedelta(hours=10)  # an SMS centre with a badly wrong clock
    on_delivery_report(report_event(8, ANNA, when=skewed), clock=clock)
    assert _state(new) == DELIVERED and _state(old) == SENT


def test_same_reference_to_another_number_is_not_confused(database, settings, clock):
    to_anna = _send(settings, clock, number=ANNA, refs=(9,))
    clock.advance(60)
    to_ben = _send(settings, clock, number=BEN, refs=(9,))
    on_delivery_report(report_event(9, ANNA), clock=clock)
    assert _state(to_anna) == DELIVERED and _state(to_ben) == SENT


def test_report_with_national_number_matches(database, settings, clock):
    message = _send(settings, clock, refs=(21,))
    on_delivery_report(report_event(21, "2015550123"), clock=clock)
    assert _state(message) == DELIVERED


def test_parts_older_than_a_week_are_not_matched(database, settings, clock):
    message = _send(settings, clock, refs=(33,))
    clock.advance(timedelta(days=8))
    assert on_delivery_report(report_event(33, ANNA), clock=clock) is None
    assert _state(message) == SENT
    assert DeliveryReport.get().part is None


def test_permanent_failure_report_fails_with_plain_reason(database, settings, clock):
    message = _send(settings, clock, text=LONG, refs=(60, 61, 62))
    on_delivery_report(report_event(60, ANNA), clock=clock)
    on_delivery_report(report_event(61, ANNA, 0x46), clock=clock)
    m = Message.get_by_id(message.id)
    assert m.state == FAILED
    assert m.error == (
        "Part 2 of 3 was not delivered: The recipient's phone was off or unreachable until the "
        "message expired."
    )
    assert MessagePart.get(seq=2).state == "failed"
    assert Conversation.get().needs_attention
    on_delivery_report(report_event(62, ANNA), clock=clock)  # a later good part: still failed
    assert _state(message) == FAILED


def test_pending_report_then_final(database, settings, clock):
    message = _send(settings, clock, refs=(70,))
    on_delivery_report(report_event(70, ANNA, 0x21), clock=clock)  # phone busy, still trying
    assert _state(message) == SENT
    assert MessagePart.get().report_status == 0x21
    clock.advance(timedelta(hours=2))
    on_delivery_report(report_event(70, ANNA, 0x00), clock=clock)
    assert _state(message) == DELIVERED
    assert DeliveryReport.select().where(DeliveryReport.part.is_null(False)).count() == 2


def test_unmatched_report_is_kept_and_a_duplicate_is_stored_once(database, settings, clock):
    event = report_event(99, ANNA)
    assert on_delivery_report(event, clock=clock) is None
    assert on_delivery_report(event, clock=clock) is None
    report = DeliveryReport.get()
    assert report.part is None and report.reference == 99 and report.raw_data == event.raw


def test_duplicate_report_does_not_touch_another_part(database, settings, clock):
    first = _send(settings, clock, refs=(80,))
    event = report_event(80, ANNA)
    on_delivery_report(event, clock=clock)
    clock.advance(timedelta(hours=1))
    second = _send(settings, clock, text="second", refs=(80,))
    on_delivery_report(event, clock=clock)  # the first report read again by a sweep
    assert _state(first) == DELIVERED and _state(second) == SENT


def test_matching_survives_a_restart(tmp_path, database, settings, clock):
    message = _send(settings, clock, text=LONG, refs=(1, 2, 3))
    reopen(tmp_path / "textdesk.sqlite3")
    for ref in (3, 1, 2):
        on_delivery_report(report_event(ref, ANNA), clock=clock)
    assert _state(message) == DELIVERED


def test_status_words_and_number_matching():
    assert describe_status(0x00) == "Delivered."
    assert "still trying" in describe_status(0x3A)
    assert "could not deliver" in describe_status(0x7E)
    assert same_number("+12015550123", "2015550123")
    assert not same_number("+12015550123", "+12015550124")
    assert same_number("+12015550123", None)


def test_resend_after_a_failure_report_sends_the_whole_message_again(database, settings, clock):
    from desk.messaging.staff_decisions import resend

    message = _send(settings, clock, text=LONG, refs=(90, 91, 92))
    on_delivery_report(report_event(91, ANNA, 0x41), clock=clock)
    assert _state(message) == FAILED
    resend(message.id, clock=clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert job.start_part == 1 and job.concat_ref == message.concat_ref
    for part, ref in enumerate((93, 94, 95), 1):
        on_part_sent(sent(job, part, ref, 3), clock=clock)
    assert _state(message) == SENT
    # a late report for the first attempt's reference matches nothing now
    assert on_delivery_report(report_event(90, ANNA), clock=clock) is None
    for ref in (93, 94, 95):
        on_delivery_report(report_event(ref, ANNA), clock=clock)
    assert _state(message) == DELIVERED
