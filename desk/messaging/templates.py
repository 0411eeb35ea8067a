"""The shop's reply templates: a name (typed as ``/name`` in the reply box), a text with
placeholders ({first_name}, {shop}, ... rendered by ``desk.messaging.placeholders``, the one
renderer) and a place in the shop's order.

Reads run anywhere (``templates()``); writes run on the engine's core thread from the window
(``engine.call(templates.add_template, "ready", "Hi {first_name}, ...")``) or in a command-line
process (``textdesk templates add``), each in one ``BEGIN IMMEDIATE`` transaction, so the two
wait for each other. Bad input raises ``TemplateError`` with one plain sentence.

The file format of ``export_templates``/``import_templates`` is JSON:
``{"textdesk_templates": 1, "templates": [{"name": ..., "text": ...}, ...]}`` in the shop's order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import peewee as pw

from desk.messaging import placeholders
from desk.store.db import db
from desk.store.models import Template

__all__ = [
    "FORMAT_KEY",
    "MAX_TEXT",
    "TemplateError",
    "TemplateRow",
    "add_template",
    "delete_template",
    "edit_template",
    "export_templates",
    "find",
    "import_templates",
    "move_template",
    "preview_values",
    "templates",
]

MAX_TEXT = 1000  # ~7 SMS: longer is not a reply template
NAME = re.compile(r"^[\w-]{1,30}$")
FORMAT_KEY = "textdesk_templates"


class TemplateError(ValueError):
    """Bad template input, in one plain sentence."""


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    body: str
    position: int = 0


def templates() -> list[TemplateRow]:
    """Every template in the shop's order."""
    query = Template.select(Template.id, Template.name, Template.body, Template.position)
    rows = cast(
        "list[tuple[int, str, str, int]]",
        list(query.order_by(Template.position, Template.id).tuples()),
    )
    return [TemplateRow(*t) for t in rows]


def find(name: str) -> TemplateRow | None:
    """The template called ``name`` (case does not matter; a leading "/" is ignored)."""
    key = _clean_name(name, check=False).lower()
    return next((t for t in templates() if t.name.lower() == key), None)


def _clean_name(name: str, *, check: bool = True) -> str:
    name = name.strip().lstrip("/")
    if check and not NAME.match(name):
        raise TemplateError(
            f"“{name}” cannot be a template name: use 1 to 30 letters, digits, - or _ "
            "(no spaces), since it is typed as /name in the reply box."
        )
    return name


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise TemplateError("A template needs some text.")
    if len(text) > MAX_TEXT:
        raise TemplateError(
            f"A template can be at most {MAX_TEXT} characters; this one has {len(text)}."
        )
    return text


def _taken(name: str, but: int | None = None) -> bool:
    query = Template.select().where(pw.fn.LOWER(Template.name) == name.lower())
    if but is not None:
        query = query.where(Template.id != but)
    return bool(query.exists())


def _get(name: str) -> Template:
    key = _clean_name(name, check=False)
    found = Template.get_or_none(pw.fn.LOWER(Template.name) == key.lower())
    if found is None:
        raise TemplateError(f"There is no template called “{key}”.")
    return found


def _row(t: Template) -> TemplateRow:
    return TemplateRow(t.id, t.name, t.body, t.position)


def add_template(name: str, text: str) -> TemplateRow:
    """A new template at the end of the order."""
    name, text = _clean_name(name), _clean_text(text)
    with db.atomic():
        if _taken(name):
            raise TemplateError(f"There is already a template called “{name}”.")
        last = Template.select(pw.fn.MAX(Template.position)).scalar()
        made = Template.create(name=name, body=text, position=int(last or 0) + 1)
    return _row(made)


def edit_template(
    name: str, *, new_name: str | None = None, text: str | None = None
) -> TemplateRow:
    """Rename ``name`` and/or give it a new text."""
    with db.atomic():
        found = _get(name)
        if new_name is not None:
            clean = _clean_name(new_name)
            if _taken(clean, but=found.id):
                raise TemplateError(f"There is already a template called “{clean}”.")
            found.name = clean
        if text is not None:
            found.body = _clean_text(text)
        found.save()
    return _row(found)


def delete_template(name: str) -> TemplateRow:
    """Remove ``name``; returns what it was."""
    with db.atomic():
        found = _get(name)
        row = _row(found)
        found.delete_instance()
    return row


def move_template(name: str, to: int) -> list[TemplateRow]:
    """Put ``name`` at place ``to`` (1 = first; past the end = last) and number the rest
    1, 2, 3... in order; returns the new order."""
    with db.atomic():
        found = _get(name)
        order = [t for t in templates() if t.id != found.id]
        place = min(max(1, to), len(order) + 1) - 1
        ids = [t.id for t in order]
        ids.insert(place, found.id)
        for position, template_id in enumerate(ids, start=1):
            Template.update(position=position).where(Template.id == template_id).execute()
    return templates()


def export_templates() -> str:
    """Every template as the JSON file text (see the module's docstring)."""
    data = {
        FORMAT_KEY: 1,
        "templates": [{"name": t.name, "text": t.body} for t in templates()],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def import_templates(file_text: str, *, replace: bool = False) -> tuple[int, int]:
    """Add the templates of an exported file: a name already in use gets the file's text when
    ``replace``, else it is left alone. Returns (added, replaced). A file that is not a
    template file is refused whole, before anything is written."""
    try:
        data: Any = json.loads(file_text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"This is not a TextDesk template file (not JSON: {exc.msg}).") from exc
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != 1:
        raise TemplateError("This is not a TextDesk template file (made by Export templates).")
    items = data.get("templates")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("name"), str) and isinstance(i.get("text"), str)
        for i in items
    ):
        raise TemplateError("The template file is damaged: each template needs a name and a text.")
    cleaned = [(_clean_name(i["name"]), _clean_text(i["text"])) for i in items]
    added = replaced = 0
    with db.atomic():
        for name, text in cleaned:
            if _taken(name):
                if replace:
                    edit_template(name, text=text)
                    replaced += 1
                continue
            add_template(name, text)
            added += 1
    return added, replaced


def preview_values(shop: str, signature: str) -> placeholders.Values:
    """The sample customer the editor previews a template with (an appointment included, so
    {date} and {time} show what they become in a reminder)."""
    return placeholders.Values(
        first_name="Maria",
        name="Maria Lopez",
        shop=shop,
        signature=signature,
        service="check-up",
        date="Tue 9 Dec",
        time="9:30 AM",
    )
