"""One time format in the window, the computer's own (issue 13 item 15): the conversation list,
the thread and the notes' dates write a time of day the same way, QLocale's short time
without seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QLocale, QTime

from desk.read import queries
from tests.ui.conftest import Desk
from ui import fmt
from ui.conversation_model import RowRole
from ui.thread_model import describe


def test_the_list_and_the_thread_write_times_the_computers_way(desk: Desk) -> None:
    w = desk.window
    model = w.list.model
    row = model.index(0, 0).data(RowRole)
    assert isinstance(row, queries.ConversationRow)
    now = row.last_activity_at  # "today" for the list: its time of day, not a date
    shown = fmt.list_time(row.last_activity_at, w.zone, now)
    t = fmt.local(row.last_activity_at, w.zone)
    short = QLocale.system().timeFormat(QLocale.FormatType.ShortFormat).replace(":ss", "")
    assert shown == QLocale.system().toString(QTime(t.hour, t.minute), short.strip() or "HH:mm")
    assert ":" in shown and shown.count(":") == 1, "no seconds"
    assert w.list.select(row.id)
    msg = desk.wait(lambda: next(iter(w.thread.model.messages()), None))
    assert f"at {fmt.clock_time(msg.created_at, w.zone)}:" in describe(msg, w.zone)
    when = datetime(2026, 3, 10, 14, 5, tzinfo=UTC)
    assert fmt.hour_minute(fmt.local(when, w.zone)) in fmt.date_time(when, w.zone)
