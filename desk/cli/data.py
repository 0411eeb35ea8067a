"""Data subcommands for ``textdesk``: export, backup, restore, erase, search, retention.

``register(subparsers)`` adds the parsers and sets ``func`` (desk.cli.main adds ``--profile`` and
``--port`` to each); each handler is ``handler(args) -> int`` and opens the profile's database
itself with ``desk.cli.profiles.open_profile(args)``; errors are raised as ``CliError`` (one line,
exit 1).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from desk.base import autostart, phones
from desk.base.clock import SystemClock
from desk.base.lock import holder
from desk.base.paths import Profile
from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile, profile_of
from desk.compliance import erase, retention
from desk.data import backup, export
from desk.read import search
from desk.store.db import close_database, db
from desk.store.models import Contact, Conversation, Message
from desk.store.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "export", help="export conversations with message states as JSON (stdout) or CSV"
    )
    p.add_argument("--json", action="store_true", help="print JSON to stdout (the default)")
    p.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' for stdout)")
    p.add_argument("--conversation", metavar="NUMBER", help="only the conversation with NUMBER")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("backup", help="back up the database to one file")
    p.add_argument("file", metavar="FILE", nargs="?", help="file or folder (default: backups)")
    p.set_defaults(func=cmd_backup)

    p = subparsers.add_parser("restore", help="replace the database with a backup file")
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS",
        help="wait this long for a closing TextDesk to let go of the database first",
    )  # fmt: skip
    p.add_argument("--then-open", action="store_true", help="open the window once restored")
    p.set_defaults(func=cmd_restore)

    p = subparsers.add_parser("erase", help="erase everything about one customer (GDPR)")
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("--yes", action="store_true", help="really erase (it cannot be undone)")
    p.set_defaults(func=cmd_erase)

    p = subparsers.add_parser("search", help="search messages and contacts")
    p.add_argument("query", metavar="QUERY", nargs="+")
    p.add_argument("-n", "--limit", type=int, default=20, help="how many results (20)")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser(
        "retention", help="show (or --apply) deletion of messages older than retention_days"
    )
    p.add_argument("--apply", action="store_true", help="delete them now")
    p.add_argument("--days", type=int, help="use this many days instead of the setting")
    p.set_defaults(func=cmd_retention)


# --- helpers --------------------------------------------------------------------------------


def _fail(message: str, code: int = 1) -> CliError:
    return CliError(message, code)


def _staff() -> str | None:
    return Settings().get("staff_name") or None


def _contact_for(number: str) -> Contact:
    """The contact for a number as typed (national or international), or a CliError."""

    country = Settings().get("default_country")
    try:
        normal = phones.normalize(number, country, allow_alphanumeric=True)
    except phones.InvalidNumber as exc:
        raise _fail(str(exc)) from None
    contact = Contact.get_or_none(Contact.number == normal)
    if contact is None:
        raise _fail(f"No customer with the number {number}.")
    return contact


# --- export ---------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    open_profile(args, create=False)
    ids = None
    if args.conversation:
        contact = _contact_for(args.conversation)
        conversation = Conversation.get_or_none(Conversation.contact == contact.id)
        if conversation is None:
            raise _fail(f"There is no conversation with {args.conversation}.")
        ids = [conversation.id]
    clock = SystemClock()
    staff = _staff()
    try:
        if args.csv:
            if args.csv == "-":
                export.write_csv(None, ids, stream=sys.stdout, staff=staff, clock=clock)
            else:
                n = export.write_csv(args.csv, ids, staff=staff, clock=clock)
                print(f"wrote {n} messages to {args.csv}", file=sys.stderr)
        if args.json or not args.csv:
            export.write_json(None, ids, stream=sys.stdout, staff=staff, clock=clock)
    except export.ExportError as exc:
        raise _fail(str(exc)) from None
    sys.stdout.flush()
    return 0


# --- backup / restore -----------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    profile = open_profile(args, create=False)
    try:
        path = backup.backup(args.file, source=profile.db_path, backup_dir=profile.backup_dir)
    except backup.BackupError as exc:
        raise _fail(str(exc)) from None
    out(f"backup written to {path}")
    return 0


def _wait_for_lock(profile: Profile, seconds: float) -> None:
    """The window's Restore closes TextDesk and runs this: wait until it has let go."""
    deadline = time.monotonic() + seconds
    while holder(profile.lock_path) is not None and time.monotonic() < deadline:
        time.sleep(0.2)


def cmd_restore(args: argparse.Namespace) -> int:
    profile = profile_of(args).ensure()
    if db.obj is not None and getattr(db.obj, "database", None) == str(profile.db_path):
        close_database()
    if args.wait > 0:
        _wait_for_lock(profile, args.wait)
    try:
        result = backup.restore(
            args.file, profile.db_path, lock_path=profile.lock_path, clock=SystemClock()
        )
    except backup.BackupError as exc:
        raise _fail(str(exc)) from None
    kept = (
        f"; the previous database was kept at {result.previous_copy}"
        if result.previous_copy
        else ""
    )
    out(f"restored {profile.db_path} from {args.file}{kept}")
    if args.then_open:
        subprocess.Popen(  # the window again, on the restored database; not waited for
            [*autostart.command(), "--profile", str(profile.data_dir)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
    return 0


# --- erase ----------------------------------------------------------------------------------


def cmd_erase(args: argparse.Namespace) -> int:
    open_profile(args, create=False)
    contact = _contact_for(args.number)
    if not args.yes:
        conversation = Conversation.get_or_none(Conversation.contact == contact.id)
        n = (
            Message.select().where(Message.conversation == conversation.id).count()
            if conversation
            else 0
        )
        raise _fail(
            f"This erases {contact.number} and {n} messages for good; "
            "run again with --yes to confirm."
        )
    try:
        result = erase.erase_contact(contact.id, staff=_staff(), clock=SystemClock())
    except erase.EraseError as exc:
        raise _fail(str(exc)) from None
    kept = " (the opt-out is kept so they are never texted again)" if result.kept_opt_out else ""
    out(f"erased {args.number}: {result.messages} messages{kept}; {erase.backup_note()}")
    return 0


# --- search ---------------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    open_profile(args, create=False)
    if args.limit <= 0:
        raise _fail("--limit must be at least 1", 2)
    query = " ".join(args.query)
    hits = search.search(query, limit=args.limit)
    if not hits:
        out(f"nothing found for “{query}”")
        return 0
    country = Settings().get("default_country")
    for hit in hits:
        when = hit.at.astimezone().strftime("%Y-%m-%d %H:%M")
        who = phones.display(hit.number, country)
        if hit.name:
            who += f" ({hit.name})"
        what = "contact" if hit.is_contact else f"message {hit.message_id}"
        text = " ".join(search.plain_snippet(hit.snippet).split())
        out(f"{when}  {who}  [{what}]  {text}")
    return 0


# --- retention ------------------------------------------------------------------------------


def cmd_retention(args: argparse.Namespace) -> int:
    open_profile(args, create=False)
    clock = SystemClock()
    days = args.days if args.days is not None else int(Settings().get("retention_days"))
    if days < 0:
        raise _fail("--days must be 0 or more", 2)
    if days == 0:
        out("retention is off (retention_days = 0): messages are kept")
        return 0
    if not args.apply:
        n = retention.count_expired(days, clock=clock)
        out(f"{n} messages are older than {days} days; --apply deletes them")
        return 0
    n = retention.apply_retention(days, clock=clock, staff=_staff())
    out(f"deleted {n} messages older than {days} days")
    return 0
