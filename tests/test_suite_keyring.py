"""The suite never reaches the computer's real password store (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys

import keyring

from desk.base import secrets
from tests.helpers.keyring_memory import MemoryKeyring


def test_every_test_gets_a_fresh_in_memory_keyring(keyring_memory: MemoryKeyring) -> None:
    assert keyring.get_keyring() is keyring_memory and keyring_memory.store == {}
    secrets.put(secrets.SIM_PIN, "1234")
    assert keyring_memory.store == {(secrets.SERVICE, secrets.SIM_PIN): "1234"}


def test_a_child_process_gets_the_failing_backend_not_the_real_one() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__module__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "keyring.backends.fail"
