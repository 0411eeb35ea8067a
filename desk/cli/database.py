"""Where the shop's database is, for ``textdesk``: ``database`` (show, use, move) and
``database-password``.

    textdesk database                           where this profile's database is
    textdesk database use postgresql://desk@backoffice/shop?sslmode=verify-full
    textdesk database use --sqlite              back to this PC's own file
    textdesk database move postgresql://desk@backoffice/shop
    textdesk database modem off                 this PC never drives the modem (on: it may)
    textdesk database name "Front desk"         what the other counters call this one
    textdesk database-password                  the server's password, into the OS keyring

``use`` checks that the server opens (creating TextDesk's tables in an empty database) before
the profile's database.json points at it. ``move`` copies this PC's SQLite file into an empty
database on the server (desk.data.database_move), holding the profile lock so that no engine
writes to the file meanwhile; the file is kept as it was. The password is never in the address,
the file, the settings or a log: ``database-password`` asks without echo at a terminal, else
reads one line from stdin.

``modem`` and ``name`` are this PC's own (kept in the profile's database.json, never in the
shop's shared settings): with several counters on one server, the counter that has the modem
attached (or a network modem configured) drives it; ``modem off`` keeps this one from ever
standing for it (``serve --no-modem`` does so for one run), and the other counters show
``name`` (default: the computer's name) as the one that drives the modem.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from desk.base import secrets
from desk.base.lock import ProfileLock, ProfileLocked
from desk.base.paths import Profile, write_database_url, write_local
from desk.cli.output import CliError, out
from desk.cli.profiles import profile_of, where
from desk.data import database_move
from desk.store import audit
from desk.store.db import close_database, db, open_server_database, server_params
from desk.store.migrations import DatabaseError

__all__ = ["register"]

WHAT = "password of the shop's database server"
MAX_SECRET = 256


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "database", help="where the shop's database is: show, use a server, move to a server"
    )
    p.set_defaults(func=cmd_show)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("show", help="where this profile's database is (the default)")
    a.set_defaults(func=cmd_show)
    a = actions.add_parser("use", help="point this profile at the shop's server (or --sqlite)")
    a.add_argument("url", metavar="URL", nargs="?", help="postgresql://user@host[:port]/db?...")
    a.add_argument("--sqlite", action="store_true", help="back to this PC's own SQLite file")
    a.set_defaults(func=cmd_use)
    a = actions.add_parser("move", help="copy this PC's shop into an empty database on a server")
    a.add_argument("url", metavar="URL", help="postgresql://user@host[:port]/db?...")
    a.set_defaults(func=cmd_move)
    a = actions.add_parser(
        "modem", help="whether this PC may drive the shop's modem (several counters; this PC only)"
    )
    a.add_argument("choice", choices=("on", "off"),
                   help="on: drive it when one is attached here and no other counter does; "
                   "off: never from this PC")  # fmt: skip
    a.set_defaults(func=cmd_modem)
    a = actions.add_parser("name", help="what the other counters call this one")
    a.add_argument("name", metavar="NAME", help='a short name, e.g. "Front desk"')
    a.set_defaults(func=cmd_name)
    for sub in actions.choices.values():
        sub.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                         help="keep all data under DIR")  # fmt: skip

    p = subparsers.add_parser(
        "database-password", help="keep the shop's database server's password in this "
        "computer's password store"
    )  # fmt: skip
    p.add_argument("--forget", action="store_true", help="remove it from the password store")
    p.set_defaults(func=cmd_password)


def _password() -> str | None:
    try:
        return secrets.get(secrets.DATABASE_PASSWORD)
    except secrets.SecretsUnavailable:
        return None  # a server that trusts this PC needs none; one that asks says so


def _checked(url: str) -> str:
    try:
        server_params(url)
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    return url


def _place(url: str) -> str:
    params = server_params(url)
    return f"{params['host']}:{params.get('port', 5432)}/{params['database']}"


# --- show / use -------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    if profile.database_url is None:
        state = "" if profile.db_path.exists() else " (not made yet)"
        out(f"database: this PC's file {profile.db_path}{state}")
        return 0
    source = "--database" if getattr(args, "database", None) else str(profile.database_file)
    out(f"database: the shop's server {where(profile)} (from {source})")
    tls = server_params(profile.database_url).get("sslmode", "prefer (the driver's default)")
    out(f"TLS:      sslmode={tls}")
    out(f"counter:  {profile.counter}")
    out("modem:    " + ("never driven from this PC (textdesk database modem on)"
                        if profile.no_modem else
                        "driven from this PC when one is attached here and no other counter "
                        "drives it"))  # fmt: skip
    return 0


def cmd_modem(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    off = args.choice == "off"
    write_local(profile.ensure().data_dir, no_modem=off)
    where_db = "" if profile.on_server else " (it matters once it uses the shop's server)"
    out(("This PC never drives the modem now" if off else
         "This PC drives the modem when one is attached here and no other counter does")
        + f"{where_db}; a running TextDesk takes it in at its next start.")  # fmt: skip
    return 0


def cmd_name(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    name = " ".join(str(args.name).split())
    if not name or len(name) > 40 or not name.isprintable():
        raise CliError("Give a short name for this counter (up to 40 characters).", 2)
    write_local(profile.ensure().data_dir, counter=name)
    out(f"The other counters call this one “{name}” from its next start.")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    if args.sqlite == bool(args.url):
        raise CliError("Give the server's address (postgresql://...) or --sqlite.", 2)
    if args.sqlite:
        write_database_url(profile.data_dir, None)
        out(f"This profile uses this PC's own file again: {profile.db_path}.")
        return 0
    url = _checked(args.url)
    open_server_database(url, password=_password())  # reachable; TextDesk's tables made
    with db.atomic():
        audit.record("database", f"a counter ({profile.data_dir}) now uses this server")
    close_database()
    write_database_url(profile.ensure().data_dir, url)
    out(f"This profile now uses the shop's server {_place(url)} (saved in "
        f"{profile.database_file}).")  # fmt: skip
    return 0


# --- move -------------------------------------------------------------------------------------


def _say_progress(table: str, done: int, total: int) -> None:
    if sys.stderr.isatty() and total >= database_move.CHUNK:
        print(f"\r{table}: {done} of {total}", end="", file=sys.stderr, flush=True)


def cmd_move(args: argparse.Namespace) -> int:
    profile: Profile = profile_of(args)
    if profile.database_url is not None:
        raise CliError(
            f"This profile's database is already on a server ({where(profile)}); "
            "move works from this PC's own file."
        )
    url = _checked(args.url)
    lock = ProfileLock(profile.lock_path, mode="database move")
    try:
        lock.acquire()
    except ProfileLocked as exc:
        raise CliError(f"{exc} Close TextDesk (window and textdesk serve) first.") from None
    try:
        close_database()
        result = database_move.move(
            profile.db_path, url, password=_password(), where=_place(url), progress=_say_progress
        )
    except database_move.MoveError as exc:
        raise CliError(str(exc)) from None
    finally:
        lock.release()
    try:
        write_database_url(profile.data_dir, url)
    except OSError as exc:
        raise CliError(
            f"The shop was copied to {_place(url)}, but {profile.database_file} could not be "
            f"written ({exc.strerror}): run “textdesk database use {url}”."
        ) from None
    out(
        f"Moved {result.messages} messages, {result.rows.get('contact', 0)} contacts and "
        f"the rest ({len(result.rows)} tables, every row verified) to {_place(url)}. This "
        f"profile now uses the server; the file {profile.db_path} was kept as it was. On each "
        f"other counter: textdesk database use {url}"
    )
    return 0


# --- database-password ------------------------------------------------------------------------


def _read_secret() -> str:
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"The {WHAT} (not shown as you type): ")
        except EOFError:
            return ""
    return sys.stdin.readline().rstrip("\r\n")


def cmd_password(args: argparse.Namespace) -> int:
    try:
        if args.forget:
            secrets.forget(secrets.DATABASE_PASSWORD)
            out(f"The {WHAT} is no longer kept on this computer.")
            return 0
        value = _read_secret()
        if not value:
            raise CliError(f"No {WHAT} given; nothing was stored.")
        if len(value) > MAX_SECRET or any(ch in value for ch in "\r\n\0"):
            raise CliError(f"That does not look like a {WHAT} (too long, or control characters).")
        secrets.put(secrets.DATABASE_PASSWORD, value)
    except secrets.SecretsUnavailable as exc:
        raise CliError(str(exc)) from None
    out(f"Stored the {WHAT} in this computer's password store.")
    return 0
