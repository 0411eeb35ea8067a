"""send_queue.take_jobs on a real PostgreSQL server with the modem owner's generation: the claim
is fenced and row-locked, so a stale owner takes nothing and two takers never share a text."""

from __future__ import annotations

import threading

import psycopg
import pytest

from desk.base.clock import FakeClock
from desk.engine.owner import take_ownership
from desk.messaging import send_queue
from desk.store.db import db
from desk.store.fencing import Fenced
from desk.store.models import QUEUED, SENDING, Message
from desk.store.settings import Settings
from tests.desk.engine.postgres.conftest import NOW, queue_texts


def new_owner(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as con:
        return take_ownership(con, "front-desk", NOW)


@pytest.fixture
def settings(pg_url) -> Settings:
    s = Settings()
    s.set("timezone", "America/New_York")
    s.set("rate_per_minute_staff", 120)
    return s


def test_take_jobs_claims_under_the_owners_generation_and_refuses_a_stale_one(pg_url, settings):
    ids = queue_texts(3)
    old = new_owner(pg_url)
    gen = new_owner(pg_url)  # another counter won since
    clock = FakeClock(NOW)
    with pytest.raises(Fenced):
        send_queue.take_jobs(settings=settings, clock=clock, limit=2, generation=old)
    assert {m.state for m in Message.select()} == {QUEUED}
    jobs = send_queue.take_jobs(settings=settings, clock=clock, limit=2, generation=gen)
    assert [j.job_id for j in jobs] == ids[:2]
    rows = {m.id: (m.state, m.owner_generation) for m in Message.select()}
    assert rows == {ids[0]: (SENDING, gen), ids[1]: (SENDING, gen), ids[2]: (QUEUED, None)}


def test_two_takers_at_once_never_take_the_same_text(pg_url, settings):
    ids = queue_texts(40)
    gen = new_owner(pg_url)
    start = threading.Barrier(2)
    taken: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def taker(n: int) -> None:
        try:
            start.wait(5)
            while jobs := send_queue.take_jobs(
                settings=settings, clock=FakeClock(NOW), limit=2, generation=gen
            ):
                taken[n] += [int(j.job_id) for j in jobs]
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=taker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == ids
