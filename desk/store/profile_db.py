"""The profile's database, wherever it is: its SQLite file, or the shop's PostgreSQL server that
``--database URL`` or the profile's database.json names (desk.base.paths), with the server's
password from the OS keyring. The engine, the window and the command line open through here.

Kept out of desk.store.db, which knows no profile and no keyring.
"""

from __future__ import annotations

import peewee as pw

from desk.base import secrets
from desk.base.paths import Profile
from desk.store.db import open_database, open_server_database
from desk.store.migrations import DatabaseError

__all__ = ["open_profile_database", "server_password"]


def server_password() -> str | None:
    """The shop's server's password from the OS keyring (None: none kept, or no keyring here:
    a server that trusts this PC needs none, one that asks says so)."""
    try:
        return secrets.get(secrets.DATABASE_PASSWORD)
    except secrets.SecretsUnavailable:
        return None


def open_profile_database(profile: Profile, *, migrate: bool = True) -> pw.Database:
    """The profile's database: the shop's server when the profile names one (database.json or
    ``--database``), with the password from the OS keyring (textdesk database-password), else
    its SQLite file. A password store this computer lacks only matters when the server asks."""
    if profile.database_url is None:
        return open_database(profile.db_path, migrate=migrate)
    try:
        password, unavailable = secrets.get(secrets.DATABASE_PASSWORD), None
    except secrets.SecretsUnavailable as exc:
        password, unavailable = None, exc
    try:
        return open_server_database(profile.database_url, password=password, migrate=migrate)
    except DatabaseError as exc:
        if "password" not in str(exc):
            raise
        hint = (
            str(unavailable)
            if unavailable
            else ("Keep the server's password on this computer with: textdesk database-password.")
        )
        raise DatabaseError(f"{exc} {hint}") from exc
