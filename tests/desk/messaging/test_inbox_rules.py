"""Inbox rules: the sensitive-data scan and the rules run on a complete message (order, a final
outcome, failures reported and never losing the message), and what the store result carries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.base.clock import to_db
from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import (
    IncomingRules,
    MessageRule,
    RuleOutcome,
    flush_incomplete,
    store_incoming,
)
from desk.store.models import INCOMPLETE, Contact, Conversation, IncomingPart, Message
from desk.store.settings import Settings
from tests.desk.conftest import sms_event, sms_events

ANNA = "+12015550123"
LONG = (
    "Hello, this is Anna. My crown came loose this morning while eating breakfast and I would "
    "like to come in today if at all possible. I can be there any time after two o'clock. Also "
    "could you tell me whether the insurance covers it? Thanks a lot, see you soon!"
)


def test_sensitive_incoming_is_flagged_and_kept_out_of_the_preview(database, settings, clock):
    result = store_incoming(
        sms_event(ANNA, "my card is 4111 1111 1111 1111"), settings=settings, clock=clock,
        rules=RULES,
    )  # fmt: skip
    message = Message.get_by_id(result.message_id)
    assert "sensitive" in message.flag_list
    assert "4111" not in Conversation.get().last_preview
    plain = store_incoming(sms_event(ANNA, "thanks"), settings=settings, clock=clock, rules=RULES)
    assert Message.get_by_id(plain.message_id).flags == ""


def test_real_privacy_scan_flags_a_card_number(database, settings, clock):
    result = store_incoming(
        sms_event(ANNA, "card 4111 1111 1111 1111 exp 12/28"), settings=settings, clock=clock,
        rules=RULES,
    )  # fmt: skip
    assert "sensitive" in Message.get_by_id(result.message_id).flag_list


class Recording:
    """IncomingRules whose rules record what they were given (the inbox's side of the wiring)."""

    def __init__(self, *, final_on: str = "STOP", appointment: int | None = None) -> None:
        self.scanned: list[str] = []
        self.calls: list[tuple[str, int, str]] = []
        self.final_on = final_on
        self.appointment = appointment

    def _first(self, message: Message, settings: Settings, clock: object) -> RuleOutcome:
        self.calls.append(("first", message.id, message.body))
        return RuleOutcome(auto_replies=(7,), final=message.body == self.final_on)

    def _second(self, message: Message, settings: Settings, clock: object) -> RuleOutcome:
        self.calls.append(("second", message.id, message.body))
        return RuleOutcome(appointment_id=self.appointment)

    def _scan(self, text: str) -> bool:
        self.scanned.append(text)
        return "secret" in text

    @property
    def rules(self) -> IncomingRules:
        return IncomingRules(
            is_sensitive=self._scan,
            on_complete=(MessageRule("first", self._first), MessageRule("second", self._second)),
        )


def test_rules_run_in_order_once_complete_and_a_final_outcome_ends_the_list(
    database, settings, clock
):
    rec = Recording()
    rules = rec.rules
    events = sms_events(ANNA, LONG, concat_ref=3)
    store_incoming(events[0], settings=settings, clock=clock, rules=rules)
    assert rec.calls == []  # not while incomplete
    result = store_incoming(events[1], settings=settings, clock=clock, rules=rules)
    assert rec.calls == [("first", result.message_id, LONG), ("second", result.message_id, LONG)]
    assert result.auto_replies == [7]
    store_incoming(events[1], settings=settings, clock=clock, rules=rules)  # duplicate: not again
    assert len(rec.calls) == 2
    stop = store_incoming(sms_event(ANNA, "STOP"), settings=settings, clock=clock, rules=rules)
    assert rec.calls[2:] == [("first", stop.message_id, "STOP")]  # final: "second" never sees it


def test_an_incomplete_message_is_scanned_but_no_rule_runs(database, settings, clock):
    rec = Recording()
    events = sms_events(ANNA, "the secret is out " * 10, concat_ref=5)
    store_incoming(events[0], settings=settings, clock=clock, rules=rec.rules)
    clock.advance(timedelta(minutes=11))
    (mid,) = flush_incomplete(clock=clock, rules=rec.rules, timeout=timedelta(minutes=10))
    message = Message.get_by_id(mid)
    assert message.state == INCOMPLETE and "sensitive" in message.flag_list
    assert rec.scanned and rec.calls == []


def test_the_inbox_refuses_to_run_without_its_rules(database, settings, clock):
    """No default: a caller that forgets the rules (and with them STOP handling) fails at once,
    and nothing is stored half-handled."""
    with pytest.raises(TypeError, match="rules"):
        store_incoming(sms_event(ANNA, "STOP"), settings=settings, clock=clock)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="rules"):
        flush_incomplete(clock=clock)  # type: ignore[call-arg]
    assert IncomingPart.select().count() == 0 and Message.select().count() == 0
    with pytest.raises(TypeError):
        IncomingRules(is_sensitive=None, on_complete=())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        IncomingRules(is_sensitive=bool, on_complete=(print,))  # type: ignore[arg-type]


