"""Modem owner election with fencing on a real PostgreSQL server: one owner at a time, a takeover
within seconds when the owner's session closes (killed backend, a process killed -9), the old
owner's late claims and marks refused, a counter without a modem never asking for the lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from desk.engine.links import LinkChoice
from desk.engine.owner import ModemOwnership, connector, modem_here
from desk.store import fencing
from desk.store.db import db
from desk.store.fencing import Fenced
from desk.store.models import QUEUED, SENDING, UNCERTAIN, Message
from tests.desk.engine.postgres.conftest import NOW, queue_texts
from tests.helpers.waits import wait_until

ROOT = Path(__file__).resolve().parents[4]


class Counter:
    """One counter's election thread and what it was told."""

    def __init__(self, url: str, name: str, *, can_drive: bool = True) -> None:
        self.won: list[int] = []
        self.lost: list[int] = []
        self.won_at = 0.0
        self.connects = 0
        base = connector(url, name=name)

        def connect() -> psycopg.Connection:
            self.connects += 1
            return base()

        def won(gen: int) -> None:
            self.won_at = time.monotonic()
            self.won.append(gen)

        self.ownership = ModemOwnership(
            connect, counter=name, can_drive=lambda: can_drive, on_won=won,
            on_lost=self.lost.append, try_every=0.1, beat_every=0.1,
        )  # fmt: skip

    def __enter__(self) -> Counter:
        self.ownership.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ownership.stop()


def kill_sessions(url: str, name: str) -> int:
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()
    return len(rows)


def waiting_on_a_lock(url: str, name: str) -> bool:
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND wait_event_type = 'Lock'",
            (name,),
        ).fetchone()
    return bool(row and row[0])


def state(mid: int) -> tuple[str, int | None]:
    m = Message.get_by_id(mid)
    return m.state, m.owner_generation


def test_one_owner_then_a_takeover_and_the_old_owners_late_writes_are_refused(pg_url, monkeypatch):
    first, second, third = queue_texts(3)
    with Counter(pg_url, "front-desk") as a:
        wait_until(lambda: a.won, timeout=5)
        (gen_a,) = a.won
        with Counter(pg_url, "back-office") as b:
            wait_until(lambda: b.ownership.tries >= 3, timeout=5)
            assert b.won == [] and b.ownership.generation is None  # one owner at a time
            assert a.ownership.generation == gen_a
            with db.atomic():
                claimed = fencing.claim_outgoing(gen_a, now=NOW, limit=1)
                assert [m.id for m in claimed] == [first]
                assert fencing.mark_sending([first], gen_a) == [first]
            assert state(first) == (SENDING, gen_a)

            killed_at = time.monotonic()
            assert kill_sessions(pg_url, "front-desk") == 1  # the owner's session closes
            wait_until(lambda: b.won, timeout=5)
            (gen_b,) = b.won
            assert gen_b == gen_a + 1
            assert b.won_at - killed_at < 3.0  # within a few seconds (measured: well under 1)
            wait_until(lambda: a.lost == [gen_a], timeout=5)
            assert a.ownership.generation is None

            # The old owner wakes up with its data connection still open: refused everywhere.
            with pytest.raises(Fenced, match="Another counter drives the modem"), db.atomic():
                fencing.claim_outgoing(gen_a, now=NOW, limit=5)
            with pytest.raises(Fenced), db.atomic():
                fencing.mark_sending([second], gen_a)
            with pytest.raises(Fenced), db.atomic():
                fencing.may_mark(first, gen_a)
            # The UPDATE carries the generation itself, even past a missing check.
            monkeypatch.setattr(fencing, "check_owner", lambda generation: None)
            with db.atomic():
                assert fencing.mark_sending([second, third], gen_a) == []
            monkeypatch.undo()
            assert state(second) == (QUEUED, None) and state(third) == (QUEUED, None)

            # The new owner: what the old one left in flight is uncertain, the rest goes on.
            assert fencing.recover_stale(gen_b) == [first]
            assert state(first) == (UNCERTAIN, gen_a)
            with db.atomic():
                ids = [m.id for m in fencing.claim_outgoing(gen_b, now=NOW, limit=5)]
                assert fencing.mark_sending(ids, gen_b) == [second, third]
                assert fencing.may_mark(second, gen_b) is True
                assert fencing.may_mark(first, gen_b) is False  # claimed by another generation
        assert fencing.current_generation() == gen_b


