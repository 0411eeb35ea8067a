"""The rules the engine has the inbox run on every incoming text (desk.messaging.inbox.IncomingRules).

The inbox sits below privacy, consent and appointments in the layering, so it receives them from
here instead of importing upward:

- ``is_sensitive``: desk.compliance.privacy.scan; a card number, ID number, password or IBAN flags
  the message ``sensitive`` (its preview is hidden, the window warns).
- ``mask``: desk.compliance.privacy.mask hides what the scan found (a card keeps its last four
  digits) before the body is written, unless the ``mask_sensitive`` setting is off.
- ``consent``: STOP / START / HELP keywords (desk.compliance.consent.on_incoming) record the
  opt-out or opt-in and queue the confirmation; a keyword is final, so no later rule sees it.
- ``appointment replies``: C / R answers to an appointment reminder
  (desk.reminders.appointments.on_incoming).
- ``keyword answers`` then ``away replies`` (desk.automations.replies): at most one automatic
  answer per message, never to a keyword, a free-text opt-out or an appointment answer.

Plain imports: a build that lacks one of these modules fails at start, it never runs without them.
"""

from __future__ import annotations

from desk.automations import replies
from desk.base.clock import Clock
from desk.compliance import consent, privacy
from desk.messaging.inbox import IncomingRules, MessageRule, RuleOutcome
from desk.reminders import appointments
from desk.store.models import Message
from desk.store.settings import Settings

__all__ = ["RULES", "appointment_rule", "consent_rule", "is_sensitive"]


def is_sensitive(text: str) -> bool:
    """True when the text holds something the privacy scan would warn about."""
    return bool(privacy.scan(text))


def consent_rule(message: Message, settings: Settings, clock: Clock) -> RuleOutcome:
    replies = consent.on_incoming(message, settings=settings, clock=clock)
    return RuleOutcome(auto_replies=tuple(replies), final="keyword" in message.flag_list)


def appointment_rule(message: Message, settings: Settings, clock: Clock) -> RuleOutcome:
    return RuleOutcome(appointment_id=appointments.on_incoming(message, clock=clock))


RULES = IncomingRules(
    is_sensitive=is_sensitive,
    mask=privacy.mask,
    on_complete=(
        MessageRule("consent", consent_rule),
        MessageRule("appointment replies", appointment_rule),
        MessageRule("keyword answers", replies.keyword_rule),
        MessageRule("away replies", replies.away_rule),
    ),
)
