"""A real PostgreSQL server for the tests: initdb and pg_ctl in a temporary directory.

The server runs as an unprivileged user (``postgres`` when the tests run as root: initdb refuses
root), listens on 127.0.0.1 and a free port, trusts local connections and skips fsync (a test
server: durability is the real server's business). It is started once per test session and each
test gets a fresh database on it (``PgServer.fresh_database``), or a fresh one with TextDesk's
schema already in it (``PgServer.migrated_database``: a copy of a template migrated once per
session, ``CREATE DATABASE ... TEMPLATE``, far cheaper than running the migrations each test). Missing server programs are an
error with the command that installs them, never a silent skip: ``./dev test`` installs them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

INSTALL = "apt-get install postgresql (./dev test does it)"
_names = itertools.count(1)


def find_program(name: str) -> Path:
    """initdb / pg_ctl from PATH or Debian's /usr/lib/postgresql/<version>/bin (newest first)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return folder / name
    raise RuntimeError(f"The PostgreSQL server program {name} is not installed: {INSTALL}.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.user = "textdesk"
        self._run_as: str | None = None
        self._template: str | None = None
        if os.geteuid() == 0:
            self._run_as = "postgres" if _has_user("postgres") else "nobody"

    def _cmd(self, *args: str) -> list[str]:
        if self._run_as is None:
            return list(args)
        return ["runuser", "-u", self._run_as, "--", *args]

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._run_as is not None:
            shutil.chown(self.root, user=self._run_as)
        initdb, pg_ctl = find_program("initdb"), find_program("pg_ctl")
        subprocess.run(
            self._cmd(str(initdb), "-D", str(self.data), "-A", "trust", "-U", self.user,
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        subprocess.run(
            self._cmd(str(pg_ctl), "-D", str(self.data), "-o", options, "-l",
                      str(self.root / "server.log"), "-w", "-t", "60", "start"),
            check=True, capture_output=True, text=True,
        )  # fmt: skip

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            subprocess.run(
                self._cmd(str(find_program("pg_ctl")), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop"),
                check=False, capture_output=True, timeout=60,
            )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """A new, empty database on the server; its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def migrated_database(self) -> str:
        """A new database with TextDesk's current schema (a copy of a template migrated once)."""
        if self._template is None:
            from desk.store import migrations
            from desk.store.db import ServerDatabase, server_params

            template = f"template_{os.getpid()}"
            with psycopg.connect(self.url(), autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{template}"')
            params = server_params(self.url(template))
            database = ServerDatabase(str(params.pop("database")), prefer_psycopg3=True, **params)
            database.connect()
            try:
                migrations.migrate(database)
            finally:
                database.close()
            self._template = template
        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return self.url(name)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    root = Path(tempfile.mkdtemp(prefix="textdesk-pg-"))
    os.chmod(root, 0o755)
    server = PgServer(root / "pg")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
