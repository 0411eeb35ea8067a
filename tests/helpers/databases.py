"""Real SQLite files for tests that cannot use the ``database`` fixture of tests/desk/conftest.py
(hypothesis examples, which need a new file each), and the app restarting on the same file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desk.store.db import close_database, open_database, open_server_database
from tests.helpers import engines


@contextmanager
def fresh_database(name: str = "textdesk.sqlite3") -> Iterator[Path]:
    """A new database file in its own temporary folder, open (and migrated) inside the block,
    closed and removed after it. Yields the file's path."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        open_database(path)
        try:
            yield path
        finally:
            close_database()


def reopen(path: Path) -> None:
    """The app restarted: close the database and open the same file again (only what was
    committed is there); on PostgreSQL (tests/helpers/engines.py) the same server database."""
    close_database()
    url = engines.server_url()
    if url is not None:
        open_server_database(url)
    else:
        open_database(path)
