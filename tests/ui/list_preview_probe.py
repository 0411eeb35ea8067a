"""Run by tests/ui/test_list_preview.py in a process of its own (the screen and the text scale are
fixed when Qt starts): the real window, maximised on the 1366x768 screen, on the demo shop plus
one customer with a long name, three unread texts, a "Needs attention" mark, assigned to Anna and
a long last text; prints, as JSON, how the list's delegate lays out that row (the rectangles and
the strings its paint draws) at the list's width, and the height the list gave the row.

python -m tests.ui.list_preview_probe PROFILE_DIR TEXT_SCALE
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from desk.base.clock import to_db
from desk.base.paths import resolve_profile
from desk.demo.shop import populate
from desk.read import queries
from desk.store import models as m
from desk.store.db import close_database, db
from desk.store.profile_db import open_profile_database
from ui import session, theme
from ui.conversation_model import Marks, MarksRole, RowRole

NAME = "Alexandra Konstantinopoulou-Whitfield"
NUMBER = "+12025550188"
LAST = (
    "Hi, my crown came off while eating lunch and it hurts when I drink anything cold, "
    "can you fit me in tomorrow morning before 10?"
)


def _rect(r: QRectF) -> list[float]:
    return [r.x(), r.y(), r.width(), r.height()]


def add_customer() -> None:
    """The demo shop and the long-named customer, written before the engine starts."""
    now = datetime.now(UTC)
    populate()
    with db.atomic():
        contact = m.Contact.create(number=NUMBER, name=NAME, created_at=to_db(now))
        conv = m.Conversation.create(
            contact=contact,
            unread=3,
            last_activity_at=to_db(now),
            last_preview=LAST[:120],
            last_direction=m.IN,
            needs_attention=True,
            attention=m.ATTENTION_EARLIER,
            assigned_to="Anna",
        )
        for i, body in enumerate(("Hello?", "Are you open today?", LAST)):
            at = to_db(now - timedelta(minutes=2 - i))
            m.Message.create(
                conversation=conv,
                direction=m.IN,
                body=body,
                state=m.RECEIVED,
                created_at=at,
                sender_time=at,
                read=False,
                source="",
            )


def main(profile_dir: str, scale: float) -> int:
    app = QApplication(["textdesk"])
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    profile = resolve_profile(Path(profile_dir)).ensure()
    open_profile_database(profile)
    try:
        add_customer()
    finally:
        close_database()
    s = session.start(profile, virtual=True, customer=False, demo_data=True)
    try:
        w = s.window
        w.showMaximized()
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        view = w.list.view
        model = view.model()
        cid = queries.conversation_for_number(NUMBER)
        (index,) = [
            model.index(i, 0)
            for i in range(model.rowCount())
            if model.index(i, 0).data(RowRole).id == cid
        ]
        row = index.data(RowRole)
        marks = index.data(MarksRole)
        item = QRectF(view.visualRect(index))
        item.setWidth(view.viewport().width())  # as paint is given it (the view's whole width)
        vf = view.font()
        lay = w.list.delegate.row_layout(
            item, vf, row, marks if isinstance(marks, Marks) else Marks()
        )
        bold = QFontMetrics(theme.bold(vf))
        small = QFontMetrics(theme.small(vf))
        out: dict[str, Any] = {
            "window": [w.width(), w.height()],
            "font_px": QFontMetrics(vf).height(),
            "list_width": view.viewport().width(),
            "item": _rect(item),
            "row_height": view.visualRect(index).height(),
            "title": row.title(),
            "name": lay.name,
            "name_rect": _rect(lay.name_rect),
            "name_needs": bold.horizontalAdvance(lay.name),  # unread: the name is bold
            "time": _rect(lay.time_rect),
            "markers": [[t, _rect(r), small.horizontalAdvance(t)] for t, _c, r in lay.markers],
            "hidden": lay.hidden_markers,
            "badge": lay.badge_text,
            "badge_rect": _rect(lay.badge_rect) if lay.badge_rect is not None else None,
            "whole_preview": row.preview.replace("\n", " "),
            "preview": [
                [text, _rect(rect), bold.horizontalAdvance(text)]
                for text, rect in (
                    (lay.preview, lay.preview_rect),
                    (lay.preview2, lay.preview2_rect),
                )
                if text
            ],
        }
        print(json.dumps(out))
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
