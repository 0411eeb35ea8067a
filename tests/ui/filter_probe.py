"""Run by tests/ui/test_filter_buttons.py in a process of its own (the screen and the text scale
are fixed when Qt starts): the real window on the demo shop with the virtual modem and two staff
members (so the Mine/Unassigned filters show), one signed in, a conversation open (its "Assign
to" box shown), the SIM balance and a message in the status bar; prints, as JSON, each filter button's text, the
width its text needs (its font's metrics) and the width it was given, and the window's minimum.

python -m tests.ui.filter_probe PROFILE_DIR TEXT_SCALE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from desk.base.events import ModemState
from desk.base.paths import resolve_profile
from desk.messaging import staff
from desk.read import queries
from ui import session, staff_actions


def main(profile_dir: str, scale: float) -> int:
    app = QApplication(["textdesk"])
    font = app.font()
    base_px = QFontMetrics(font).height()
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    profile = resolve_profile(Path(profile_dir)).ensure()
    s = session.start(profile, virtual=True, customer=False, demo_data=True)
    try:
        w = s.window
        e = s.engine
        for name in ("Anna", "Ben"):
            e.call(staff.add_staff, name, None, clock=e.clock).result(10)
        e.call(staff.sign_in, "Anna", None, e.profile.counter, clock=e.clock).result(10)
        w.signed_in = "Anna"
        w.list.set_staff("Anna")
        w.showMaximized()
        deadline = time.monotonic() + 30
        while s.engine.modem_status.state != ModemState.READY and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        s.engine.query_balance()  # the SIM's balance in the status bar too, as staff see it
        while w.status.balance.text() in ("SIM balance", "Asking…") and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        w.update_counts()
        staff_actions._show_signed_in(w)
        w.list.select(queries.conversation_for_number("+12025550112"))
        w.status.showMessage("Note added (not sent).", 60_000)  # a passing message as well
        for _ in range(30):
            app.processEvents()
            time.sleep(0.01)
        buttons = []
        for name, b in w.list.filter_buttons.items():
            fm = b.fontMetrics()
            buttons.append(
                {
                    "name": name,
                    "text": b.text(),
                    "tip": b.toolTip(),
                    "visible": b.isVisible(),
                    "needs": fm.horizontalAdvance(b.text()),
                    "hint": b.sizeHint().width(),
                    "width": b.width(),
                    "rect": [*b.mapTo(w, b.rect().topLeft()).toTuple(), b.width(), b.height()],
                    "font_px": fm.height(),
                }
            )
        out = {
            "window": [w.width(), w.height()],
            "base_px": base_px,
            "list_width": w.list.width(),
            "list_right": w.list.mapTo(w, w.list.rect().topRight()).x(),
            "window_minimum": w.minimumSizeHint().width(),
            "assign_shown": w.assign_box is not None and w.assign_box.isVisible(),
            "signed_in_shown": w.staff_label.isVisible() and w.staff_label.text(),
            "stack_top": w.list.stack.mapTo(w, w.list.stack.rect().topLeft()).y(),
            "buttons": buttons,
        }
        print(json.dumps(out))
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
