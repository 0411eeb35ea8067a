"""The shop's templates: add, edit, delete, reorder, export and import, with one plain sentence
for bad input; a real SQLite file."""

from __future__ import annotations

import json

import pytest

from desk.messaging import placeholders, templates
from desk.messaging.templates import TemplateError


def names() -> list[str]:
    return [t.name for t in templates.templates()]


def test_templates_keep_the_shops_order_through_add_move_and_delete(database):
    for name in ("hours", "ready", "parking"):
        templates.add_template(name, f"text of {name}")
    assert names() == ["hours", "ready", "parking"]
    assert [t.name for t in templates.move_template("parking", 1)] == ["parking", "hours", "ready"]
    templates.move_template("/PARKING", 99)  # a leading slash and the case do not matter
    assert names() == ["hours", "ready", "parking"]
    assert [t.position for t in templates.templates()] == [1, 2, 3]
    assert templates.delete_template("ready").body == "text of ready"
    templates.add_template("late", "We are running late.")
    assert names() == ["hours", "parking", "late"]


def test_edit_renames_and_rewrites(database):
    templates.add_template("hours", "We open at 9.")
    templates.add_template("ready", "Ready.")
    row = templates.edit_template("hours", new_name="opening", text="  We open at 8.  ")
    assert (row.name, row.body) == ("opening", "We open at 8.")
    assert templates.find("/Opening") == row
    with pytest.raises(TemplateError, match=r"(?i)already a template called “ready”"):
        templates.edit_template("opening", new_name="Ready")


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("two words", "x", "cannot be a template name"),
        ("", "x", "cannot be a template name"),
        ("ok", "   ", "needs some text"),
        ("ok", "x" * 1001, "at most 1000 characters"),
    ],
)
def test_bad_input_is_one_plain_sentence_and_writes_nothing(database, name, text, words):
    with pytest.raises(TemplateError, match=words):
        templates.add_template(name, text)
    assert names() == []


def test_unknown_names_are_refused_by_name(database):
    with pytest.raises(TemplateError, match="no template called “nope”"):
        templates.delete_template("nope")
    templates.add_template("hours", "x")
    with pytest.raises(TemplateError, match=r"(?i)already a template called “hours”"):
        templates.add_template("HOURS", "y")


def test_export_then_import_into_another_shop_and_again(database):
    templates.add_template("hours", "Hi {first_name}, we open at 9. {signature}")
    templates.add_template("ready", "Your order is ready at {shop}.")
    exported = templates.export_templates()
    assert json.loads(exported)["templates"][0]["name"] == "hours"
    templates.delete_template("ready")
    templates.edit_template("hours", text="changed")
    assert templates.import_templates(exported) == (1, 0)  # "hours" kept as it is
    assert templates.find("hours").body == "changed"
    assert templates.import_templates(exported, replace=True) == (0, 2)
    assert templates.find("hours").body.startswith("Hi {first_name}")
    assert names() == ["hours", "ready"]


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", '{"textdesk_templates": 2}', '{"textdesk_templates": 1, "templates": [{}]}'],
)
def test_a_file_that_is_not_a_template_file_is_refused_whole(database, text):
    templates.add_template("hours", "x")
    with pytest.raises(TemplateError, match="template file"):
        templates.import_templates(text)
    assert names() == ["hours"]


def test_the_preview_customer_fills_every_known_placeholder():
    values = templates.preview_values("Smile Dental", "- Anna")
    text = "Hi {first_name}, your {service} at {shop} is {date} {time}. {signature}"
    assert placeholders.render(text, values) == (
        "Hi Maria, your check-up at Smile Dental is Tue 9 Dec 9:30 AM. - Anna"
    )
    assert placeholders.unknown(text, values) == []
