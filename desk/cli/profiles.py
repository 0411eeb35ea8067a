"""The profile a ``textdesk`` subcommand works on (``--profile DIR``, else the default one), and
its database: the SQLite file, or the shop's PostgreSQL server when ``--database URL`` or the
profile's database.json names one (desk.base.paths).

Commands that work on the SQLite file itself (``backup``, ``restore``) refuse a profile on the
server in plain words: its backups are the server's (pg_dump), see docs/SCALING.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import peewee as pw

from desk.base.paths import Profile, resolve_profile
from desk.cli import busy
from desk.cli.output import CliError
from desk.engine import poke
from desk.store import migrations
from desk.store.db import db, open_database, server_params
from desk.store.profile_db import open_profile_database

__all__ = ["FILE_ONLY", "open_profile", "profile_of", "wake_engine"]

_opened: set[Path] = set()  # SQLite profiles this command opened: their engine is woken at its end

# command -> what to do instead on the shop's server
FILE_ONLY = {
    "backup": "back it up on the server with pg_dump (pg_dump -Fc -f shop.dump DBNAME)",
    "restore": "restore it on the server with pg_restore (into an empty database), not here",
}


def profile_of(args: argparse.Namespace) -> Profile:
    profile = resolve_profile(
        getattr(args, "profile", None), database=getattr(args, "database", None)
    )
    command = getattr(args, "command", None)
    if profile.database_url is not None and command in FILE_ONLY:
        raise CliError(
            f"This profile's database is on the shop's server ({where(profile)}), not in a file: "
            f"“textdesk {command}” works on the SQLite file only; {FILE_ONLY[command]}."
        )
    return profile


def where(profile: Profile) -> str:
    """The database's place in words: host:port/name, or the SQLite file's path."""
    if profile.database_url is None:
        return str(profile.db_path)
    params = server_params(profile.database_url)
    return f"{params['host']}:{params.get('port', 5432)}/{params['database']}"


def _same_server(current: pw.Database, url: str) -> bool:
    if not isinstance(current, pw.PostgresqlDatabase):
        return False
    params = server_params(url)
    kwargs = current.connect_params
    return bool(
        current.database == params["database"]
        and kwargs.get("host") == params["host"]
        and kwargs.get("port") == params.get("port")
        and kwargs.get("user") == params.get("user")
    )


def open_profile(args: argparse.Namespace, *, create: bool = True) -> Profile:
    """Resolve the profile and open (migrating if needed) its database for this command; on a
    SQLite file its transactions wait for the write lock, saying so (desk.cli.busy), rather
    than fail (a server's row locks wait by themselves)."""
    profile = profile_of(args)
    current = db.obj
    if profile.database_url is not None:
        profile.ensure()
        if current is not None and _same_server(current, profile.database_url):
            migrations.migrate(current)  # refuses a newer schema; else a no-op
        else:
            open_profile_database(profile)
        return profile
    if not create and not profile.db_path.exists():
        raise CliError(f"There is no TextDesk data in {profile.data_dir} yet.")
    profile.ensure()
    if current is not None and getattr(current, "database", None) == str(profile.db_path):
        # Already open in this process (the window, an engine): keep that database object, as
        # rebinding the models under a running core thread would split its transactions.
        migrations.migrate(current, profile.db_path)  # refuses a newer schema; else a no-op
        return profile
    open_database(profile.db_path)
    busy.watch(profile)
    _opened.add(profile.data_dir)
    return profile


def wake_engine() -> None:
    """At the end of a command: wake the engine running on each SQLite profile the command
    opened, so what it committed (a text queued, a reminder, a setting) is seen at once rather
    than at the engine's next data_version look (desk.engine.poke; on the shop's server every
    writer notifies instead). Best effort, never raises."""
    while _opened:
        poke.poke(_opened.pop())
