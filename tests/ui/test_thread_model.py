"""The thread model: day headers, older pages prepended, live additions and state changes."""

from __future__ import annotations

from datetime import timedelta

from desk.base.clock import to_db
from desk.read import queries
from desk.store import models as m
from tests.ui.conftest import NOW, ZONE
from ui.thread_model import DayItem, ItemRole, ThreadModel


def _big_thread(days: int = 20, per_day: int = 6) -> int:
    c = m.Contact.create(number="+12025550160", name="Long Story", created_at=to_db(NOW))
    conv = m.Conversation.create(contact=c, last_activity_at=to_db(NOW))
    rows = []
    for d in range(days):
        for i in range(per_day):
            at = NOW - timedelta(days=days - d) + timedelta(hours=1 + i)
            rows.append(
                {
                    "conversation": conv.id,
                    "direction": m.OUT if i % 2 else m.IN,
                    "body": f"d{d} i{i}",
                    "state": m.DELIVERED if i % 2 else m.RECEIVED,
                    "created_at": to_db(at),
                }
            )
    m.Message.insert_many(rows).execute()
    return conv.id


def _check_days(model: ThreadModel) -> None:
    items = [model.index(i, 0).data(ItemRole) for i in range(model.rowCount())]
    assert isinstance(items[0], DayItem)
    days = [it.day for it in items if isinstance(it, DayItem)]
    assert days == sorted(set(days)), "each day has exactly one header, in order"
    current = None
    for it in items:
        if isinstance(it, DayItem):
            current = it.day
        else:
            assert it.created_at.astimezone(ZONE).date() == current


def test_thread_model_passes_qtmodeltester(qtmodeltester, demo_db) -> None:
    model = ThreadModel(zone=ZONE, page=10)
    model.load(_big_thread())
    qtmodeltester.check(model, force_py=True)
    model.load_older()
    qtmodeltester.check(model, force_py=True)


def test_older_pages_prepend_whole_days(demo_db) -> None:
    cid = _big_thread()
    model = ThreadModel(zone=ZONE, page=10)
    model.load(cid)
    _check_days(model)
    first = len(model.messages())
    assert model.has_more and first >= 10
    while model.has_more:
        assert model.load_older() > 0
        _check_days(model)
    msgs = model.messages()
    assert len(msgs) == 120
    assert [r.key for r in msgs] == sorted(r.key for r in msgs)


def test_live_add_and_update(demo_db) -> None:
    cid = queries.conversation_for_number("+12025550102")
    model = ThreadModel(zone=ZONE)
    model.load(cid)
    before = model.rowCount()
    msg = m.Message.create(
        conversation=cid, direction=m.OUT, body="On my way", state=m.QUEUED,
        created_at=to_db(NOW + timedelta(days=1)),
    )  # fmt: skip
    assert model.add_message(msg.id)
    assert model.rowCount() == before + 2  # a new day header and the message
    assert model.add_message(msg.id) is False or model.rowCount() == before + 2
    m.Message.update(state=m.DELIVERED).where(m.Message.id == msg.id).execute()
    assert model.update_message(msg.id)
    assert model.messages()[-1].state == m.DELIVERED
    other = queries.conversation_for_number("+12025550103")
    stray = m.Message.create(
        conversation=other, direction=m.IN, body="x", state=m.RECEIVED, created_at=to_db(NOW)
    )
    assert not model.add_message(stray.id)


def test_jump_loads_until_an_old_message(demo_db) -> None:
    cid = _big_thread()
    oldest = (
        m.Message.select()
        .where(m.Message.conversation == cid)
        .order_by(m.Message.created_at)
        .first()
    )
    model = ThreadModel(zone=ZONE, page=6)
    model.load(cid)
    assert model.row_of(oldest.id) is None
    assert model.load_until(oldest.id) is not None
