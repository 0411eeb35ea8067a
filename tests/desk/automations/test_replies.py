"""Keyword answers and away replies through the real inbox rules (a real SQLite file, real PDUs,
an injected clock): opening hours across midnight and DST, once-per-N-hours limits that hold
across restarts, opted-out customers, STOP and appointment answers never answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk.automations import keywords
from desk.automations.keywords import KeywordError
from desk.base.clock import FakeClock
from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import store_incoming
from desk.store.models import OUT, AuditLog, Contact, Message
from desk.store.settings import Settings
from tests.desk.conftest import sms_event

ANNA = "+12015550123"
NEW_YORK = ZoneInfo("America/New_York")
# New York: Monday 2026-01-05 is a weekday; the shop opens 09:00-17:00, Saturday mornings.
HOURS = "mon-fri 09:00-17:00; sat 10:00-13:00"


def ny(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    """A New York wall time (in January 2026 unless ``month`` says otherwise) as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def shop(settings: Settings) -> Settings:
    settings.set("opening_hours", HOURS)
    settings.set("away_reply", True)
    return settings


def receive(text: str, settings: Settings, clock: FakeClock, sender: str = ANNA) -> Message:
    event = sms_event(sender, text, timestamp=clock.now())
    result = store_incoming(event, settings=settings, clock=clock, rules=RULES)
    assert result.message_id is not None
    message: Message = Message.get_by_id(result.message_id)
    return message


def answers(source: str | None = None) -> list[Message]:
    q = Message.select().where(Message.direction == OUT).order_by(Message.id)
    return [m for m in q if source is None or m.source == source]


def test_rules_run_in_order_consent_first() -> None:
    assert [r.name for r in RULES.on_complete] == [
        "consent", "appointment replies", "keyword answers", "away replies",
    ]  # fmt: skip


# --- away replies -------------------------------------------------------------------------


def test_a_text_after_closing_gets_one_away_reply_naming_the_next_opening(shop):
    clock = FakeClock(ny(5, 18, 30))  # Monday evening
    receive("Is my crown ready?", shop, clock)
    (reply,) = answers("away")
    assert reply.body == (
        "Smile Dental: thanks for your text. We are closed now and will answer tomorrow at 09:00."
    )
    assert not reply.automated  # a direct answer: quiet hours do not hold it
    clock.advance(timedelta(hours=1))
    receive("Hello?", shop, clock)  # within away_every_hours: no second away reply
    assert len(answers("away")) == 1
    assert AuditLog.select().where(AuditLog.action == "automation").count() == 1


def test_inside_opening_hours_nobody_gets_an_away_reply(shop):
    receive("Is my crown ready?", shop, FakeClock(ny(5, 10)))
    assert answers() == []


def test_no_away_reply_when_it_is_off_or_no_hours_are_set(settings):
    settings.set("opening_hours", HOURS)
    receive("hello", settings, FakeClock(ny(5, 22)))  # away_reply is off by default
    settings.set("away_reply", True)
    settings.set("opening_hours", "")
    receive("hello again", settings, FakeClock(ny(5, 23)))
    assert answers() == []


def test_the_limit_holds_across_a_restart_and_ends_after_its_hours(shop):
    clock = FakeClock(ny(9, 20))  # Friday evening
    receive("hi", shop, clock)
    assert answers("away")[0].body.endswith("will answer tomorrow at 10:00.")
    restarted = Settings()  # a new process reads the same database
    clock.advance(timedelta(hours=11))
    receive("anyone?", restarted, clock)
    assert len(answers("away")) == 1
    clock.advance(timedelta(hours=2))  # 13 h after the first: a new away reply (Saturday 09:00)
    receive("still there?", restarted, clock)
    assert answers("away")[-1].body.endswith("will answer today at 10:00.")


def test_stop_outside_hours_gets_the_confirmation_only(shop):
    receive("STOP", shop, FakeClock(ny(5, 23)))
    (only,) = answers()
    assert only.source == "consent"
    assert Contact.get(Contact.number == ANNA).opted_out
    receive("why did you text me", shop, FakeClock(ny(6, 0, 30)))  # opted out: nothing
    assert len(answers()) == 1


