"""Where TextDesk keeps its files. Resolved once at start-up, never at import time.

``--profile DIR`` puts everything (database, logs, backups, lock) under DIR, so tests and demos
never touch a real shop's data.

Where the database is cannot be a setting (settings live in the database): a profile whose
counters share the shop's PostgreSQL server has ``database.json`` in its folder, holding only the
server's address (``{"url": "postgresql://user@host/db?sslmode=verify-full"}``, never a password:
that is in the OS keyring), written 0600 by ``textdesk database use`` / ``database move``.
``--database URL`` overrides it for one run. Without either, the SQLite file is the database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

APP_NAME = "TextDesk"
APP_AUTHOR = "TextDesk"
DATABASE_FILE = "database.json"


@dataclass(frozen=True)
class Profile:
    data_dir: Path
    log_dir: Path
    backup_dir: Path
    is_custom: bool = False
    database_url: str | None = None  # the shop's PostgreSQL server; None: the SQLite file

    @property
    def database_file(self) -> Path:
        """The small file that says where the database is (see the module doc)."""
        return self.data_dir / DATABASE_FILE

    @property
    def on_server(self) -> bool:
        return self.database_url is not None

    def with_database(self, url: str | None) -> Profile:
        return replace(self, database_url=url)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "textdesk.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "engine.lock"

    @property
    def log_path(self) -> Path:
        return self.log_dir / "textdesk.log"

    @property
    def crash_path(self) -> Path:
        """faulthandler writes here; the next start shows it."""
        return self.log_dir / "crash.log"

    def ensure(self) -> Profile:
        for d in (self.data_dir, self.log_dir, self.backup_dir):
            d.mkdir(parents=True, exist_ok=True)
            try:
                os.chmod(d, 0o700)
            except OSError:
                pass
        return self


def read_database_url(data_dir: Path) -> str | None:
    """The server address in ``data_dir``'s database.json, or None when there is none. A file
    that cannot be read as one raises ValueError in plain words (never a silent SQLite)."""
    path = data_dir / DATABASE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValueError(f"TextDesk cannot read {path} ({exc.strerror}).") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    url = data.get("url") if isinstance(data, dict) else None
    if url is None and isinstance(data, dict) and set(data) <= {"url"}:
        return None
    if not isinstance(url, str) or not url.strip():
        raise ValueError(
            f"{path} does not say where the database is (it should hold "
            '{"url": "postgresql://user@host/database"}); fix or remove it.'
        )
    return url.strip()


def write_database_url(data_dir: Path, url: str | None) -> None:
    """Point the profile in ``data_dir`` at ``url`` (None: back to its SQLite file), written
    whole or not at all, readable by its owner only."""
    path = data_dir / DATABASE_FILE
    if url is None:
        path.unlink(missing_ok=True)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url}, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def resolve_profile(
    override: str | os.PathLike[str] | None = None, *, database: str | None = None
) -> Profile:
    """The profile for this run: ``override`` (``--profile DIR``), $TEXTDESK_PROFILE, or the
    platform's user data/log dirs; its database ``database`` (``--database URL``), else the
    server its database.json names, else its SQLite file."""
    chosen = override or os.environ.get("TEXTDESK_PROFILE")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        profile = Profile(root, root / "logs", root / "backups", is_custom=True)
    else:
        data = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
        logs = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
        profile = Profile(data, logs, data / "backups")
    return profile.with_database(database or read_database_url(profile.data_dir))
