"""The shop's signature on staff replies: outbox.staff_text, applied by queue_message."""

from __future__ import annotations

import pytest

from desk.messaging.outbox import (
    SendRefused,
    on_send_failed,
    queue_message,
    staff_text,
)
from desk.messaging.send_queue import take_jobs
from desk.messaging.staff_decisions import resend
from desk.store.models import MessagePart
from modem.codec import pdu as codec
from tests.desk.conftest import failed

ANNA = "+12015550123"
SIGNATURE = "– Anna at Smile Dental"


@pytest.fixture
def signed(settings):
    settings.set("signature", SIGNATURE)
    return settings


def test_signature_goes_on_its_own_line(signed):
    assert staff_text("See you at 3.", signed) == "See you at 3.\n– Anna at Smile Dental"


@pytest.mark.parametrize(
    "text",
    [
        "See you at 3.\n– Anna at Smile Dental",
        "See you then! – Anna at Smile Dental",  # a template that put {signature} at the end
        "See you at 3.\n– Anna at Smile Dental  ",
    ],
)
def test_text_already_ending_with_the_signature_is_unchanged(signed, text):
    assert staff_text(text, signed) == text


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_gets_no_signature(signed, text):
    assert staff_text(text, signed) == text


def test_no_signature_set_leaves_the_text_alone(settings):
    assert staff_text("See you at 3.", settings) == "See you at 3."
    settings.set("signature", "   ")
    assert staff_text("See you at 3.", settings) == "See you at 3."


def test_staff_replies_are_queued_signed_and_sent_signed(signed, clock):
    message = queue_message(ANNA, "See you at 3.", source="staff", settings=signed, clock=clock)
    assert message.body == "See you at 3.\n– Anna at Smile Dental"
    (job,) = take_jobs(settings=signed, clock=clock, limit=1)
    assert job.text == message.body


@pytest.mark.parametrize("source", ["cli", "reminder", "consent", "help"])
def test_other_sources_are_not_signed(signed, clock, source):
    message = queue_message(ANNA, "Your appointment", source=source, settings=signed, clock=clock)
    assert message.body == "Your appointment"


def test_parts_are_counted_on_the_signed_text(signed, clock):
    text = "x" * (160 - len(SIGNATURE))  # fits one SMS alone, not with the signature
    assert codec.plan(text).parts == 1
    message = queue_message(ANNA, text, source="staff", settings=signed, clock=clock)
    # The en dash is not GSM-7: the signed text goes as UCS-2 (70 a part), 3 parts.
    assert (message.encoding, message.parts) == ("ucs2", 3)
    assert message.parts == codec.plan(staff_text(text, signed)).parts
    assert MessagePart.select().where(MessagePart.message == message.id).count() == 3
    signed.set("signature", "- Anna")  # GSM-7: 157 characters + 7 no longer fit one SMS
    plain = queue_message(ANNA, "y" * 157, source="staff", settings=signed, clock=clock)
    assert (plain.encoding, plain.parts) == ("gsm7", 2)


def test_empty_staff_reply_is_still_refused(signed, clock):
    with pytest.raises(SendRefused, match="empty"):
        queue_message(ANNA, "  ", source="staff", settings=signed, clock=clock)


def test_a_resend_is_not_signed_twice(signed, clock):
    message = queue_message(ANNA, "See you at 3.", source="staff", settings=signed, clock=clock)
    (job,) = take_jobs(settings=signed, clock=clock, limit=1)
    on_send_failed(failed(job, 1, 1, retryable=False), clock=clock)
    again = resend(message.id, clock=clock)
    assert again.body == "See you at 3.\n– Anna at Smile Dental"
