"""An in-memory password store for tests, set explicitly with ``keyring.set_keyring`` so no test
ever reads or writes the real user keyring. ``memory_keyring()`` installs a fresh one and returns
it; ``unavailable_keyring()`` installs keyring's own fail backend (a computer with no store)."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict: (service, username) -> password."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise keyring.errors.PasswordDeleteError(username)
        del self.store[(service, username)]


def memory_keyring() -> MemoryKeyring:
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    return ring


def unavailable_keyring() -> keyring.backend.KeyringBackend:
    ring = keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]
    keyring.set_keyring(ring)
    return ring
