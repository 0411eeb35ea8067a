"""Card numbers customers text in are masked as the message is stored (issue 13 item 11): the
full number is not in the message, its parts, the raw PDU or the search index once committed."""

from __future__ import annotations

from desk.engine.incoming_rules import RULES
from desk.messaging.inbox import store_incoming
from desk.read import search
from desk.store.db import db
from desk.store.models import AuditLog, IncomingPart, Message
from tests.desk.conftest import sms_event

ANNA = "+12015550123"
CARD = "4111 1111 1111 1111"


def _store(text: str, settings, clock) -> Message:
    result = store_incoming(sms_event(ANNA, text), settings=settings, clock=clock, rules=RULES)
    return Message.get_by_id(result.message_id)


def test_a_card_number_is_masked_before_it_is_committed(database, settings, clock) -> None:
    message = _store(f"My card is {CARD} exp 12/28", settings, clock)
    assert message.masked and "sensitive" in message.flag_list
    assert message.body == "My card is •••• •••• •••• 1111 exp 12/28"
    part = IncomingPart.get()
    assert "4111" not in part.text and part.raw_data == ""
    blocks = [bytes(b) for (b,) in db.execute_sql("SELECT block FROM message_fts_data")]
    assert blocks and not any(b"4111" in b for b in blocks)  # the index never saw it
    assert [h for h in search.search("4111") if h.message_id is not None] == []
    assert AuditLog.select().where(AuditLog.action == "masked").count() == 1


def test_the_shop_can_keep_them_in_clear(database, settings, clock) -> None:
    settings.set("mask_sensitive", False)
    message = _store(f"My card is {CARD}", settings, clock)
    assert not message.masked and CARD in message.body
    assert "sensitive" in message.flag_list  # still flagged: the preview hides it
