"""Counting SMS (desk.messaging.sms_plan): the limits of GSM-7 and Unicode texts, the characters
that make a text Unicode, and the same count as the outbox queues on a real SQLite file."""

from __future__ import annotations

import pytest

from desk.base.clock import FakeClock
from desk.messaging import outbox, sms_plan
from desk.store.models import MessagePart
from desk.store.settings import Settings


@pytest.mark.parametrize(
    ("text", "encoding", "parts", "remaining"),
    [
        ("", "gsm7", 1, 160),
        ("Your car is ready", "gsm7", 1, 143),
        ("x" * 160, "gsm7", 1, 0),
        ("x" * 161, "gsm7", 2, 153 * 2 - 161),
        ("Price: 10€", "gsm7", 1, 160 - 11),  # € is an extension character: two septets
        ("Ready 🙂", "ucs2", 1, 70 - 8),  # the emoji takes two UTF-16 units
        ("ü" * 70, "gsm7", 1, 90),  # ü is in the GSM alphabet
        ("ç" * 71, "ucs2", 2, 67 * 2 - 71),
    ],
)
def test_plan_counts_parts_and_what_is_left(
    text: str, encoding: str, parts: int, remaining: int
) -> None:
    p = sms_plan.plan(text)
    assert (p.encoding, p.parts, p.remaining) == (encoding, parts, remaining)


def test_unicode_characters_are_named_once_in_order() -> None:
    assert sms_plan.unicode_characters("Hi 🙂 — see you 🙂 ç") == ["🙂", "—", "ç"]
    assert sms_plan.unicode_characters("Plain text, 10€ {ok}") == []
    assert sms_plan.needs_unicode("—") and not sms_plan.needs_unicode("€")


def test_the_outbox_queues_as_many_parts_as_the_plan_counts(
    database: object, settings: Settings, clock: FakeClock
) -> None:
    settings.set("signature", "— Smile Dental")  # the dash makes every signed reply Unicode
    text = "Your new crown has arrived; we can fit it on Thursday morning. " * 2
    message = outbox.queue_message(
        "+12025550177", text, source="staff", settings=settings, clock=clock
    )
    counted = sms_plan.plan(outbox.sign(text, settings.get("signature")))
    assert counted.encoding == "ucs2" == message.encoding
    assert counted.parts == message.parts == MessagePart.select().count() == 3
    assert counted.parts <= sms_plan.MAX_PARTS
