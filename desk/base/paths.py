"""Where TextDesk keeps its files. Resolved once at start-up, never at import time.

``--profile DIR`` puts everything (database, logs, backups, lock) under DIR, so tests and demos
never touch a real shop's data.

Where the database is cannot be a setting (settings live in the database): a profile whose
counters share the shop's PostgreSQL server has ``database.json`` in its folder, holding only the
server's address (``{"url": "postgresql://user@host/db?sslmode=verify-full"}``, never a password:
that is in the OS keyring), written 0600 by ``textdesk database use`` / ``database move``.
``--database URL`` overrides it for one run. Without either, the SQLite file is the database.

The same file holds what is this PC's own among several counters (never in the shared settings
table, which every counter reads): ``"no_modem": true`` (this counter never drives the modem,
even with one attached: ``textdesk database modem off``, or ``serve --no-modem`` for one run)
and ``"counter": "Front desk"`` (the name the other counters show for it; default: the
computer's name).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "TextDesk"
APP_AUTHOR = "TextDesk"
DATABASE_FILE = "database.json"
LOCAL_KEYS = frozenset({"url", "no_modem", "counter"})  # what database.json may hold


@dataclass(frozen=True)
class Profile:
    data_dir: Path
    log_dir: Path
    backup_dir: Path
    is_custom: bool = False
    database_url: str | None = None  # the shop's PostgreSQL server; None: the SQLite file
    no_modem: bool = False  # this PC never drives the modem (several counters; database.json)
    counter_name: str | None = None  # this counter's name for the others (None: the host's)

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
    def counter(self) -> str:
        """The name the other counters show for this one."""
        return self.counter_name or socket.gethostname() or "this counter"

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


def read_local(data_dir: Path) -> dict[str, Any]:
    """What ``data_dir``'s database.json holds ({} when there is none). A file that cannot be
    read as one raises ValueError in plain words (never a silent SQLite)."""
    path = data_dir / DATABASE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ValueError(f"TextDesk cannot read {path} ({exc.strerror}).") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    bad = not isinstance(data, dict) or not set(data) <= LOCAL_KEYS
    if not bad:
        assert isinstance(data, dict)
        url, name = data.get("url"), data.get("counter")
        bad = (
            (url is not None and (not isinstance(url, str) or not url.strip()))
            or not isinstance(data.get("no_modem", False), bool)
            or (name is not None and (not isinstance(name, str) or not name.strip()))
        )
    if bad:
        raise ValueError(
            f"{path} does not say where the database is (it should hold "
            '{"url": "postgresql://user@host/database"}); fix or remove it.'
        )
    assert isinstance(data, dict)
    return data


def read_database_url(data_dir: Path) -> str | None:
    """The server address in ``data_dir``'s database.json, or None when there is none."""
    url = read_local(data_dir).get("url")
    return url.strip() if isinstance(url, str) else None


def write_local(data_dir: Path, **changes: Any) -> None:
    """Change what database.json holds (a value None removes its key; nothing left: no file),
    written whole or not at all, readable by its owner only."""
    data = {**read_local(data_dir), **changes}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    path = data_dir / DATABASE_FILE
    if not data:
        path.unlink(missing_ok=True)
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass


def write_database_url(data_dir: Path, url: str | None) -> None:
    """Point the profile in ``data_dir`` at ``url`` (None: back to its SQLite file); what else
    database.json holds for this PC is kept."""
    write_local(data_dir, url=url)


def resolve_profile(
    override: str | os.PathLike[str] | None = None, *, database: str | None = None
) -> Profile:
    """The profile for this run: ``override`` (``--profile DIR``), $TEXTDESK_PROFILE, or the
    platform's user data/log dirs; its database ``database`` (``--database URL``), else the
    server its database.json names, else its SQLite file; this PC's own choices from there."""
    chosen = override or os.environ.get("TEXTDESK_PROFILE")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        profile = Profile(root, root / "logs", root / "backups", is_custom=True)
    else:
        data = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
        logs = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
        profile = Profile(data, logs, data / "backups")
    local = read_local(profile.data_dir)
    url = local.get("url")
    return replace(
        profile,
        database_url=database or (url.strip() if isinstance(url, str) else None),
        no_modem=bool(local.get("no_modem", False)),
        counter_name=local.get("counter"),
    )
