"""What the engine tests share: an event recorder, polling, and an engine on a prepared profile
(the real ModemService against the virtual modem, a real SQLite file)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from desk.base import events as ev
from desk.base.paths import Profile
from desk.engine.api import Engine
from desk.store.db import open_database
from desk.store.settings import Settings
from modem.events import ModemState
from modem.service.modem_service import ModemService
from tests.helpers import waits

CUSTOMER = "+12025550143"


class Recorder:
    """Collects engine events (called on the core thread) and waits for one."""

    def __init__(self) -> None:
        self.events: list[ev.DeskEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: ev.DeskEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def wait(self, pred: Callable[[ev.DeskEvent], bool], timeout: float = 30.0) -> ev.DeskEvent:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event in self.events:
                    if pred(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event; got {self.events[-15:]}")
                self.cond.wait(left)

    def of(self, kind: type) -> list[Any]:
        with self.cond:
            return [e for e in self.events if isinstance(e, kind)]


def wait_until(pred: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """tests.helpers.waits.wait_until with the engine tests' longer default (a modem set-up)."""
    return waits.wait_until(pred, timeout, what)


def updated_to(mid: int, state: str) -> Callable[[ev.DeskEvent], bool]:
    return lambda e: isinstance(e, ev.MessageUpdated) and e.message_id == mid and e.state == state


def prepare(profile: Profile, **settings: Any) -> None:
    """Settings written before the engine starts (as the owner would with textdesk config)."""
    profile.ensure()
    open_database(profile.db_path)
    s = Settings()
    s.set("rate_per_minute", 60)
    for key, value in settings.items():
        s.set(key, value)


def start_engine(profile: Profile, port: str | None, **kw: Any) -> tuple[Engine, Recorder]:
    rec = Recorder()
    engine = Engine(profile, port=port, mode="test", interval=0.1, **kw)
    engine.subscribe(rec)
    engine.start()
    return engine, rec


def wait_ready(rec: Recorder) -> None:
    rec.wait(
        lambda e: isinstance(e, ev.ModemStatusChanged) and e.status.state == ModemState.READY,
        timeout=60,
    )


def stored_path_modem(**kwargs: Any) -> ModemService:
    """A ModemService that has texts stored on the SIM and announced (+CMTI) rather than routed
    inline: for tests of what waits in a SIM slot (a full disk, a garbled read of a slot)."""
    return ModemService(direct_delivery=False, **kwargs)
