"""The core thread sleeps until something is due (desk.engine.wake): idle, it runs no cycles; a
reminder fires at its time; a row another connection commits is seen within a look or two."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import Profile
from desk.engine import wake
from desk.engine.api import Engine
from desk.messaging.outbox import queue_message
from desk.reminders.manage import create_reminder
from desk.store.db import db
from desk.store.models import OUT, Message
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import CUSTOMER, Recorder, start_engine, wait_ready, wait_until


@pytest.fixture
def running(profile: Profile, modem: VirtualModem) -> Iterator[tuple[Engine, Recorder]]:
    Settings().set("quiet_hours", "off")
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        yield engine, rec
    finally:
        engine.stop()


def count_cycles(engine: Engine) -> list[int]:
    """Wrap the core's batch: the sizes of the batches it runs from now on."""
    core = engine._core
    assert core is not None
    sizes: list[int] = []
    inner = core._batch

    def counted(items: list[Any], **kw: Any) -> list[Any]:
        sizes.append(len(items))
        return inner(items, **kw)

    core._batch = counted  # type: ignore[method-assign]
    return sizes


def test_an_idle_engine_runs_no_cycles_on_a_timer(running: tuple[Engine, Recorder]) -> None:
    engine, _ = running
    time.sleep(1.0)  # let start-up settle (the first status, the first tick)
    sizes = count_cycles(engine)
    time.sleep(2.5)  # interval=0.1: a polling core would have run about 25 cycles
    empty = [s for s in sizes if s == 0]
    assert len(empty) <= 1, f"{len(empty)} cycles with nothing to do in 2.5 s"


def test_a_reminder_fires_at_its_time_without_polling(running: tuple[Engine, Recorder]) -> None:
    engine, rec = running
    clock = SystemClock()
    due = clock.now() + timedelta(seconds=2)
    engine.call(
        create_reminder, recipients=[CUSTOMER], text="See you soon", at=due,
        settings=engine.settings, clock=clock,
    ).result(timeout=10)  # fmt: skip
    sizes = count_cycles(engine)
    added = rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.direction == OUT, timeout=10)
    assert clock.now() >= due
    assert clock.now() - due < timedelta(seconds=1.5), "the reminder went out late"
    assert Message.get_by_id(added.message_id).source == "reminder"
    # Woken by the due time (and the modem's events), not every interval (0.1 s) meanwhile.
    assert len([s for s in sizes if s == 0]) <= 5


def test_a_row_another_connection_commits_is_seen_within_a_look(
    running: tuple[Engine, Recorder],
) -> None:
    _, rec = running
    time.sleep(0.5)
    with db.atomic("IMMEDIATE"):  # this thread's own connection: another writer to the core
        message = queue_message(
            CUSTOMER, "From the back office", source="cli", settings=Settings(),
            clock=SystemClock(),
        )  # fmt: skip
    seen = time.monotonic()
    rec.wait(lambda e: isinstance(e, ev.MessageAdded) and e.message_id == message.id, timeout=10)
    assert time.monotonic() - seen <= wake.WATCH_EVERY + 1.0
    wait_until(lambda: Message.get_by_id(message.id).state != "queued", 10, "the text to go")


def test_a_burst_of_calls_is_split_so_the_write_lock_is_held_briefly(
    running: tuple[Engine, Recorder],
) -> None:
    """Sixty calls of 5 ms queued at once: handled in order, in several short transactions
    (each starts no more items after ITEMS_SECONDS), every one resolved."""
    from desk.engine import core_loop

    engine, _ = running
    time.sleep(0.5)
    sizes = count_cycles(engine)
    done: list[int] = []

    def slow(i: int) -> int:
        time.sleep(0.005)
        done.append(i)
        return i

    futures = [engine.call(slow, i) for i in range(60)]
    assert [f.result(timeout=20) for f in futures] == list(range(60))
    assert done == list(range(60))
    with_items = [s for s in sizes if s]
    assert len(with_items) >= 3, with_items
    assert max(with_items) <= 60
    assert core_loop.ITEMS_SECONDS <= 0.1