def test_the_takeover_waits_for_a_claim_in_progress_which_it_then_recovers(pg_url):
    (mid,) = queue_texts(1)
    claiming, release = threading.Event(), threading.Event()
    with Counter(pg_url, "front-desk") as a:
        wait_until(lambda: a.won, timeout=5)
        (gen_a,) = a.won
        committed_at: list[float] = []

        def slow_claim() -> None:
            try:
                with db.atomic():
                    fencing.claim_outgoing(gen_a, now=NOW, limit=1)
                    fencing.mark_sending([mid], gen_a)
                    claiming.set()
                    release.wait(5)
                    committed_at.append(time.monotonic())  # just before the COMMIT
            finally:
                db.close()

        worker = threading.Thread(target=slow_claim)
        worker.start()
        assert claiming.wait(5)
        with Counter(pg_url, "back-office") as b:
            kill_sessions(pg_url, "front-desk")
            wait_until(lambda: waiting_on_a_lock(pg_url, "back-office"), timeout=5)
            time.sleep(0.2)
            assert b.won == []  # it has the lock; its UPDATE of the owner row waits for the claim
            release.set()
            worker.join(5)
            wait_until(lambda: b.won, timeout=5)
            assert b.won_at >= committed_at[0]
            assert fencing.recover_stale(b.won[0]) == [mid]
            assert state(mid) == (UNCERTAIN, gen_a)


def test_a_counter_without_a_modem_never_asks_for_it(pg_url):
    with Counter(pg_url, "owners-laptop", can_drive=False) as laptop:
        with Counter(pg_url, "front-desk") as a:
            wait_until(lambda: a.won, timeout=5)
        time.sleep(0.4)  # the modem is free now; the laptop has none
        assert laptop.won == [] and laptop.ownership.tries == 0 and laptop.connects == 0


OWNER_PROCESS = """
import sys, time
from desk.engine.links import LinkChoice
from desk.engine.owner import ModemOwnership, connector, modem_here
o = ModemOwnership(connector(sys.argv[1], name="till"), counter="till", can_drive=lambda: True,
                   on_won=lambda g: print("won", g, flush=True), on_lost=lambda g: None,
                   try_every=0.1, beat_every=0.1)
o.start()
time.sleep(60)
"""


def test_the_owner_process_killed_hard_is_replaced_within_seconds(pg_url):
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER_PROCESS, pg_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("won "), line
        gen = int(line.split()[1])
        with Counter(pg_url, "back-office") as b:
            wait_until(lambda: b.ownership.tries >= 2, timeout=5)
            assert b.won == []
            killed_at = time.monotonic()
            proc.kill()  # kill -9: no goodbye to the server, the socket just closes
            proc.wait(5)
            wait_until(lambda: b.won, timeout=5)
            assert b.won == [gen + 1] and b.won_at - killed_at < 3.0
    finally:
        proc.kill()
        proc.wait(5)


def test_which_counters_may_stand_for_owner(tmp_path):
    port = tmp_path / "ttyUSB0"
    port.touch()  # the modem's serial port exists on this PC
    assert modem_here(LinkChoice("at", str(port)))
    assert not modem_here(LinkChoice("at", str(tmp_path / "ttyUSB1")))  # plugged in elsewhere
    assert modem_here(LinkChoice("at", "socket://192.168.1.20:7000"))  # a network modem
    assert modem_here(LinkChoice("hilink", "http://192.168.8.1/"))
    assert not modem_here(LinkChoice("android", None))
    assert not modem_here(LinkChoice("at", None), list_ports=list)  # no serial port at all


def test_an_owner_whose_modem_goes_away_hands_it_over_and_a_failing_callback_stops_nothing(
    pg_url,
):
    attached = threading.Event()
    attached.set()
    calls: list[int] = []

    def broken(gen: int) -> None:
        calls.append(gen)
        raise RuntimeError("the engine's bug")

    a = ModemOwnership(
        connector(pg_url, name="front-desk"), counter="front-desk", can_drive=attached.is_set,
        on_won=broken, on_lost=broken, try_every=0.1, beat_every=0.1,
    )  # fmt: skip
    a.start()
    try:
        wait_until(lambda: a.generation is not None, timeout=5)  # won, despite the callback
        with Counter(pg_url, "back-office") as b:
            attached.clear()  # unplugged at the front desk
            wait_until(lambda: b.won, timeout=5)
            assert b.won == [calls[0] + 1] and calls == [calls[0], calls[0]]
            assert a.generation is None
            attached.set()  # plugged back in: it waits its turn
            time.sleep(0.3)
            assert a.generation is None and b.ownership.generation == b.won[0]
    finally:
        a.stop()