def test_a_free_text_opt_out_or_a_withheld_sender_gets_no_away_reply(shop):
    receive("please stop texting me", shop, FakeClock(ny(5, 23)))
    receive("hello", shop, FakeClock(ny(5, 23)), sender="Withheld")
    assert answers() == []


def test_opening_hours_across_midnight_and_dst(settings):
    settings.set("opening_hours", "fri-sat 20:00-02:00")
    settings.set("away_reply", True)
    receive("open?", settings, FakeClock(ny(10, 1, 30)))  # Saturday 01:30: Friday's night
    assert answers() == []
    receive("open now?", settings, FakeClock(ny(10, 2, 30)))
    assert answers("away")[0].body.endswith("will answer today at 20:00.")
    # New York springs forward on Sunday 2026-03-08: Saturday 20:00 EST is 01:00 UTC Sunday.
    settings.set("opening_hours", "sun 02:30-05:00")  # 02:30 does not exist that morning
    Message.delete().execute()
    clock = FakeClock(datetime(2026, 3, 8, 6, 0, tzinfo=UTC))  # 01:00 EST
    receive("hello", settings, clock)
    assert answers("away")[0].body.endswith("will answer today at 03:00.")


# --- keyword answers ----------------------------------------------------------------------


def test_a_keyword_gets_its_answer_and_no_away_reply_as_well(shop):
    clock = FakeClock(ny(5, 22))
    keywords.add("Hours", "We are open Mon-Fri 9-5, Sat 10-1. {shop}", clock=clock)
    incoming = receive("What are your HOURS?", shop, clock)
    (reply,) = answers()
    assert (reply.source, reply.body) == (
        "keyword",
        "We are open Mon-Fri 9-5, Sat 10-1. Smile Dental",
    )
    assert "keyword_answered" in Message.get_by_id(incoming.id).flag_list
    receive("hours", shop, clock)  # the same answer again within the hour: not sent
    assert len(answers("keyword")) == 1
    clock.advance(timedelta(minutes=61))
    receive("hours", shop, clock)
    assert len(answers("keyword")) == 2


def test_keywords_ignore_case_accents_and_prefer_the_longest(database, clock):
    keywords.add("hours", "short", clock=clock)
    keywords.add("Öffnungszeiten", "lang", clock=clock)
    keywords.add("opening hours", "long", clock=clock)
    assert keywords.match("offnungszeiten?").answer == "lang"
    assert keywords.match("what are your opening hours").answer == "long"
    assert keywords.match("HOURS!!").answer == "short"
    assert keywords.match("the hourglass") is None


@pytest.mark.parametrize("word", ["STOP", "Unsubscribe", "help", "start", "C", "yes", "stop now"])
def test_reserved_words_are_refused_with_a_reason(database, clock, word):
    with pytest.raises(KeywordError, match="is reserved"):
        keywords.add(word, "anything", clock=clock)


def test_a_keyword_is_refused_empty_duplicate_or_without_answer(database, clock):
    keywords.add("address", "12 High St", clock=clock)
    with pytest.raises(KeywordError, match="already an answer"):
        keywords.add("ADDRESS", "again", clock=clock)
    with pytest.raises(KeywordError, match="at least one letter"):
        keywords.add("?!", "x", clock=clock)
    with pytest.raises(KeywordError, match="answer is empty"):
        keywords.add("prices", "  ", clock=clock)


def test_a_disabled_keyword_is_not_answered_and_the_daily_limit_holds(settings, clock):
    row = keywords.add("prices", "See our price list at example.com", clock=clock)
    keywords.update(row.id, enabled=False, clock=clock)
    receive("prices", settings, clock)
    assert answers() == []
    keywords.update(row.id, enabled=True, clock=clock)
    for _ in range(keywords.DAILY_LIMIT + 3):
        receive("prices", settings, clock)
        clock.advance(timedelta(minutes=61))
    assert len(answers("keyword")) == keywords.DAILY_LIMIT
