"""What staff decide about a text the modem could not confirm (uncertain) or that failed: send
it again (``resend``) or say whether it went out (``resolve_uncertain``). The window's buttons
"Resend" and "It went out" / "Not sent" come here through the engine (desk.engine.operations)."""

from __future__ import annotations

from desk.base.clock import Clock, to_db
from desk.messaging.outbox import SendRefused, _audit_sent
from desk.messaging.send_queue import CONSENT_SOURCES
from desk.messaging.send_queue import opted_out_reason as _opted_out_reason
from desk.store.db import db
from desk.store.models import FAILED, OUT, QUEUED, SENT, UNCERTAIN, Message, MessagePart

__all__ = ["resend", "resolve_uncertain"]


def resend(message_id: int, *, clock: Clock) -> Message:
    """Staff asked to send an uncertain or failed message again: back to ``queued``, continuing
    at the first part not recorded as sent, with the same concatenation reference. A message
    whose parts all went out but were reported undelivered is sent again whole."""
    with db.atomic():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == OUT))
        if message is None:
            raise SendRefused(f"There is no outgoing message {message_id}.")
        if message.state not in (UNCERTAIN, FAILED):
            raise SendRefused(
                f"This message is {message.state}; only failed or uncertain ones can be resent."
            )
        contact = message.conversation.contact
        if contact.opted_out and message.source not in CONSENT_SOURCES:
            raise SendRefused(_opted_out_reason(contact))
        if message.parts_sent >= message.parts:
            # Every part went out but it was not delivered (a failure report): send it all again.
            message.parts_sent = 0
            MessagePart.update(reference=None).where(MessagePart.message == message.id).execute()
        message.state = QUEUED
        message.error = None
        message.error_code = None
        message.attempts = 0
        message.next_attempt_at = None
        message.not_before = None if not message.automated else message.not_before
        message.save()
        MessagePart.update(state="pending", report_status=None).where(
            (MessagePart.message == message.id) & (MessagePart.seq > message.parts_sent)
        ).execute()
    return message


def resolve_uncertain(message_id: int, *, went_out: bool, clock: Clock) -> Message:
    """Staff know whether an uncertain message went out: ``sent`` or ``failed``."""
    with db.atomic():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == OUT))
        if message is None:
            raise SendRefused(f"There is no outgoing message {message_id}.")
        if message.state != UNCERTAIN:
            raise SendRefused(f"This message is {message.state}, not uncertain.")
        now = to_db(clock.now())
        if went_out:
            message.state = SENT
            message.sent_at = now
            message.parts_sent = message.parts
            message.error = None
            MessagePart.update(state="sent", sent_at=now).where(
                (MessagePart.message == message.id)
                & (MessagePart.state.not_in(("sent", "delivered", "failed")))
            ).execute()
            message.save()
            _audit_sent(message, clock)
        else:
            message.state = FAILED
            message.error = "Marked as not sent by staff."
            message.save()
    return message
