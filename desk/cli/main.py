"""The ``textdesk`` command line: ``serve``, ``send``, ``config``, ``ports``, ``status``, plus the
subcommands other modules register (desk.cli.data: export, backup, restore, erase, search,
retention; desk.cli.reminders: remind, reminders, import-appointments; desk.cli.modem:
modem-password, modem-log, discover). ``serve --modem hilink|android|at --port URL_OR_DEVICE``
drives the kind given instead of the modem_kind setting. ``serve --no-modem``: on the shop's
server, this counter never drives the modem for this run (``textdesk database modem off`` makes
it this PC's lasting choice).

``main(argv) -> int``. Every command accepts ``--profile DIR`` and ``--port DEVICE`` before or
after the subcommand. Errors are one clear line on stderr and exit 1 (2 for usage), database
errors (a full disk, a busy or broken file) and text that is not UTF-8 included; a command waits
for another process's write lock, saying so, rather than fail (desk.cli.busy). A database another
TextDesk is upgrading is waited for within the busy timeout, then "TextDesk is upgrading the
database; try again in a moment." (desk.store.migrations.runner.DatabaseBusy), exit 1.

A registered subcommand sets ``func`` with ``parser.set_defaults(func=handler)``; ``handler(args)
-> int | None`` gets ``args.profile`` (the DIR given, or None) and may call
``desk.cli.profiles.open_profile(args)`` for a migrated database; it prints with
``desk.cli.output.out`` and reports errors by raising ``CliError`` (or a ValueError/LookupError
subclass, or DatabaseError) with the sentence to show.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NoReturn, cast

import peewee as pw

from desk.base import phones
from desk.base.clock import SystemClock, utc
from desk.base.lock import ProfileLocked, holder
from desk.cli import automations as automation_commands
from desk.cli import commands
from desk.cli import data as data_commands
from desk.cli import database as database_commands
from desk.cli import modem as modem_commands
from desk.cli import reminders as reminder_commands
from desk.cli import report as report_command
from desk.cli import templates as template_commands
from desk.cli.commands import SUBCOMMANDS, is_subcommand
from desk.cli.output import CliError, out
from desk.cli.profiles import open_profile, profile_of, wake_engine, where
from desk.engine import db_trouble, links, live, modem_state
from desk.store import audit
from desk.store.db import db
from desk.store.migrations import DatabaseError
from desk.store.migrations.runner import DatabaseBusy
from desk.store.models import IN, OUT, OUT_STATES, Contact, Conversation, Message
from desk.store.settings import SPECS, Settings
from modem import ports

__all__ = ["SUBCOMMANDS", "build_parser", "is_subcommand", "main"]

log = logging.getLogger("desk.cli.main")

REGISTERED = {
    module: commands.REGISTERED[module.__name__]
    for module in (data_commands, reminder_commands, report_command, modem_commands,
                   automation_commands, template_commands, database_commands)
}  # fmt: skip
if {m.__name__ for m in REGISTERED} != set(commands.REGISTERED):  # each module's names listed once
    raise RuntimeError("desk.cli.commands.REGISTERED and desk.cli.main disagree")


# --- parser -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see: {self.prog} --help)", 2)


def _globals(parser: argparse.ArgumentParser, *, sub: bool) -> None:
    default = argparse.SUPPRESS if sub else None
    parser.add_argument("--profile", metavar="DIR", default=default, help="keep all data under DIR")
    parser.add_argument("--port", metavar="DEVICE", default=default, help="the modem's serial port")
    parser.add_argument("--database", metavar="URL", default=default,
                        help="the shop's PostgreSQL server, postgresql://user@host/db")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="textdesk",
        description="TextDesk: customer service by SMS over a USB GSM modem. "
        "Without a command it opens the window.",
    )
    _globals(parser, sub=False)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = subs.add_parser("serve", help="run without a window (back office, service), log to stdout")
    _globals(p, sub=True)
    p.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    p.add_argument("--modem", choices=links.KINDS, help="the modem's kind (at, hilink, android; "
                   "default: the modem_kind setting); --port is then its address")  # fmt: skip
    p.add_argument("--no-modem", action="store_true",
                   help="several counters on the shop's server: never drive the modem from this "
                   "PC in this run, even with one attached (lasting: textdesk database modem "
                   "off)")  # fmt: skip
    p.set_defaults(func=cmd_serve)

    p = subs.add_parser("send", help="queue a text for the running TextDesk (or its next start)")
    _globals(p, sub=True)
    p.add_argument("number", metavar="NUMBER")
    p.add_argument("text", metavar="TEXT", nargs="+", help="the message ('-' reads stdin)")
    p.add_argument("--staff", help="who is sending (recorded on the message)")
    p.add_argument("--anyway", action="store_true",
                   help="send to a number the numbering data does not know")  # fmt: skip
    p.set_defaults(func=cmd_send)

    p = subs.add_parser("config", help="show or change settings")
    _globals(p, sub=True)
    p.add_argument("key", metavar="KEY", nargs="?")
    p.add_argument("value", metavar="VALUE", nargs="?")
    p.set_defaults(func=cmd_config)

    p = subs.add_parser("ports", help="list serial ports that may be the modem, and probe them")
    _globals(p, sub=True)
    p.add_argument("--no-probe", action="store_true", help="list only, do not talk to the ports")
    p.set_defaults(func=cmd_ports)

    p = subs.add_parser("status", help="queue counts, the last messages, whether TextDesk runs")
    _globals(p, sub=True)
    p.add_argument("-n", "--last", type=int, default=5, help="how many recent messages to show")
    p.set_defaults(func=cmd_status)

    for module, names in REGISTERED.items():
        before = set(subs.choices)
        module.register(subs)
        added = set(subs.choices) - before
        if added != set(names):  # SUBCOMMANDS (the window's is_subcommand) must know them all
            raise RuntimeError(f"{module.__name__} registered {sorted(added)}, not {names}")
        for name in added:
            _globals(subs.choices[name], sub=True)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    from desk.cli import serve  # the engine (desk.engine.api): imported for `textdesk serve` only

    return serve.cmd_serve(args)


# --- send ---------------------------------------------------------------------------------------


def _unreadable(before: str) -> CliError:
    where = f" after “{before[-20:]}”" if before.strip() else " at its start"
    return CliError(
        f"The text has characters TextDesk cannot read{where} (not UTF-8: typed in a terminal "
        "or saved in another character set); nothing was queued. Retype them, or save the "
        "text as UTF-8."
    )


def _readable(text: str) -> str:
    """``text`` as given on the command line; argv bytes that were not UTF-8 arrive as lone
    surrogates (Python's surrogateescape), refused here in plain words."""
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            raise _unreadable(text[:i])
    return text


def _stdin_text() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unreadable(data[: exc.start].decode("utf-8", "replace")) from None
    return text.rstrip("\n")


def _unknown_number_check(number: str, settings: Settings, *, anyway: bool) -> None:
    """desk.base.phones' rule: a number the numbering data does not know is sent only with
    --anyway, unless it is a customer's already (one the network delivered from)."""
    country = str(settings.get("default_country"))
    try:
        e164 = phones.normalize(number, country)
    except phones.InvalidNumber:
        return  # the outbox refuses it in its own words
    if anyway or Contact.select().where(Contact.number == e164).exists():
        return
    warning = phones.unknown_number_warning(e164, country)
    if warning is not None:
        raise CliError(f"{warning} Nothing was sent; add --anyway to send it.")


def cmd_send(args: argparse.Namespace) -> int:
    from desk.messaging import outbox  # consent, parts, the queue: for this command only

    text = " ".join(args.text)
    text = _stdin_text() if text == "-" else _readable(text)
    _readable(args.number)
    if args.staff:
        _readable(args.staff)
    profile = open_profile(args)
    settings = Settings()
    _unknown_number_check(args.number, settings, anyway=args.anyway)
    with db.atomic("IMMEDIATE"):  # a running engine writes too: take the write lock first
        message = outbox.queue_message(
            args.number,
            text,
            source="cli",
            staff=args.staff or settings.get("staff_name") or None,
            settings=settings,
            clock=SystemClock(),
        )
        # On the shop's server: the counter that drives the modem wakes when this commits (and
        # every window shows the text); on one PC main() wakes its engine (desk.engine.poke).
        live.notify(live.MESSAGE_ADDED, message.id)
    number = phones.display(message.conversation.contact.number, settings.get("default_country"))
    running = holder(profile.lock_path)
    when = (
        f"TextDesk ({running.describe()}) sends it now"
        if running is not None
        else "it goes out when TextDesk starts"
    )
    parts = f", {message.parts} parts" if message.parts > 1 else ""
    out(f"queued message {message.id} to {number}{parts}: {when}")
    return 0


# --- config -------------------------------------------------------------------------------------


def cmd_config(args: argparse.Namespace) -> int:
    open_profile(args)
    settings = Settings()
    if args.key is None:
        width = max(map(len, SPECS))
        for key, spec in SPECS.items():
            value = settings.display(key)
            value = value if len(value) <= 30 else value[:29] + "…"
            out(f"{key:<{width}}  {value:<30}  {spec.help}")
        return 0
    if args.value is None:
        out(settings.display(args.key) if args.key in SPECS else _unknown(args.key))
        return 0
    with db.atomic("IMMEDIATE"):
        settings.set_text(args.key, args.value)
        audit.record("settings", f"{args.key} changed from the command line")
    out(f"{args.key} = {settings.display(args.key)}")
    return 0


def _unknown(key: str) -> str:
    Settings().get(key)  # raises SettingError with the known keys
    return ""


# --- ports --------------------------------------------------------------------------------------


def cmd_ports(args: argparse.Namespace) -> int:
    busy = holder(profile_of(args).lock_path)
    probe = not args.no_probe
    if busy is not None and probe:
        out(f"TextDesk is running ({busy.describe()}) and owns the modem: listing without probing.")
        probe = False
    if args.port:
        candidates = [ports.PortInfo(device=args.port, description="given with --port")]
    else:
        candidates = ports.list_candidates()
    if not candidates:
        out("No serial ports found. Is the modem plugged in?")
        return 1
    answered = 0
    for info in candidates:
        label = ", ".join(x for x in (info.description, info.maker, info.stable_path) if x)
        line = f"{info.device}" + (f"  ({label})" if label else "")
        if probe:
            result = ports.probe(info.device)
            if result.ok:
                answered += 1
                model = " ".join(x for x in (result.manufacturer, result.model) if x) or "a modem"
                line += f"\n    answers AT: {model}"
            else:
                line += f"\n    no modem: {result.error}"
        out(line)
    if probe and answered == 0:
        return 1
    return 0


# --- status -------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    running = holder(profile.lock_path)
    out(f"profile: {profile.data_dir}")
    out(f"database: {where(profile)}" + (" (the shop's server)" if profile.database_url else ""))
    out(f"engine:  {'running (' + running.describe() + ')' if running else 'not running'}")
    seen = modem_state.read(profile) if running else None  # an engine that is gone says nothing
    if seen is not None:
        out(f"modem:   {modem_state.describe(seen)}")
    if profile.database_url is None and not profile.db_path.exists():
        out("no messages yet (no database)")
        return 0
    open_profile(args)
    _status_body(max(0, args.last))
    return 0


def _status_body(last: int) -> None:
    by_state = (
        Message.select(Message.state, pw.fn.COUNT(Message.id))
        .where(Message.direction == OUT)
        .group_by(Message.state)
    )
    counts = dict(cast("Iterable[tuple[str, int]]", by_state.tuples()))
    received = Message.select().where(Message.direction == IN).count()
    unread = Conversation.select(pw.fn.COALESCE(pw.fn.SUM(Conversation.unread), 0)).scalar()
    out("outgoing: " + ", ".join(f"{s} {counts.get(s, 0)}" for s in OUT_STATES))
    out(f"incoming: {received} received, {unread or 0} unread")
    if last <= 0:
        return
    country = Settings().get("default_country")
    query = (
        Message.select(
            Message.id,
            Message.created_at,
            Message.direction,
            Message.state,
            Message.body,
            Contact.number,
        )
        .join(Conversation)
        .join(Contact)
        .order_by(Message.id.desc())
        .limit(last)
    )
    rows = cast("Iterable[tuple[int, datetime, str, str, str, str]]", query.tuples())
    out("last messages:")
    for mid, created, direction, state, body, number in rows:
        when = utc(created).astimezone().strftime("%Y-%m-%d %H:%M")
        arrow = "<-" if direction == IN else "->"
        preview = " ".join(body.split())
        preview = preview if len(preview) <= 50 else preview[:49] + "…"
        who = phones.display(number, country)
        out(f"  {mid:>6} {when} {arrow} {who:<18} {state:<10} {preview}")


# --- main ---------------------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    where: Path | None = None  # the profile's folder: is its disk full?
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        where = profile_of(args).data_dir
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return 2
        code = func(args)
        return int(code or 0)
    except CliError as exc:
        print(f"textdesk: {_one_line(exc)}", file=sys.stderr)
        return exc.code
    except (pw.PeeweeException, sqlite3.Error) as exc:  # the database refused (full, busy, broken)
        print(f"textdesk: {db_trouble.command_words(exc, where)}", file=sys.stderr)
        return 1
    except UnicodeError:  # bytes that are not UTF-8, in an argument or a file
        print(
            "textdesk: Some of the text given is not UTF-8 (typed in a terminal or saved in "
            "another character set), so TextDesk cannot read it; nothing was changed.",
            file=sys.stderr,
        )
        return 1
    except DatabaseBusy as exc:  # another TextDesk upgrading the file: its own plain line
        print(f"textdesk: {_one_line(exc)}", file=sys.stderr)
        return 1
    except (ProfileLocked, DatabaseError, ValueError, LookupError, OSError) as exc:
        if db_trouble.classify(exc, where) is not None:  # a full disk as an OSError, a wrapped one
            print(f"textdesk: {db_trouble.command_words(exc, where)}", file=sys.stderr)
        else:
            print(f"textdesk: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # a bug: still one line (the window's crash report has the detail)
        print(
            f"textdesk: Something went wrong inside TextDesk ({type(exc).__name__}: "
            f"{_one_line(exc)}); nothing else was changed.",
            file=sys.stderr,
        )
        return 1
    finally:
        wake_engine()  # what the command committed goes out now, not at the engine's next look


if __name__ == "__main__":
    sys.exit(main())
