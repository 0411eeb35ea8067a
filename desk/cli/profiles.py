"""The profile a ``textdesk`` subcommand works on (``--profile DIR``, else the default one)."""

from __future__ import annotations

import argparse

from desk.base.paths import Profile, resolve_profile
from desk.cli import busy
from desk.cli.output import CliError
from desk.store import migrations
from desk.store.db import db, open_database

__all__ = ["open_profile", "profile_of"]


def profile_of(args: argparse.Namespace) -> Profile:
    return resolve_profile(getattr(args, "profile", None))


def open_profile(args: argparse.Namespace, *, create: bool = True) -> Profile:
    """Resolve the profile and open (migrating if needed) its database for this command; its
    transactions wait for the write lock, saying so (desk.cli.busy), rather than fail."""
    profile = profile_of(args)
    if not create and not profile.db_path.exists():
        raise CliError(f"There is no TextDesk data in {profile.data_dir} yet.")
    profile.ensure()
    current = db.obj
    if current is not None and getattr(current, "database", None) == str(profile.db_path):
        # Already open in this process (the window, an engine): keep that database object, as
        # rebinding the models under a running core thread would split its transactions.
        migrations.migrate(current, profile.db_path)  # refuses a newer schema; else a no-op
        return profile
    open_database(profile.db_path)
    busy.watch(profile)
    return profile
