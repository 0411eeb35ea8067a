"""The conversation list model: valid for Qt (qtmodeltester), lazy, ordered, filters, live moves."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QPersistentModelIndex, Qt

from desk.base.clock import to_db
from desk.read import queries
from desk.store import models as m
from tests.ui.conftest import NOW, ZONE
from ui.conversation_model import ConversationListModel, IdRole, RowRole


def test_model_passes_qtmodeltester(qtmodeltester, demo_db) -> None:
    model = ConversationListModel(zone=ZONE, page=7)
    model.reload()
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore():
        model.fetchMore()
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 25


def test_loads_in_pages_newest_first(demo_db) -> None:
    model = ConversationListModel(zone=ZONE, page=10)
    model.reload()
    assert model.rowCount() == 10 and model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == 25 and not model.canFetchMore()
    rows = [model.index(i, 0).data(RowRole) for i in range(25)]
    assert [r.last_activity_at for r in rows] == sorted(
        (r.last_activity_at for r in rows), reverse=True
    )
    assert rows[0].name == "Maria Lopez"
    assert "unread" in model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)


def test_filters(demo_db) -> None:
    model = ConversationListModel(zone=ZONE)
    model.set_filter("callback")
    assert [model.index(i, 0).data(RowRole).name for i in range(model.rowCount())] == ["Tom Becker"]
    model.set_filter("unread")
    assert model.rowCount() == queries.counts().unread


def test_refresh_moves_a_row_and_keeps_persistent_indexes(demo_db) -> None:
    model = ConversationListModel(zone=ZONE)
    model.reload()
    last = model.rowCount() - 1
    cid = model.index(last, 0).data(IdRole)
    keep = QPersistentModelIndex(model.index(last, 0))
    other = QPersistentModelIndex(model.index(0, 0))
    m.Conversation.update(
        last_activity_at=to_db(NOW + timedelta(minutes=5)), unread=3, last_preview="new!"
    ).where(m.Conversation.id == cid).execute()
    model.refresh(cid)
    assert model.index(0, 0).data(IdRole) == cid
    assert keep.row() == 0 and keep.data(IdRole) == cid
    assert other.row() == 1
    assert model.index(0, 0).data(RowRole).preview == "new!"


def test_new_conversation_appears_on_refresh(demo_db) -> None:
    model = ConversationListModel(zone=ZONE)
    model.reload()
    c = m.Contact.create(number="+12025550177", name="Zed New", created_at=to_db(NOW))
    conv = m.Conversation.create(contact=c, last_activity_at=to_db(NOW + timedelta(hours=1)))
    model.refresh(conv.id)
    assert model.rowCount() == 26
    assert model.index(0, 0).data(IdRole) == conv.id
    assert model.row_of(conv.id) == 0


def test_load_until_finds_a_row_beyond_the_first_page(demo_db) -> None:
    model = ConversationListModel(zone=ZONE, page=5)
    model.reload()
    oldest = queries.conversation_ids(limit=100)[-1]
    assert model.row_of(oldest) is None
    assert model.load_until(oldest) == 24
