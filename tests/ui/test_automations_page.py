"""The owner's pages in the real window (offscreen) on the real engine and virtual modem: keyword
answers added from the window answer a customer's text; settings saved on the core thread; the
insight page shows the figures of the demo shop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desk.store.activity import KeywordAnswer
from ui import automation_actions


def test_a_keyword_added_in_the_window_answers_the_customer(desk: Any, qtbot: Any) -> None:
    page = automation_actions.open_automations(desk.window)
    qtbot.keyClicks(page.new_word, "Hours")
    qtbot.keyClicks(page.new_answer, "Open Mon-Fri 9-5. {shop}")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    desk.wait(lambda: page.table.rowCount() == 1)
    assert page.table.item(0, 0).text() == "HOURS"
    assert "answered automatically now" in page.error.text()
    qtbot.keyClicks(page.new_word, "stop")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert "is reserved" in page.error.text()
    desk.vm.deliver("+12025550143", "what are your hours?")
    sent = desk.wait(lambda: [s for s in desk.submitted if s["text"].startswith("Open Mon-Fri")])
    assert sent[0]["to"] == "+12025550143"
    assert sent[0]["text"] == f"Open Mon-Fri 9-5. {desk.window.settings.get('shop_name')}"
    # switching it off from the table
    page.table.item(0, 2).setCheckState(Qt.CheckState.Unchecked)
    desk.wait(lambda: not KeywordAnswer.get().enabled)


def test_settings_are_checked_previewed_and_saved(desk: Any, qtbot: Any) -> None:
    page = automation_actions.open_automations(desk.window)
    page.away_on.setChecked(True)
    page.accept_changes()
    assert page.error.text() == "The away reply needs opening hours: say when the shop is open."
    page.hours.setText("mondays 9-5")
    assert "should start with a day" in page.error.text()
    page.hours.setText("mon-fri 09:00-17:00")
    assert page.error.text() == ""
    assert "We are closed now and will answer" in page.away_preview.text()
    assert "{next_open}" not in page.away_preview.text()
    page.call_on.setChecked(True)
    page.decline.setValue(5)
    page.accept_changes()
    desk.wait(lambda: page.result() == page.DialogCode.Accepted)
    s = desk.window.settings
    desk.wait(lambda: s.get("away_reply") and s.get("missed_call_textback"))
    assert s.get("opening_hours") == "mon-fri 09:00-17:00"
    assert s.get("decline_after_rings") == 5


def test_the_insight_page_counts_the_demo_shop(desk: Any) -> None:
    page = automation_actions.open_insight(desk.window)
    desk.wait(lambda: page.report is not None)
    assert page.report is not None and page.report.days
    assert page.headline.text()
    assert "customer texts answered" in page.details.text()
    assert page.export.isEnabled()
    page.period.setCurrentIndex(3)  # the last year
    desk.wait(lambda: page.status.text() != "Counting…")
    assert page.texts.accessibleDescription().startswith("from customers:")
