"""Fixtures for the whole suite: an in-memory keyring and a config folder of its own for every
test, and one real PostgreSQL server
for the session (tests/helpers/postgres.py; started only when a test asks for it) with a fresh
database per test (``pg_url``); the virtual modem on a real TCP socket (``tcp_modem``: several
engines, or an engine in another process, can reach it by address)."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from desk.store.db import close_database
from modem.sim.virtual_modem import VirtualModem
from tests.helpers.keyring_memory import MemoryKeyring, memory_keyring
from tests.helpers.postgres import PgServer, running_server

# keyring's backend that refuses every call: what child processes the tests start (the CLI, the
# virtual devices, the bundle) get instead of the computer's real password store.
CHILD_KEYRING = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def keyring_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """No test touches the real OS keyring: each one gets a fresh in-memory store (its ``store``
    dict is there to read), and any process it starts gets keyring's fail backend."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", CHILD_KEYRING)
    before = keyring.get_keyring()
    try:
        yield memory_keyring()
    finally:
        keyring.set_keyring(before)


@pytest.fixture(autouse=True)
def own_config_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test writes the computer's own config folder (the open-at-login entry lives there)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    yield pg_server.fresh_database()
    close_database()


@pytest.fixture
def tcp_modem() -> Iterator[VirtualModem]:
    """The virtual modem on 127.0.0.1 (a free port), status reports 0.1 s after each send."""
    modem = VirtualModem(tcp="127.0.0.1:0", report_delay=0.1)
    modem.start()
    try:
        yield modem
    finally:
        modem.stop()
