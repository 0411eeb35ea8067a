"""Where TextDesk keeps its files. Resolved once at start-up, never at import time.

``--profile DIR`` puts everything (database, logs, backups, lock) under DIR, so tests and demos
never touch a real shop's data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "TextDesk"
APP_AUTHOR = "TextDesk"


@dataclass(frozen=True)
class Profile:
    data_dir: Path
    log_dir: Path
    backup_dir: Path
    is_custom: bool = False

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


def resolve_profile(override: str | os.PathLike[str] | None = None) -> Profile:
    """The profile for this run: ``override`` (``--profile DIR``), $TEXTDESK_PROFILE, or the
    platform's user data/log dirs."""
    chosen = override or os.environ.get("TEXTDESK_PROFILE")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return Profile(root, root / "logs", root / "backups", is_custom=True)
    data = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    logs = Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    return Profile(data, logs, data / "backups")
