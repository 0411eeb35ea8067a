"""A password store in a JSON file, for tests that run ``textdesk`` in a subprocess (no tests in
here): ``env_for(path)`` gives the environment that makes keyring load ``FileKeyring`` there
(``PYTHON_KEYRING_BACKEND``), reading and writing ``path``; never the user's real keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors

ENV = "TEXTDESK_TEST_KEYRING"
ROOT = Path(__file__).resolve().parents[3]


class FileKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def _path(self) -> Path:
        where = os.environ.get(ENV)
        if not where:
            raise keyring.errors.KeyringError(f"{ENV} is not set")
        return Path(where)

    def _load(self) -> dict[str, str]:
        path = self._path()
        return dict(json.loads(path.read_text())) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self._path().write_text(json.dumps(data))


def env_for(path: Path, **secrets: str) -> dict[str, str]:
    """The environment for a ``textdesk`` subprocess using the store in ``path``, with
    ``secrets`` (name -> value, names of desk.base.secrets) stored first."""
    path.write_text(json.dumps({f"TextDesk/{k}": v for k, v in secrets.items()}))
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": f"{__name__}.FileKeyring",
        ENV: str(path),
        "PYTHONPATH": str(ROOT),
    }
