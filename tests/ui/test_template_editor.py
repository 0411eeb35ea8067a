"""File › Templates… through the real window and engine: a shop writes, previews, orders and
deletes its templates, and the reply box offers them at once."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desk.messaging import templates
from desk.read import queries
from tests.ui.conftest import Desk
from ui.composer import counter_text
from ui.template_editor import TemplateEditor

JAMES = "+12025550102"


def _open(desk: Desk) -> TemplateEditor:
    w = desk.window
    action = next(a for a in w.actions() if a.text() == "&Templates…")
    action.trigger()
    editor = next(c for c in w.findChildren(TemplateEditor) if c.isVisible())
    return editor


def _names() -> list[str]:
    return [t.name for t in templates.templates()]


def test_a_shop_writes_a_template_sees_it_as_a_customer_would_and_uses_it(
    desk: Desk, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = desk.window
    before = _names()
    editor = _open(desk)
    desk.wait(lambda: editor.list.count() == len(before))
    editor.new_button.click()
    qtbot.keyClicks(editor.name, "pickup")
    qtbot.keyClicks(editor.text, "Hi {first_name}, your {item} is ready at {shop}.")
    shop, signature = w.settings.get("shop_name"), w.settings.get("signature")
    expected = f"Hi Maria, your {{item}} is ready at {shop}."
    assert editor.preview.text().startswith(expected)
    if signature:
        assert editor.preview.text().endswith(signature)
    assert editor.count.text().startswith("1 SMS · ")
    assert "{item}: not a placeholder TextDesk fills" in editor.notes.text()
    editor.save_button.click()
    desk.wait(lambda: _names() == [*before, "pickup"])
    desk.wait(lambda: editor.list.currentItem() and editor.list.currentItem().text() == "/pickup")

    editor.up_button.click()  # one place up
    desk.wait(lambda: _names()[-2:] == ["pickup", before[-1]])
    editor.text.setPlainText("Your order is ready – see you soon")
    assert "Unicode" in editor.count.text() and "“–”" in editor.count.text()
    editor.text.setPlainText("Your {item} is ready - see you soon")
    words, unicode = counter_text("Your {item} is ready - see you soon", signature)
    assert editor.count.text() == words.replace(" left", " characters left")
    assert not unicode or "in the signature" in words  # only a signature can still cost it
    editor.save_button.click()
    desk.wait(lambda: templates.find("pickup").body == "Your {item} is ready - see you soon")

    menu = [a.text() for a in w.thread.composer.menu.actions()]
    assert any(t.startswith("/pickup") for t in menu), "the reply box offers it at once"
    cid = queries.conversation_for_number(JAMES)
    assert cid is not None and w.list.select(cid)
    qtbot.keyClicks(w.thread.composer.edit, "/pickup")
    qtbot.keyClick(w.thread.composer.edit, Qt.Key.Key_Return)
    assert w.thread.composer.text() == "Your {item} is ready - see you soon"

    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    editor.delete_button.click()
    desk.wait(lambda: "pickup" not in _names())
    desk.wait(lambda: editor.list.count() == len(before))


def test_bad_names_and_doubles_are_said_beside_the_fields(desk: Desk, qtbot: Any) -> None:
    editor = _open(desk)
    existing = _names()[0]
    editor.new_button.click()
    qtbot.keyClicks(editor.name, "two words")
    qtbot.keyClicks(editor.text, "x")
    editor.save_button.click()
    desk.wait(lambda: "cannot be a template name" in editor.error.text())
    editor.name.setText(existing.upper())
    editor.save_button.click()
    desk.wait(lambda: "already a template called" in editor.error.text())
    assert _names().count(existing) == 1


def test_the_reply_box_follows_a_signature_and_templates_changed_by_another_process(
    desk: Desk, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from desk.cli.main import main

    w = desk.window
    profile = str(w.engine.profile.data_dir)
    assert main(["config", "signature", "- Bob at the desk", "--profile", profile]) == 0
    assert (
        main(["templates", "add", "late", "Running 10 min late, sorry!", "--profile", profile]) == 0
    )
    capsys.readouterr()
    desk.wait(lambda: w.thread.composer.signature == "- Bob at the desk", timeout=10)
    desk.wait(lambda: any(t.name == "late" for t in w.thread.composer._templates), timeout=10)
    cid = queries.conversation_for_number(JAMES)
    assert cid is not None and w.list.select(cid)
    assert "signed “- Bob at the desk”" in w.thread.composer.edit.placeholderText()
