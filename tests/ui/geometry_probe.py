"""Run by tests/ui/test_geometry.py in a process of its own (the screen size and the text scale
are fixed when Qt starts): open the real window on the demo shop with the virtual modem, on the
screen the platform gives, and print what staff would see as JSON.

python -m tests.ui.geometry_probe PROFILE_DIR TEXT_SCALE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from desk.base.events import ModemState
from desk.base.paths import resolve_profile
from desk.read import queries
from ui import session


def main(profile_dir: str, scale: float) -> int:
    app = QApplication(["textdesk"])
    font = app.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    app.setFont(font)
    profile = resolve_profile(Path(profile_dir)).ensure()
    fresh = not profile.db_path.exists()
    s = session.start(profile, virtual=True, customer=False, demo_data=fresh)
    try:
        w = s.window
        w.show()
        deadline = time.monotonic() + 30
        while s.engine.modem_status.state != ModemState.READY and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        cid = queries.conversation_for_number("+12025550106")
        w.list.select(cid)
        # A draft makes the SMS counter long (the demo signature forces Unicode): the layout
        # must still hold.
        w.thread.composer.set_text("We can fit you in on Tuesday at 15:30, see you then")
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)
        screen = app.primaryScreen().availableGeometry()
        bar = w.status
        top_left = bar.mapToGlobal(bar.rect().topLeft())
        state = bar.state
        edit = w.thread.composer.edit
        out = {
            "screen": [screen.width(), screen.height()],
            "window": [w.x(), w.y(), w.width(), w.height()],
            "minimum": [w.minimumSizeHint().width(), w.minimumSizeHint().height()],
            "resizable": w.minimumSize() != w.maximumSize(),
            "status_bottom": top_left.y() + bar.height(),
            "status_visible": bar.isVisible(),
            "state_text": state.text(),
            "state_visible": state.isVisible(),
            "state_fits": state.width() >= state.sizeHint().width(),
            "state_right": state.mapToGlobal(state.rect().topRight()).x(),
            "composer_height": edit.height(),
            "composer_line": edit.fontMetrics().lineSpacing(),
            "send_visible": w.thread.composer.send_button.isVisible(),
            "thread_height": w.thread.view.height(),
            "hint_visible": w.thread.composer.hint.isVisible()
            and w.thread.composer.hint.height()
            >= w.thread.composer.hint.heightForWidth(w.thread.composer.hint.width()),
        }
        print(json.dumps(out))
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
