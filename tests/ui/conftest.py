"""Fixtures for the window tests: a real SQLite file with the demo shop, and a real engine with
the virtual modem on a pseudo-terminal behind the real window (offscreen)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from desk.base.clock import FakeClock
from desk.base.paths import resolve_profile
from desk.demo.shop import populate
from desk.store.db import close_database, open_database

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/London")

# The offscreen platform plugin warns about this for every window with a size constraint; it is
# the plugin's limitation, not ours (see ui/qtlog.py).
OFFSCREEN_NOISE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture
def demo_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "demo.sqlite3"
    open_database(path)
    populate(clock=FakeClock(NOW))
    yield path
    close_database()


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "empty.sqlite3"
    open_database(path)
    yield path
    close_database()


class Desk:
    """A running engine + window + virtual modem, and helpers to drive them."""

    def __init__(self, session: Any, qtbot: Any) -> None:
        self.session = session
        self.window = session.window
        self.engine = session.engine
        self.vm = session.vm
        self.qtbot = qtbot
        self.submitted: list[dict[str, Any]] = []

    def drain(self) -> None:
        while True:
            try:
                ev = self.vm.events.get_nowait()
            except Exception:
                return
            if isinstance(ev, dict) and ev.get("event") == "submitted":
                self.submitted.append(ev)

    def wait(self, cond: Callable[[], Any], timeout: float = 20.0) -> Any:
        box: list[Any] = []

        def check() -> None:
            self.drain()
            value = cond()
            assert value
            box.append(value)

        self.qtbot.waitUntil(check, timeout=int(timeout * 1000))
        return box[-1]

    def result(self, future: Any, timeout: float = 20.0) -> Any:
        """Wait for an engine Future in a test (the window itself never does this)."""
        self.qtbot.waitUntil(future.done, timeout=int(timeout * 1000))
        return future.result()

    def sign_in(self, name: str, staff_names: tuple[str, ...] = ("Anna", "Ben")) -> None:
        """Add ``staff_names`` to the staff and sign ``name`` in through the window's dialog."""
        from desk.messaging import staff
        from ui import staff_actions

        for who in staff_names:
            self.result(self.engine.call(staff.add_staff, who, None, clock=self.engine.clock))
        dlg = staff_actions.ask(self.window)
        assert dlg is not None
        dlg.choose(name)
        dlg.buttons.accepted.emit()
        self.wait(lambda: self.window.signed_in == name)


@pytest.fixture
def desk(qtbot: Any, tmp_path: Path) -> Iterator[Desk]:
    from desk.base.events import ModemState
    from ui import session

    profile = resolve_profile(tmp_path / "profile").ensure()
    s = session.start(profile, virtual=True, customer=False, demo_data=True)
    qtbot.addWidget(s.window)
    s.window.show()
    d = Desk(s, qtbot)
    try:
        deadline = time.monotonic() + 30
        d.wait(lambda: s.engine.modem_status.state == ModemState.READY, timeout=30)
        assert time.monotonic() < deadline + 1
        yield d
    finally:
        s.close()
        close_database()
