"""The composer: counter in plain words, send keys, templates, opted-out block."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desk.messaging.templates import TemplateRow
from ui.composer import Composer, counter_text
from ui.templates import Context, expand, unfilled


def test_counter_gsm7_and_unicode() -> None:
    assert counter_text("") == ("0 SMS · 160 left", False)
    assert counter_text("Hello") == ("1 SMS · 155 left", False)
    text, uni = counter_text("a" * 161)
    assert text == "2 SMS · 145 left" and not uni
    text, uni = counter_text("See you at 9 😀")
    assert uni and text.startswith("1 SMS · ") and "Unicode (70 per SMS) because of “😀”" in text
    assert counter_text("Café")[1] is False  # é is in the GSM alphabet
    text, uni = counter_text("Olá " + "x" * 80)
    assert uni and "á" in text and "without them 1 SMS" in text and text.startswith("2 SMS")
    text, _ = counter_text("Price: 10€")  # € is a GSM-7 extension character: counts two
    assert text == "1 SMS · 149 left"  # 9 characters + 2 for €


def test_enter_sends_shift_enter_breaks_line(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    sent: list[str] = []
    c.sendRequested.connect(sent.append)
    qtbot.keyClicks(c.edit, "Hi there")
    qtbot.keyClick(c.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(c.edit, "second line")
    assert sent == []
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    assert sent == ["Hi there\nsecond line"]
    assert c.counter.text().startswith("1 SMS")


def test_ctrl_enter_mode(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.set_send_key("ctrl+enter")
    sent: list[str] = []
    c.sendRequested.connect(sent.append)
    qtbot.keyClicks(c.edit, "one")
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    assert sent == [] and c.text() == "one\n"
    qtbot.keyClick(c.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert sent == ["one"]
    assert "Ctrl+Enter" in c.hint.text()


def test_templates_by_slash_name_and_placeholders(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.context = Context(
        first_name="Maria", name="Maria Lopez", shop="Smile Dental", signature="– Anna"
    )
    c.set_templates(
        [
            TemplateRow(1, "hours", "Hi {first_name}, we open at 8. {signature}"),
            TemplateRow(2, "ready", "Hi {first_name}, your {item} is ready at {shop}."),
        ]
    )
    qtbot.keyClicks(c.edit, "/hou")
    qtbot.keyClick(c.edit, Qt.Key.Key_Tab)
    assert c.text() == "Hi Maria, we open at 8. – Anna"
    c.clear()
    c.insert_template(TemplateRow(2, "ready", "Hi {first_name}, your {item} is ready at {shop}."))
    assert c.text() == "Hi Maria, your {item} is ready at Smile Dental."
    assert c.edit.textCursor().selectedText() == "{item}"  # ready to type over
    sent: list[str] = []
    c.sendRequested.connect(sent.append)
    qtbot.keyClicks(c.edit, "crown")
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    assert sent == ["Hi Maria, your crown is ready at Smile Dental."]
    assert len(c.menu.actions()) == 2


def test_unknown_template_says_so(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.set_templates([])
    qtbot.keyClicks(c.edit, "/nope")
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    assert "No template called" in c.counter.text()
    assert c.text() == "/nope"


def test_placeholder_helpers() -> None:
    assert expand("Hi {first_name}! {signature}", Context()) == "Hi there!"
    assert unfilled("Your {item} for {name}") == ["{item}", "{name}"]


def test_opted_out_blocks_sending(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.show()
    sent: list[str] = []
    c.sendRequested.connect(sent.append)
    c.set_blocked("Greg opted out by texting STOP")
    assert not c.edit.isEnabled() and not c.send_button.isEnabled()
    assert c.blocked.isVisible() and "opted out" in c.blocked.text()
    c.request_send()
    assert sent == []
    c.set_blocked(None)
    assert c.edit.isEnabled() and not c.blocked.isVisible()


def test_counter_counts_the_signature_that_will_be_added(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.edit.setPlainText("a" * 150)
    assert c.counter.text().startswith("1 SMS · 10 left")
    c.set_signature("Anna at Smile Dental")  # + "\n" + 20 characters: past 160
    assert c.counter.text().startswith("2 SMS")
    c.set_signature("– Anna")  # an en dash is not GSM-7: the whole reply becomes Unicode
    assert "Unicode" in c.counter.text()
    assert "“–” in the signature" in c.counter.text()  # not something the person typed
    assert "signed “– Anna”" in c.edit.placeholderText()
    c.set_blocked(None)  # opening a conversation keeps the signature hint
    assert "signed “– Anna”" in c.edit.placeholderText()
    c.set_blocked("Opted out")
    assert c.edit.placeholderText() == "Sending is off for this customer"
    c.edit.setPlainText("")
    assert c.counter.text() == "0 SMS · 160 left"  # nothing typed, nothing signed


def test_slash_lists_the_templates_matching_what_is_typed(qtbot) -> None:
    c = Composer()
    qtbot.addWidget(c)
    c.show()
    c.set_templates(
        [
            TemplateRow(1, "hours", "We open at 8."),
            TemplateRow(2, "ready", "Your order is ready."),
            TemplateRow(3, "reminder", "See you tomorrow."),
            TemplateRow(4, "already-paid", "Thanks, it is paid."),
        ]
    )
    qtbot.keyClicks(c.edit, "/")
    assert c.picker.isVisible() and c.picker.count() == 4
    qtbot.keyClicks(c.edit, "re")
    names = [c.picker.item(i).text().split()[0] for i in range(c.picker.count())]
    assert names == ["/ready", "/reminder", "/already-paid"]  # starting with it first
    qtbot.keyClick(c.edit, Qt.Key.Key_Down)
    qtbot.keyClick(c.edit, Qt.Key.Key_Return)
    assert c.text() == "See you tomorrow." and not c.picker.isVisible()
    c.clear()
    qtbot.keyClicks(c.edit, "/zzz")
    assert c.picker.item(0).text() == "No template called “zzz”"
    qtbot.keyClick(c.edit, Qt.Key.Key_Escape)
    assert not c.picker.isVisible() and c.text() == "/zzz"
