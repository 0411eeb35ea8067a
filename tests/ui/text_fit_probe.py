"""Run by tests/ui/test_text_fit.py in a process of its own (the screen and the text scale are
fixed when Qt starts): the real window on the demo shop with the virtual modem, two staff members
(Olivia's conversation assigned to Anna, Ahmed's to Ben, so their names carry markers), Anna's
internal note in Olivia's thread, the SIM balance asked, and the long note an erasure leaves in
the status bar; prints, as JSON, what each of those shows and the room it was given.

python -m tests.ui.text_fit_probe PROFILE_DIR TEXT_SCALE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from desk.base.events import ModemState
from desk.base.paths import resolve_profile
from desk.compliance import erase
from desk.engine import window_ops
from desk.messaging import staff
from desk.messaging.notes import NoteRow
from desk.read import queries
from ui import session, staff_actions, window_actions
from ui.conversation_model import Marks, MarksRole, RowRole
from ui.thread_model import ItemRole

NOTE = "Wants the 9:30 slot on Thursday; I said I would confirm today."


def _rect(r: QRectF) -> list[float]:
    return [r.x(), r.y(), r.width(), r.height()]


def main(profile_dir: str, scale: float) -> int:
    app = QApplication(["textdesk"])
    font = app.font()
    base_px = QFontMetrics(font).height()
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    profile = resolve_profile(Path(profile_dir)).ensure()
    s = session.start(profile, virtual=True, customer=False, demo_data=True)

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    try:
        w, e = s.window, s.engine
        for name in ("Anna", "Ben"):
            e.call(staff.add_staff, name, None, clock=e.clock).result(10)
        e.call(staff.sign_in, "Anna", None, e.profile.counter, clock=e.clock).result(10)
        w.signed_in = "Anna"
        w.list.set_staff("Anna")
        for number, who in (("+12025550106", "Ben"), ("+12025550112", "Anna")):
            cid = queries.conversation_for_number(number)
            assert cid is not None
            e.call(window_ops.assign, cid, who, by="Anna", clock=e.clock).result(10)
        w.showMaximized()
        deadline = time.monotonic() + 30
        while e.modem_status.state != ModemState.READY and time.monotonic() < deadline:
            settle(0.01)
        e.query_balance()
        while w.status.balance.text() in ("SIM balance", "Asking…") and time.monotonic() < deadline:
            settle(0.01)
        w.update_counts()
        staff_actions._show_signed_in(w)
        w.list.refresh()
        w.list.select(queries.conversation_for_number("+12025550112"))
        settle()
        window_actions.add_note(w, NOTE)
        while "Note added" not in w.status.currentMessage() and time.monotonic() < deadline:
            settle(0.01)
        settle()
        out: dict[str, Any] = {"base_px": base_px, "window": [w.width(), w.height()]}

        # The SIM balance: its words, the width they need, the width the button has.
        bal = w.status.balance
        out["balance"] = {
            "text": bal.text(),
            "tip": bal.toolTip(),
            "needs": bal.fontMetrics().horizontalAdvance(bal.text()),
            "width": bal.width(),
            "right": bal.mapTo(w, bal.rect().topRight()).x(),
            "visible": bal.isVisible(),
            "font_px": bal.fontMetrics().height(),
        }

        # A long note (what erasing a customer says) in the status bar.
        long_text = f"Customer erased. {erase.backup_note().capitalize()}."
        w.status.showMessage(long_text, 10000)
        settle()
        bar = w.status
        shown = bar.long_note if bar.long_note.isVisible() else bar.note
        out["long_note"] = {
            "text": long_text,
            "current": bar.currentMessage(),
            "band": bar.long_note.isVisible(),
            "shown": shown.text().replace("\u200b", ""),
            "inline": bar.note.text(),
            "needs_height": shown.heightForWidth(shown.width()) if bar.long_note.isVisible() else 0,
            "height": shown.height(),
            "width": shown.width(),
            "needs_width": shown.fontMetrics().horizontalAdvance(shown.text()),
            "rect": [
                *shown.mapTo(w, shown.rect().topLeft()).toTuple(),
                shown.width(),
                shown.height(),
            ],
            "state_visible": bar.state.isVisible() and "Ready" in bar.state.text(),
            "bar_bottom": bar.mapTo(w, bar.rect().bottomLeft()).y(),
        }
        w.status.showMessage("Saved.", 10000)
        settle()
        out["short_note"] = {"inline": bar.note.text(), "band": bar.long_note.isVisible()}

        # Every conversation row, as the list's delegate lays it out at the list's width.
        view = w.list.view
        model = view.model()
        rows = []
        for i in range(model.rowCount()):
            index = model.index(i, 0)
            row = index.data(RowRole)
            marks = index.data(MarksRole)
            rect = QRectF(view.visualRect(index))
            rect.setWidth(view.viewport().width())
            lay = w.list.delegate.row_layout(
                rect, view.font(), row, marks if isinstance(marks, Marks) else Marks()
            )
            rows.append(
                {
                    "title": row.title(),
                    "drawn": lay.name,
                    "name_right": lay.name_rect.left()
                    + QFontMetrics(view.font()).horizontalAdvance(lay.name),
                    "markers": [[t, _rect(r)] for t, _c, r in lay.markers],
                    "hidden": lay.hidden_markers,
                    "time": _rect(lay.time_rect),
                    "name_rect": _rect(lay.name_rect),
                    "item": _rect(rect),
                    "preview": lay.preview,
                    "preview2": lay.preview2,
                    "whole_preview": ("You: " if row.last_direction == "out" else "")
                    + row.preview.replace("\n", " "),
                    "preview_rect": _rect(lay.preview_rect),
                    "preview2_rect": _rect(lay.preview2_rect),
                    "badge": _rect(lay.badge_rect) if lay.badge_rect is not None else None,
                    "lines": lay.lines,
                    "line_px": QFontMetrics(view.font()).height(),
                }
            )
        out["rows"] = rows
        out["list_width"] = view.viewport().width()

        # Anna's note in Olivia's thread, as the thread's delegate lays it out.
        tview = w.thread.view
        notes = []
        for i in range(tview.model().rowCount()):
            item = tview.model().index(i, 0).data(ItemRole)
            if isinstance(item, NoteRow):
                _size, _box, _head, text_rect, lines = w.thread.delegate.note_text_layout(
                    item, tview.font()
                )
                notes.append(
                    {
                        "body": item.body,
                        "lines": lines.texts(),
                        "line_width": text_rect.width(),
                        "widths": [
                            QFontMetrics(tview.font()).horizontalAdvance(word)
                            for word in item.body.split()
                        ],
                    }
                )
        out["notes"] = notes
        print(json.dumps(out))
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
