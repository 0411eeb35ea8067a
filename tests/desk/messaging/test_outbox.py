"""Outbox: queueing and refusals, the state machine, retry with backoff, uncertain sends, resend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.base.clock import to_db
from desk.messaging import outbox
from desk.messaging.delivery import on_delivery_report
from desk.messaging.outbox import (
    SendRefused,
    on_part_sent,
    on_part_submitting,
    on_send_failed,
    queue_message,
    recover_interrupted,
)
from desk.messaging.send_queue import take_jobs
from desk.messaging.staff_decisions import resend, resolve_uncertain
from desk.store.models import (
    DELIVERED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    UNCERTAIN,
    AuditLog,
    Contact,
    Conversation,
    Message,
    MessagePart,
)
from modem.codec import pdu as codec
from modem.events import PartSubmitting
from tests.desk.conftest import failed, report_event, sent
from tests.helpers.databases import reopen
from tests.helpers.engines import second_connection

ANNA = "+12015550123"
BEN = "+14155552671"
LONG = "Your crown is ready. " * 20  # 420 GSM-7 characters: 3 parts


def _queue(settings, clock, number=ANNA, text="Hello from the shop", **kwargs):
    kwargs.setdefault("source", "staff")
    return queue_message(number, text, settings=settings, clock=clock, **kwargs)


def _reload(message):
    return Message.get_by_id(message.id)


# --- queueing ------------------------------------------------------------------------------


def test_queue_commits_a_queued_message_with_its_parts(database, settings, clock, tmp_path):
    message = _queue(settings, clock, text=LONG, staff="Anna")
    assert message.state == QUEUED and message.parts == 3 and message.encoding == "gsm7"
    assert message.staff == "Anna" and message.priority == 0 and not message.automated
    assert message.concat_ref is not None and 0 <= message.concat_ref <= 255
    parts = list(MessagePart.select().where(MessagePart.message == message.id))
    assert [(p.seq, p.number, p.state) for p in parts] == [
        (1, ANNA, "pending"),
        (2, ANNA, "pending"),
        (3, ANNA, "pending"),
    ]
    other = second_connection(tmp_path / "textdesk.sqlite3")
    try:
        assert other.execute("SELECT state FROM message").fetchall() == [("queued",)]
    finally:
        other.close()
    conversation = Conversation.get()
    assert conversation.last_direction == "out" and conversation.unread == 0
    assert conversation.last_preview.startswith("Your crown is ready.")


def test_number_typed_nationally_is_normalised(database, settings, clock):
    _queue(settings, clock, number="(201) 555-0123")
    assert Contact.get().number == ANNA


def test_contact_or_contact_id_can_be_given(database, settings, clock):
    contact = Contact.create(number=BEN, created_at=to_db(clock.now()))
    a = _queue(settings, clock, number=contact)
    b = _queue(settings, clock, number=contact.id)
    assert a.conversation_id == b.conversation_id
    with pytest.raises(SendRefused, match="no contact"):
        _queue(settings, clock, number=9999)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_refused(database, settings, clock, text):
    with pytest.raises(SendRefused, match="empty"):
        _queue(settings, clock, text=text)
    assert Message.select().count() == 0


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("12", "not a phone number"),
        ("555-CALL-NOW", "letters"),
        ("+1 201 555 01", "wrong number of digits"),
        ("", "No number"),
    ],
)
def test_bad_numbers_are_refused_with_the_phone_reason(database, settings, clock, number, words):
    with pytest.raises(SendRefused, match=words):
        _queue(settings, clock, number=number)
    assert Message.select().count() == 0 and Contact.select().count() == 0


def test_sender_names_cannot_be_texted_back(database, settings, clock):
    contact = Contact.create(number="MyBank", created_at=to_db(clock.now()))
    with pytest.raises(SendRefused, match="sender name"):
        _queue(settings, clock, number=contact)


def test_opted_out_contact_is_refused_but_the_confirmation_may_go(database, settings, clock):
    contact = Contact.create(number=ANNA, opted_out=True, created_at=to_db(clock.now()))
    with pytest.raises(SendRefused, match="opted out"):
        _queue(settings, clock, number=contact)
    with pytest.raises(SendRefused, match="opted out"):
        _queue(settings, clock, number=contact, source="reminder", automated=True)
    confirmation = _queue(settings, clock, number=contact, source="consent", text="Bye")
    assert confirmation.state == QUEUED


def test_contact_opting_out_after_queueing_is_not_sent(database, settings, clock):
    message = _queue(settings, clock)
    other = _queue(settings, clock, number=BEN)
    Contact.update(opted_out=True).where(Contact.number == ANNA).execute()
    jobs = take_jobs(settings=settings, clock=clock, limit=5)
    assert [j.job_id for j in jobs] == [other.id]
    message = _reload(message)
    assert message.state == FAILED and "opted out" in message.error


# --- the happy path ------------------------------------------------------------------------


def test_state_machine_queued_sending_sent_delivered(database, settings, clock, tmp_path):
    message = _queue(settings, clock, text=LONG, staff="Anna")
    (job,) = take_jobs(settings=settings, clock=clock, limit=5)
    assert (job.job_id, job.number, job.text) == (message.id, ANNA, LONG)
    assert job.concat_ref == message.concat_ref and job.start_part == 1 and job.request_report
    other = second_connection(tmp_path / "textdesk.sqlite3")  # committed before returning
    try:
        assert other.execute("SELECT state FROM message").fetchall() == [("sending",)]
    finally:
        other.close()
    assert take_jobs(settings=settings, clock=clock, limit=5) == []  # not taken twice
    refs = [17, 18, 19]
    for part, ref in enumerate(refs, 1):
        on_part_submitting(PartSubmitting(job.job_id, part, 3, job.concat_ref), clock=clock)
        assert MessagePart.get(seq=part).state == "submitting"
        assert on_part_sent(sent(job, part, ref, 3), clock=clock) == message.id
        m = _reload(message)
        assert m.parts_sent == part
        assert m.state == (SENT if part == 3 else SENDING)
    m = _reload(message)
    assert m.sent_at == to_db(clock.now())
    assert [p.reference for p in MessagePart.select().order_by(MessagePart.seq)] == refs
    audit = AuditLog.get()
    assert audit.action == "sent" and audit.staff == "Anna" and str(message.id) in audit.detail
    for ref in refs:
        clock.advance(5)
        on_delivery_report(report_event(ref, ANNA), clock=clock)
    m = _reload(message)
    assert m.state == DELIVERED and m.delivered_at is not None


# --- failures and retries ------------------------------------------------------------------


def test_transient_failure_retries_with_growing_backoff_then_gives_up(database, settings, clock):
    message = _queue(settings, clock)
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        (job,) = take_jobs(settings=settings, clock=clock, limit=1)
        on_send_failed(failed(job, 1, 1, retryable=True), clock=clock)
        m = _reload(message)
        if m.state == FAILED:
            break
        assert m.state == QUEUED and "Trying again" in m.error and m.error_code == 38
        wait = m.next_attempt_at - to_db(clock.now())
        waits.append(wait)
        clock.advance(wait - timedelta(seconds=1))
        assert take_jobs(settings=settings, clock=clock, limit=1) == []  # not before its time
        clock.advance(timedelta(seconds=1))
    m = _reload(message)
    assert m.state == FAILED and m.attempts == outbox.MAX_ATTEMPTS
    assert m.error.startswith(f"Gave up after {outbox.MAX_ATTEMPTS} tries")
    assert "network is out of order" in m.error
    assert waits[:4] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
    ]
    assert waits == sorted(waits)
    assert Conversation.get().needs_attention


def test_transient_failures_stop_after_a_day(database, settings, clock):
    message = _queue(settings, clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    clock.advance(timedelta(hours=25))
    on_send_failed(failed(job, 1, 1, retryable=True), clock=clock)
    m = _reload(message)
    assert m.state == FAILED and m.error.startswith("Gave up after 1 tries")


def test_permanent_failure_fails_at_once_with_the_reason(database, settings, clock):
    message = _queue(settings, clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_send_failed(
        failed(job, 1, 1, retryable=False, code=10, reason="Sending to this number is barred."),
        clock=clock,
    )
    m = _reload(message)
    assert m.state == FAILED and m.error == "Sending to this number is barred."
    assert m.error_code == 10
    clock.advance(timedelta(hours=1))
    assert take_jobs(settings=settings, clock=clock, limit=5) == []


def test_one_failed_message_never_holds_up_the_others(database, settings, clock):
    first = _queue(settings, clock, text="first")
    second = _queue(settings, clock, number=BEN, text="second")
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert job.job_id == first.id
    on_send_failed(failed(job, 1, 1, retryable=True), clock=clock)
    (job2,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert job2.job_id == second.id  # the retrying one waits, the next one goes
    on_part_sent(sent(job2, 1, 3), clock=clock)
    third = _queue(settings, clock, text="third")
    (job3,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_send_failed(failed(job3, 1, 1, retryable=False), clock=clock)
    fourth = _queue(settings, clock, number=BEN, text="fourth")
    (job4,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert job4.job_id == fourth.id
    assert _reload(third).state == FAILED and _reload(second).state == SENT


def test_failure_on_a_later_part_resumes_there_with_the_same_reference(database, settings, clock):
    message = _queue(settings, clock, text=LONG)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_part_sent(sent(job, 1, 40, 3), clock=clock)
    on_send_failed(failed(job, 2, 3, retryable=True), clock=clock)
    m = _reload(message)
    assert m.state == QUEUED and m.parts_sent == 1 and "part 2 of 3" in m.error
    clock.advance(timedelta(seconds=30))
    (again,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert again.start_part == 2 and again.concat_ref == job.concat_ref
    on_part_sent(sent(again, 2, 41, 3), clock=clock)
    on_part_sent(sent(again, 3, 42, 3), clock=clock)
    assert _reload(message).state == SENT
    assert AuditLog.select().count() == 1


# --- uncertain ------------------------------------------------------------------------------


def test_uncertain_failure_is_never_resent_automatically(database, settings, clock):
    message = _queue(settings, clock)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_part_submitting(PartSubmitting(job.job_id, 1, 1, None), clock=clock)
    on_send_failed(
        failed(job, 1, 1, retryable=False, uncertain=True, reason="The modem went away."),
        clock=clock,
    )
    m = _reload(message)
    assert m.state == UNCERTAIN and "not known whether" in m.error
    assert Conversation.get().needs_attention
    clock.advance(timedelta(days=2))
    assert take_jobs(settings=settings, clock=clock, limit=5) == []


def test_crash_while_sending_leaves_uncertain_and_resend_continues_at_part_k(
    tmp_path, database, settings, clock
):
    message = _queue(settings, clock, text=LONG, staff="Ben")
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    on_part_submitting(PartSubmitting(job.job_id, 1, 3, job.concat_ref), clock=clock)
    on_part_sent(sent(job, 1, 200, 3), clock=clock)
    on_part_submitting(PartSubmitting(job.job_id, 2, 3, job.concat_ref), clock=clock)
    # --- the app is killed here: part 2 was handed to the modem, its result never stored ---
    reopen(tmp_path / "textdesk.sqlite3")
    assert recover_interrupted(clock=clock) == [message.id]
    m = _reload(message)
    assert m.state == UNCERTAIN and "stopped while this was being sent" in m.error
    assert "Parts 1–1 of 3 went out" in m.error
    assert MessagePart.get(seq=2).state == "uncertain"
    assert recover_interrupted(clock=clock) == []
    assert take_jobs(settings=settings, clock=clock, limit=5) == []
    # staff press "resend"
    resend(message.id, clock=clock)
    (again,) = take_jobs(settings=settings, clock=clock, limit=5)
    assert again.start_part == 2 and again.concat_ref == job.concat_ref
    on_part_sent(sent(again, 2, 201, 3), clock=clock)
    on_part_sent(sent(again, 3, 202, 3), clock=clock)
    m = _reload(message)
    assert m.state == SENT and m.error is None
    assert [p.reference for p in MessagePart.select().order_by(MessagePart.seq)] == [200, 201, 202]


def test_resolve_uncertain_either_way(database, settings, clock):
    a = _queue(settings, clock, text="a")
    b = _queue(settings, clock, text="b")
    take_jobs(settings=settings, clock=clock, limit=5)
    recover_interrupted(clock=clock)
    resolve_uncertain(a.id, went_out=True, clock=clock)
    resolve_uncertain(b.id, went_out=False, clock=clock)
    assert _reload(a).state == SENT and _reload(b).state == FAILED
    assert AuditLog.select().where(AuditLog.action == "sent").count() == 1
    with pytest.raises(SendRefused, match="not uncertain"):
        resolve_uncertain(a.id, went_out=True, clock=clock)
    # a failed message can be resent; a sent one cannot
    resend(b.id, clock=clock)
    assert _reload(b).state == QUEUED
    with pytest.raises(SendRefused, match="only failed or uncertain"):
        resend(a.id, clock=clock)


def test_resend_to_a_contact_who_opted_out_meanwhile_is_refused(database, settings, clock):
    message = _queue(settings, clock)
    take_jobs(settings=settings, clock=clock, limit=1)
    recover_interrupted(clock=clock)
    Contact.update(opted_out=True).execute()
    with pytest.raises(SendRefused, match="opted out"):
        resend(message.id, clock=clock)
    assert _reload(message).state == UNCERTAIN


def test_events_for_unknown_jobs_are_ignored(database, settings, clock):
    from modem.events import PartSent

    assert on_part_sent(PartSent("nope", 1, 1, 5, None), clock=clock) is None
    assert on_part_sent(PartSent(12345, 1, 1, 5, None), clock=clock) is None


def test_unicode_text_plans_ucs2_parts(database, settings, clock):
    text = "Grüße 😀 " * 12
    message = _queue(settings, clock, text=text)
    plan = codec.plan(text)
    assert (message.encoding, message.parts) == ("ucs2", plan.parts)
    assert MessagePart.select().count() == plan.parts


def test_a_failure_reported_with_fewer_parts_never_shrinks_the_message(database, settings, clock):
    from modem.events import SendFailed

    message = _queue(settings, clock, text=LONG)
    (job,) = take_jobs(settings=settings, clock=clock, limit=1)
    # what the engine reports when the service refused the job before anything was written
    on_send_failed(
        SendFailed(job.job_id, 1, 1, job.concat_ref, None, "The modem could not take it.", True),
        clock=clock,
    )
    m = _reload(message)
    assert m.state == QUEUED and m.parts == 3 and m.parts_sent == 0
    assert MessagePart.select().where(MessagePart.message == message.id).count() == 3
    clock.advance(30)
    (again,) = take_jobs(settings=settings, clock=clock, limit=1)
    assert again.start_part == 1
