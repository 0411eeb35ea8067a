"""One placeholder renderer: the empty-value rule, unknown placeholders, and the same text from
every caller (the composer's templates, a reminder, a consent reply) for one template and contact."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.compliance import consent
from desk.engine.incoming_rules import RULES
from desk.messaging import placeholders
from desk.messaging.contacts import contact_for_number
from desk.messaging.inbox import store_incoming
from desk.messaging.placeholders import Values, render, unknown
from desk.reminders.manage import render as reminder_text
from desk.reminders.manage import unknown_placeholders
from desk.reminders.scheduler import Scheduler
from desk.store.models import Message
from tests.desk.conftest import sms_event
from ui.templates import Context, expand, unfilled

ANNA = "+12015550123"
EMPTY = Values(first_name="", name="", shop="Smile Dental", signature="", service="")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi {first_name}, this is {shop}.", "Hi there, this is Smile Dental."),
        ("Hello {name}!", "Hello there!"),
        ("hey {first_name}", "hey there"),
        ("Thanks {first_name}!", "Thanks!"),
        ("Dear {name}, see you soon", "Dear, see you soon"),
        ("your {service} appointment", "your appointment"),
        ("{first_name} your car is ready", "your car is ready"),
        ("Ready. {signature}", "Ready."),
        ("Ready.\n{signature}", "Ready."),
        ("Bring {service} {service} forms", "Bring forms"),
    ],
)
def test_an_empty_value_closes_up_and_a_nameless_greeting_says_there(template, expected):
    assert render(template, EMPTY) == expected


def test_values_fill_in_and_unknown_or_unavailable_ones_stay_as_typed():
    values = Values(first_name="Anna", name="Anna Lee", shop="Smile Dental", signature="– Bo")
    assert render("Hi {first_name} ({name}), {shop}. {signature}", values) == (
        "Hi Anna (Anna Lee), Smile Dental. – Bo"
    )
    # {item} is unknown, {date} has no value here (the composer knows no date): both stay.
    text = render("Your {item} is ready on {date}, {first_name}", values)
    assert text == "Your {item} is ready on {date}, Anna"
    assert unknown("Your {item} is ready on {date}", values) == ["{item}", "{date}"]
    assert unknown("Your {item} is ready on {date}") == ["{item}"]


@given(name=st.text(st.characters(blacklist_characters="\x00{}"), max_size=20))
def test_a_name_is_inserted_as_given_or_the_rule_applies(name):
    text = render("Hi {first_name}, bye.", Values(first_name=name))
    if name.strip():
        assert text == f"Hi {name}, bye.".strip()
    else:
        assert text == "Hi there, bye."
    assert "\x00" not in text


def test_every_known_placeholder_has_a_value_field():
    assert tuple(f.name for f in dataclasses.fields(Values)) == placeholders.KNOWN


def test_unknown_placeholders_are_reported_the_same_way_by_composer_and_reminders():
    template = "Hi {first_name}, your {item} and {thing} {item}"
    assert unfilled(template) == ["{first_name}", "{item}", "{thing}"]
    assert unknown(template) == ["{item}", "{thing}"]
    assert ["{" + u + "}" for u in unknown_placeholders(template)] == unknown(template)


TEMPLATES = [
    "Hi {first_name}, {shop} here. Reply STOP to opt out.",
    "{shop}: thanks {name}! {signature}",
    "Hello {first_name}",
]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("name", [None, "Anna Lee"])
def test_composer_reminder_and_consent_reply_give_the_same_text(
    database, settings, clock, template, name
):
    settings.set("signature", "– Bo at Smile")
    settings.set("help_text", template)
    contact = contact_for_number(ANNA, clock=clock, name=name)

    # The composer: ui.templates with the context the window builds for a conversation.
    composer = expand(
        template,
        Context(
            first_name=contact.first_name,
            name=contact.name or "",
            shop=settings.get("shop_name"),
            signature=settings.get("signature"),
        ),
    )
    # A reminder, as the scheduler renders it (no {date}/{time}/{service} in these templates).
    reminder = reminder_text(template, contact=contact, settings=settings.snapshot())
    # A consent reply: the HELP answer the customer gets.
    clock.advance(60)
    result = store_incoming(
        sms_event(ANNA, "HELP", timestamp=clock.now()), settings=settings, clock=clock, rules=RULES
    )
    (reply_id,) = result.auto_replies
    help_reply = Message.get_by_id(reply_id).body

    assert composer == reminder == help_reply == consent.reply_text("help_text", contact, settings)
    assert "{" not in composer
    if name is None and template.startswith(("Hi", "Hello")):
        assert composer.startswith(("Hi there", "Hello there"))


def test_a_queued_reminder_reads_as_the_renderer_says(database, settings, clock):
    from desk.reminders.manage import create_reminder

    contact = contact_for_number(ANNA, clock=clock)  # no name
    create_reminder(
        recipients=[contact.id],
        text="Hi {first_name}, your {service} visit at {shop} is on {date} at {time}.",
        at=datetime(2026, 1, 5, 16, 0, tzinfo=UTC),
        settings=settings,
        clock=clock,
    )
    clock.advance(3600)
    (message_id,) = Scheduler(settings=settings, clock=clock).tick()
    body = Message.get_by_id(message_id).body
    assert body == "Hi there, your visit at Smile Dental is on Mon 5 Jan at 11:00 AM."
    tz = settings.shop_zone()
    assert placeholders.format_time(datetime(2026, 1, 5, 16, 0, tzinfo=UTC), tz) == "11:00 AM"
