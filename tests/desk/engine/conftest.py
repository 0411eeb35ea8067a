"""What the engine tests share: a virtual modem on a real pty that sends delivery reports quickly,
and a prepared profile on a real SQLite file (a test needing other settings overrides it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base.paths import Profile, resolve_profile
from modem.sim import VirtualModem
from tests.desk.engine.harness import prepare


@pytest.fixture
def modem() -> Iterator[VirtualModem]:
    vm = VirtualModem(report_delay=0.05)
    vm.start()
    yield vm
    vm.stop()


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    p = resolve_profile(tmp_path / "profile")
    prepare(p)
    return p
