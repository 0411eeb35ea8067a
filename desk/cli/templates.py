"""Command line for the shop's reply templates (``desk.messaging.templates``).

Registered by ``desk.cli.main`` (``register(subparsers)``)::

    textdesk templates                         # list, in the shop's order, with the SMS count
    textdesk templates add ready "Hi {first_name}, your order is ready at {shop}."
    textdesk templates edit ready "Hi {first_name}, it is ready."
    textdesk templates rename ready order-ready
    textdesk templates move order-ready 1      # first
    textdesk templates delete order-ready      # (or remove)
    textdesk templates export templates.json
    textdesk templates import templates.json [--replace]

A running window sees the change the next time its template list opens. Errors are one line
(``TemplateError``, ``CliError``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile
from desk.messaging import placeholders, sms_plan, templates
from desk.messaging.outbox import sign
from desk.store.settings import Settings

ACTIONS = ("list", "add", "edit", "rename", "move", "delete", "remove", "export", "import")
# how many values each action takes after its name (None: a name and then the text, 2 or more)
_ARITY: dict[str, int | None] = {
    "list": 0,
    "add": None,
    "edit": None,
    "rename": 2,
    "move": 2,
    "delete": 1,
    "remove": 1,
    "export": 1,
    "import": 1,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "templates",
        help="list, add, edit, rename, move, delete, export or import reply templates",
        description="Reply templates, typed as /name in the reply box. Placeholders: "
        + " ".join(f"{{{k}}}" for k in placeholders.KNOWN)
        + ". Actions: list (default); add NAME TEXT; edit NAME TEXT; rename NAME NEW; "
        "move NAME PLACE (1 = first); delete NAME (or remove); export FILE; import FILE.",
    )
    p.add_argument("action", nargs="?", default="list", choices=ACTIONS, metavar="ACTION")
    p.add_argument("values", nargs="*", metavar="VALUE")
    p.add_argument("--replace", action="store_true",
                   help="import: a template already there takes the file's text")  # fmt: skip
    p.set_defaults(func=cmd_templates)


def _count(text: str, settings: Settings) -> str:
    """The SMS count of ``text`` as the sample customer would get it, signed as a reply."""
    values = templates.preview_values(
        str(settings.get("shop_name") or ""), str(settings.get("signature") or "")
    )
    full = sign(placeholders.render(text, values), str(settings.get("signature") or ""))
    plan = sms_plan.plan(full)
    return f"{plan.parts} SMS" + (" (Unicode)" if plan.encoding != "gsm7" else "")


def cmd_templates(args: argparse.Namespace) -> int:
    action, values = args.action, list(args.values)
    want = _ARITY[action]
    if (want is None and len(values) < 2) or (want is not None and len(values) != want):
        usage = {
            "list": "templates",
            "add": "templates add NAME TEXT",
            "edit": "templates edit NAME TEXT",
            "rename": "templates rename NAME NEW-NAME",
            "move": "templates move NAME PLACE",
            "delete": "templates delete NAME",
            "remove": "templates remove NAME",
            "export": "templates export FILE",
            "import": "templates import FILE",
        }[action]
        raise CliError(f"usage: textdesk {usage}", 2)
    open_profile(args)
    settings = Settings()
    if action == "list":
        rows = templates.templates()
        if not rows:
            out("no templates yet: textdesk templates add NAME TEXT")
        width = max((len(t.name) for t in rows), default=0)
        for n, t in enumerate(rows, start=1):
            out(f"{n:>2}  /{t.name:<{width}}  {t.body}  [{_count(t.body, settings)}]")
    elif action in ("add", "edit"):
        text = " ".join(values[1:])
        if action == "add":
            row = templates.add_template(values[0], text)
        else:
            row = templates.edit_template(values[0], text=text)
        unknown = placeholders.unknown(row.body)
        left = f"; staff fill in {', '.join(unknown)} each time" if unknown else ""
        out(f"{'added' if action == 'add' else 'changed'} /{row.name} "
            f"[{_count(row.body, settings)}]{left}")  # fmt: skip
    elif action == "rename":
        row = templates.edit_template(values[0], new_name=values[1])
        out(f"renamed to /{row.name}")
    elif action == "move":
        try:
            place = int(values[1])
        except ValueError:
            raise CliError(f"PLACE must be a number (1 = first), not “{values[1]}”.", 2) from None
        order = templates.move_template(values[0], place)
        out("order: " + ", ".join(f"/{t.name}" for t in order))
    elif action in ("delete", "remove"):
        row = templates.delete_template(values[0])
        out(f"deleted /{row.name}")
    elif action == "export":
        path = Path(values[0])
        try:
            path.write_text(templates.export_templates(), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"Could not write {path}: {exc.strerror or exc}.") from None
        out(f"wrote {len(templates.templates())} templates to {path}")
    else:
        path = Path(values[0])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(
                f"Could not read {path}: {getattr(exc, 'strerror', None) or exc}."
            ) from None
        added, replaced = templates.import_templates(text, replace=args.replace)
        out(f"imported {added} new templates" + (f", replaced {replaced}" if replaced else ""))
    return 0