def test_a_failing_rule_never_loses_the_message_and_is_reported(database, settings, clock):
    seen: list[str] = []

    def broken(message: Message, settings: Settings, clock: object) -> RuleOutcome:
        Message.update(body="damaged").where(Message.id == message.id).execute()
        message.body = "damaged"
        raise RuntimeError("bug in the rule")

    def after(message: Message, settings: Settings, clock: object) -> RuleOutcome:
        seen.append(message.body)
        return RuleOutcome()

    rules = IncomingRules(
        is_sensitive=RULES.is_sensitive,
        on_complete=(MessageRule("appointment replies", broken), MessageRule("after", after)),
    )
    result = store_incoming(sms_event(ANNA, "C"), settings=settings, clock=clock, rules=rules)
    assert Message.get_by_id(result.message_id).body == "C"  # its savepoint was undone
    assert seen == ["C"]  # the next rule still ran, on the message as stored
    assert result.problem is not None
    assert "appointment replies" in result.problem and "bug in the rule" in result.problem


def test_a_failing_consent_step_is_reported_and_the_stop_kept(
    database, settings, clock, monkeypatch
):
    from desk.compliance import consent

    def broken_consent(message, *, settings, clock):
        raise RuntimeError("bug in consent")

    monkeypatch.setattr(consent, "on_incoming", broken_consent)
    result = store_incoming(
        sms_event(ANNA, "STOP", timestamp=clock.now()), settings=settings, clock=clock,
        rules=RULES,
    )  # fmt: skip
    assert Message.get_by_id(result.message_id).body == "STOP"
    assert result.problem is not None and "consent" in result.problem


def test_a_failing_sensitive_scan_is_reported(database, settings, clock):
    def scan(text: str) -> bool:
        raise ValueError("pattern broke")

    rules = IncomingRules(is_sensitive=scan, on_complete=RULES.on_complete)
    result = store_incoming(sms_event(ANNA, "hello"), settings=settings, clock=clock, rules=rules)
    assert Message.get_by_id(result.message_id).body == "hello"
    assert result.problem is not None and "card numbers" in result.problem


def test_store_result_carries_the_appointment_the_reply_answered(database, settings, clock):
    from desk.store.models import Appointment, Reminder, ReminderRun

    contact = Contact.create(number=ANNA, created_at=to_db(clock.now()))
    appointment = Appointment.create(
        contact=contact,
        starts_at=to_db(clock.now() + timedelta(days=1)),
        created_at=to_db(clock.now()),
    )
    reminder = Reminder.create(
        text="Reply C to confirm", appointment=appointment, created_at=to_db(clock.now())
    )
    ReminderRun.create(
        reminder=reminder,
        contact=contact,
        due_at=to_db(clock.now()),
        state="queued",
        created_at=to_db(clock.now()),
    )
    other = store_incoming(
        sms_event(ANNA, "What time again?"), settings=settings, clock=clock, rules=RULES
    )
    assert other.appointment_id is None
    result = store_incoming(
        sms_event(ANNA, "C", timestamp=clock.now()), settings=settings, clock=clock, rules=RULES
    )
    assert result.appointment_id == appointment.id
    assert Appointment.get_by_id(appointment.id).state == "confirmed"
    again = store_incoming(
        sms_event(ANNA, "C", timestamp=clock.now()), settings=settings, clock=clock, rules=RULES
    )
    assert again.duplicate and again.appointment_id is None  # handled once, reported once


def test_store_result_carries_what_the_rules_returned(database, settings, clock):
    rec = Recording(appointment=4242)
    result = store_incoming(sms_event(ANNA, "yes"), settings=settings, clock=clock, rules=rec.rules)
    assert result.appointment_id == 4242 and result.auto_replies == [7]
    events = sms_events(ANNA, LONG, concat_ref=9)
    first = store_incoming(events[0], settings=settings, clock=clock, rules=rec.rules)
    assert first.appointment_id is None and first.auto_replies == []
    assert (
        store_incoming(events[1], settings=settings, clock=clock, rules=rec.rules).appointment_id
        == 4242
    )
