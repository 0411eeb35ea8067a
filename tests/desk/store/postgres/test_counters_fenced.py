"""The engine of the counter that drives the modem, fenced while its election thread still holds
the advisory lock (a newer generation in modem_owner, on a real PostgreSQL server, the virtual
modem on a real TCP socket): its claim is refused, it stops its link at once, the election thread
gives the lock back at once (not at its next check), nothing is sent or marked, and all of it is
said in one WARNING line."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psycopg
import pytest

from desk.engine.owner import LOCK_KEY
from desk.store.models import Message
from modem.sim.virtual_modem import VirtualModem
from tests.desk.engine.postgres.test_owner_fenced import holders, newer_owner
from tests.desk.store.postgres.test_counters_engine import (
    CUSTOMER,
    counter,
    on_core,
    prepare,
    ready,
)
from tests.helpers.waits import wait_until


def test_a_fenced_engine_gives_the_lock_back_and_stops_the_modem(
    tmp_path: Path,
    pg_url: str,
    tcp_modem: VirtualModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prepare(pg_url)
    device = tcp_modem.device
    assert device is not None
    # its own lock check 2.5 s apart, standing again only after 3 s: what happens is the Fenced's
    a, sink = counter(tmp_path, pg_url, "Front desk", device, try_every=3.0, beat_every=2.5,
                      lose_after=2.9)  # fmt: skip
    try:
        sink.wait(ready)
        core = a._core
        assert core is not None and core.generation is not None and core.ownership is not None
        gen = core.generation
        assert holders(pg_url) == ["textdesk Front desk"]
        time.sleep(0.3)
        caplog.clear()
        caplog.set_level(logging.INFO, logger="desk")
        newer_owner(pg_url)
        asked = time.monotonic()
        mid = a.send(CUSTOMER, "Your car is ready").result(10)
        wait_until(lambda: holders(pg_url) == [], 2, "the lock was given back")
        given_back = time.monotonic() - asked
        wait_until(lambda: core.generation is None and core.service is None, 2, "link stopped")
        assert given_back < 1.0  # the Fenced claim's doing, not the 2.5 s check
        assert core.ownership.gave_back == gen
        time.sleep(0.5)  # anything it would still write would be written by now
        row = on_core(a, lambda: Message.get_by_id(mid))
        assert (row.state, row.owner_generation, row.attempts) == ("queued", None, 0)
        assert tcp_modem.submitted() == []
        said = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(said) == 1, [r.getMessage() for r in said]
        assert said[0].name == "desk.engine.owner" and "given back" in said[0].getMessage()
        print(f"fenced engine: lock given back {given_back * 1000:.0f} ms after the send")
        with psycopg.connect(pg_url, autocommit=True) as admin:  # nobody holds it: free to win
            assert admin.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
    finally:
        a.stop()
