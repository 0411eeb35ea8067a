"""Command line for contacts in and out, keyword answers and the automations' state.

    textdesk contacts import phone.vcf [--yes]     preview, then merge by number (asks first)
    textdesk contacts export contacts.vcf          every contact as vCard 3.0
    textdesk keywords                              the keyword answers
    textdesk keywords add HOURS "Open Mon-Fri 9-5"
    textdesk keywords off HOURS | on HOURS | delete HOURS
    textdesk automations                           what is on, and how often each fired this week

``--staff NAME`` on an import and on keyword changes: who did it, on the audit line (else the
``staff_name`` setting, as ``textdesk send`` does).

The away reply, the missed-call text and opening hours are settings like the others
(``textdesk config away_reply on``, ``opening_hours "mon-fri 09:00-18:00"``, ...).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

from desk.base.clock import SystemClock
from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile, profile_of
from desk.engine import busy_note
from desk.store.activity import KeywordAnswer
from desk.store.settings import Settings

SHOWN_REJECTED = 50


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("contacts", help="import contacts (CSV, vCard) or export them")
    p.add_argument("action", choices=("import", "export"))
    p.add_argument("file", type=Path, help="a .csv or .vcf file")
    p.add_argument("--yes", action="store_true", help="import: merge without asking")
    p.add_argument("--dry-run", action="store_true", help="import: only show what would change")
    p.add_argument("--staff", help="import: who is importing (recorded in the audit log)")
    p.set_defaults(func=cmd_contacts)

    p = subparsers.add_parser("keywords", help="words the shop answers automatically")
    p.add_argument("action", nargs="?", choices=("add", "delete", "on", "off"))
    p.add_argument("keyword", nargs="?")
    p.add_argument("answer", nargs="*")
    p.add_argument("--staff", help="who is changing them (recorded in the audit log)")
    p.set_defaults(func=cmd_keywords)

    p = subparsers.add_parser("automations", help="which automatic answers are on, and how often")
    p.set_defaults(func=cmd_automations)


def _staff(args: argparse.Namespace, settings: Settings) -> str | None:
    """Who did it, for the audit line: ``--staff``, else the ``staff_name`` setting (as
    ``textdesk send`` does), else nobody. A name that is not UTF-8 is refused in one line."""
    name: str | None = args.staff
    if name and any("\ud800" <= ch <= "\udfff" for ch in name):
        raise CliError(
            "The name after --staff has characters TextDesk cannot read (not UTF-8); "
            "nothing was changed."
        )
    return name or settings.get("staff_name") or None


def cmd_contacts(args: argparse.Namespace) -> int:
    from desk.data import contacts_io  # vobject and the merge: for this command only

    open_profile(args)
    settings, clock = Settings(), SystemClock()
    staff = _staff(args, settings)
    if args.action == "export":
        text = contacts_io.export_vcard()
        try:
            args.file.write_text(text, encoding="utf-8")
            os.chmod(args.file, 0o600)
        except OSError as exc:
            raise CliError(f"Could not write {args.file}: {exc.strerror or exc}.") from None
        out(f"{text.count('BEGIN:VCARD')} contact(s) written to {args.file}")
        return 0
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"Could not read {args.file}: {exc.strerror or exc}.") from None
    try:
        preview = contacts_io.read(data, country=str(settings.get("default_country")))
    except contacts_io.ContactsFileError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    out(
        f"{args.file}: {preview.numbers} number(s) in {len(preview.entries)} entr"
        f"{'y' if len(preview.entries) == 1 else 'ies'}, {len(preview.rejected)} rejected"
    )
    for bad in preview.rejected[:SHOWN_REJECTED]:
        out(f"  ! {bad.where}: {bad.reason}")
    if len(preview.rejected) > SHOWN_REJECTED:
        out(f"  … and {len(preview.rejected) - SHOWN_REJECTED} more rejected")
    if args.dry_run or not preview.entries:
        out("nothing changed")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("Nothing changed: add --yes to merge these contacts.")
        if input("Merge them into the contacts? [y/N] ").strip().lower() not in ("y", "yes"):
            out("nothing changed")
            return 0
    busy = busy_note.Writer(profile_of(args).data_dir)
    try:
        applied = contacts_io.apply(
            preview,
            clock=clock,
            staff=staff,
            on_status=lambda status: busy.say(status.words()),
        )
    finally:
        busy.clear()
    out(
        f"{applied.added} added, {applied.named} got a name, {applied.tagged} got tags, "
        f"{applied.unchanged} already up to date"
    )
    return 0


def _keyword_row(word: str) -> KeywordAnswer:
    from desk.automations import keywords

    folded = keywords.fold(word)
    for row in keywords.listed():
        if row.keyword == folded:
            return row
    raise CliError(f"There is no keyword answer for “{word}”.")


def cmd_keywords(args: argparse.Namespace) -> int:
    # The keyword answers and what they pull in (consent, the outbox): for this command only.
    from desk.automations import keywords
    from desk.automations.keywords import KeywordError

    open_profile(args)
    clock = SystemClock()
    staff = _staff(args, Settings())
    try:
        if args.action is None:
            rows = keywords.listed()
            if not rows:
                out('No keyword answers yet. Add one: textdesk keywords add HOURS "Open 9-5"')
            for row in rows:
                state = "on " if row.enabled else "off"
                out(f"{state}  {row.keyword.upper():<16} {row.answer}")
            return 0
        if not args.keyword:
            raise CliError(f"Say which keyword: textdesk keywords {args.action} WORD")
        if args.action == "add":
            row = keywords.add(args.keyword, " ".join(args.answer), clock=clock, staff=staff)
            out(f"{row.keyword.upper()} is answered automatically now")
        elif args.action == "delete":
            keywords.delete(_keyword_row(args.keyword).id, clock=clock, staff=staff)
            out(f"{keywords.fold(args.keyword).upper()} deleted")
        else:
            row = keywords.update(
                _keyword_row(args.keyword).id,
                enabled=args.action == "on",
                clock=clock,
                staff=staff,
            )
            out(f"{row.keyword.upper()} is {'on' if row.enabled else 'off'}")
    except KeywordError as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_automations(args: argparse.Namespace) -> int:
    from desk.automations import keywords
    from desk.read import insight

    open_profile(args)
    settings, clock = Settings(), SystemClock()
    now = clock.now()
    fired = insight.automation_counts(now - timedelta(days=7), now)
    hours = str(settings.get("opening_hours")) or "not set (the away reply needs them)"
    rows = [
        ("Away reply", "away_reply", "away"),
        ("Keyword answers", "keyword_answers", "keyword"),
        ("Missed-call text", "missed_call_textback", "missed_call"),
    ]
    out(f"Opening hours: {hours}")
    for label, key, source in rows:
        state = "on " if settings.get(key) else "off"
        out(f"{state}  {label:<18} {fired.get(source, 0):>4} this week")
    out(f"     {'Keywords':<18} {len([k for k in keywords.listed() if k.enabled]):>4} on")
    return 0
