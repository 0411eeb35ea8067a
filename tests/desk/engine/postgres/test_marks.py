"""The outbox's marks of what the modem did, fenced by the modem owner's generation on a real
PostgreSQL server: a stale owner's late report is refused, a text another owner claimed is left
alone, the owner's own reports go through; delivery reports need a current owner only."""

from __future__ import annotations

import psycopg
import pytest

from desk.base.clock import FakeClock
from desk.engine.owner import take_ownership
from desk.messaging import delivery, outbox
from desk.store import fencing
from desk.store.db import db
from desk.store.fencing import Fenced
from desk.store.models import DELIVERED, QUEUED, SENDING, SENT, Message
from modem.events import DeliveryReport, PartSent, PartSubmitting, SendFailed
from tests.desk.engine.postgres.conftest import NOW, queue_texts

CLOCK = FakeClock(NOW)


def new_owner(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as con:
        return take_ownership(con, "front-desk", NOW)


def claim(mid: int, generation: int) -> None:
    with db.atomic():
        fencing.claim_outgoing(generation, now=NOW, limit=1)
        assert fencing.mark_sending([mid], generation) == [mid]


def test_a_stale_owners_late_reports_are_refused_and_change_nothing(pg_url):
    (mid,) = queue_texts(1)
    old = new_owner(pg_url)
    claim(mid, old)
    new_owner(pg_url)  # another counter took the modem over
    sent = PartSent(job_id=mid, part=1, parts=1, reference=7, concat_ref=None)
    for mark, event in (
        (outbox.on_part_submitting, PartSubmitting(job_id=mid, part=1, parts=1, concat_ref=None)),
        (outbox.on_part_sent, sent),
        (outbox.on_send_failed, SendFailed(job_id=mid, part=1, parts=1, concat_ref=None,
                                           code=38, reason="No network.", retryable=True)),
    ):  # fmt: skip
        with pytest.raises(Fenced), db.atomic():
            mark(event, clock=CLOCK, generation=old)
    message = Message.get_by_id(mid)
    assert (message.state, message.parts_sent, message.owner_generation) == (SENDING, 0, old)
    report = DeliveryReport(token=None, reference=7, number="+12025550143", status=0,
                            delivered=True, final=True, discharge_time=None, raw="x")  # fmt: skip
    with pytest.raises(Fenced), db.atomic():
        delivery.on_delivery_report(report, clock=CLOCK, generation=old)


def test_the_owner_marks_its_own_claims_and_leaves_another_generations_alone(pg_url):
    mine, theirs = queue_texts(2)
    old = new_owner(pg_url)
    claim(theirs, old)
    gen = new_owner(pg_url)
    claim(mine, gen)
    done = []
    for mid in (mine, theirs):
        with db.atomic():
            submitting = PartSubmitting(job_id=mid, part=1, parts=1, concat_ref=None)
            done.append(outbox.on_part_submitting(submitting, clock=CLOCK, generation=gen))
            failed = SendFailed(job_id=mid, part=1, parts=1, concat_ref=None, code=38,
                                reason="No network.", retryable=True)  # fmt: skip
            done.append(outbox.on_send_failed(failed, clock=CLOCK, generation=gen))
    assert done == [mine, mine, None, None]
    assert Message.get_by_id(mine).state == QUEUED  # retried later, by this owner
    assert Message.get_by_id(theirs).state == SENDING  # recover_stale's business, not a mark's


def test_the_owner_records_a_text_sent_then_delivered(pg_url):
    (mid,) = queue_texts(1)
    gen = new_owner(pg_url)
    claim(mid, gen)
    with db.atomic():
        sent = PartSent(job_id=mid, part=1, parts=1, reference=42, concat_ref=None)
        assert outbox.on_part_sent(sent, clock=CLOCK, generation=gen) == mid
    assert Message.get_by_id(mid).state == SENT
    report = DeliveryReport(token=None, reference=42, number="+12025550143", status=0,
                            delivered=True, final=True, discharge_time=None, raw="r42")  # fmt: skip
    with db.atomic():
        assert delivery.on_delivery_report(report, clock=CLOCK, generation=gen) == mid
    assert Message.get_by_id(mid).state == DELIVERED
