"""A modem owner fenced while it still holds the advisory lock (a newer generation in modem_owner),
on a real PostgreSQL server: it gives the lock back, so another counter can win it, stops counting
itself owner (on_lost) and says so in one WARNING line; found by its own check, or at once when
the engine's claim was refused (ModemOwnership.fenced)."""

from __future__ import annotations

import logging
import time

import psycopg
import pytest

from desk.engine.owner import LOCK_KEY, ModemOwnership, connector
from tests.helpers.waits import wait_until

HOLDERS = (
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.objid = %s AND l.granted"
)


class Counter:
    def __init__(self, url: str, name: str, **timing: float) -> None:
        self.won: list[int] = []
        self.lost: list[tuple[float, int]] = []
        self.ownership = ModemOwnership(
            connector(url, name=name), counter=name, can_drive=lambda: True,
            on_won=self.won.append, on_lost=lambda g: self.lost.append((time.monotonic(), g)),
            **timing,
        )  # fmt: skip

    def __enter__(self) -> Counter:
        self.ownership.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ownership.stop()


def holders(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as admin:
        return [str(r[0]) for r in admin.execute(HOLDERS, (LOCK_KEY,)).fetchall()]


def newer_owner(url: str) -> float:
    """Another counter's generation above the lock holder's (what a claim would be fenced by)."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "UPDATE modem_owner SET generation = generation + 1, counter = 'Till 2' WHERE id = 1"
        )
    return time.monotonic()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_owner_that_finds_a_newer_generation_gives_the_lock_back(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="desk.engine.owner")
    # a: checks every 0.1 s, stands again only after 3 s; b waits its turn, trying every 0.05 s
    with Counter(pg_url, "front-desk", try_every=3.0, beat_every=0.1) as a:
        wait_until(lambda: a.won, 5, "the first counter won")
        (gen,) = a.won
        assert holders(pg_url) == ["front-desk"]
        with Counter(pg_url, "back-office", try_every=0.05, beat_every=0.1) as b:
            wait_until(lambda: b.ownership.tries >= 3, 5, "the other counter stands")
            assert b.won == []
            caplog.clear()
            bumped = newer_owner(pg_url)
            wait_until(lambda: a.lost, 2, "the fenced owner stopped")
            at, lost_gen = a.lost[0]
            assert lost_gen == gen and at - bumped < 0.5  # its next check (beat 0.1 s)
            assert a.ownership.generation is None and a.ownership.gave_back == gen
            wait_until(lambda: b.won, 2, "the lock was given back: the other counter won it")
            assert b.won == [gen + 2]  # above the newer generation too
            assert holders(pg_url) == ["back-office"]
            said = warnings(caplog)
            assert len(said) == 1, said
            assert "the lock is given back" in said[0] and f"generation {gen + 1}" in said[0]
            assert a.won == [gen]  # it stands again later, and waits its turn
            wait_until(lambda: a.ownership.tries >= 2, 5, "the fenced counter stands again")
            assert a.won == [gen] and holders(pg_url) == ["back-office"]


def test_the_engine_refused_tells_the_owner_which_gives_the_lock_back_at_once(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Its own check is 4 s away: the engine's Fenced (ModemOwnership.fenced) does not wait."""
    caplog.set_level(logging.INFO, logger="desk.engine.owner")
    with Counter(pg_url, "front-desk", try_every=3.0, beat_every=4.0, lose_after=5.0) as a:
        wait_until(lambda: a.won, 5, "the counter won")
        (gen,) = a.won
        time.sleep(0.2)  # into its wait for the next check
        caplog.clear()
        newer_owner(pg_url)
        a.ownership.fenced(gen - 1, "an older generation")  # not this one's: nothing happens
        time.sleep(0.3)
        assert a.lost == [] and holders(pg_url) == ["front-desk"]
        told = time.monotonic()
        a.ownership.fenced(gen, "Another counter drives the modem now (generation 2)")
        wait_until(lambda: a.lost, 2, "the owner stopped")
        assert a.lost[0][0] - told < 0.5 and a.lost[0][1] == gen
        wait_until(lambda: holders(pg_url) == [], 1, "the lock was given back")
        assert a.ownership.gave_back == gen and a.ownership.generation is None
        assert len(warnings(caplog)) == 1, warnings(caplog)
        print(f"fenced → lock given back in {(a.lost[0][0] - told) * 1000:.0f} ms")
