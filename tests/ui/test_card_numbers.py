"""A card number a customer texts in, through the real window and the virtual modem (issue 13
item 11): the thread shows it masked and says something was hidden, search does not find the
full number, and the export is written for the user only (0600)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from desk.read import queries, search
from tests.ui.conftest import Desk
from ui.thread_model import describe

ANNA = "+12015550123"
CARD = "4111 1111 1111 1111"


def test_a_card_number_texted_in_is_hidden_in_the_thread_search_and_export(
    desk: Desk, tmp_path: Path, monkeypatch: Any
) -> None:
    from PySide6.QtWidgets import QFileDialog

    w = desk.window
    desk.vm.control({"cmd": "deliver", "from": ANNA, "text": f"My card is {CARD} exp 12/28"})
    cid = desk.wait(lambda: queries.conversation_for_number(ANNA))
    desk.wait(lambda: w.list.select(cid))
    row = desk.wait(lambda: next((r for r in w.thread.model.messages() if not r.outgoing), None))
    assert "4111" not in row.body and row.body.endswith("1111 exp 12/28") and row.masked
    assert "sensitive numbers were hidden" in describe(row, w.zone)
    assert [h for h in search.search("4111") if h.message_id is not None] == []
    target = tmp_path / "anna.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.export_current()
    desk.wait(target.exists)
    assert "4111 1111" not in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
