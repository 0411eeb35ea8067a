"""The outbox claim on a real PostgreSQL server: FOR UPDATE SKIP LOCKED, so claimers running at once
never take the same text and never wait for each other; due-ness and send order as on SQLite."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg

from desk.base.clock import to_db
from desk.engine.owner import take_ownership
from desk.store import fencing
from desk.store.db import db
from desk.store.models import SENDING, Message
from tests.desk.engine.postgres.conftest import NOW, queue_texts


def owner_generation(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as con:
        return take_ownership(con, "front-desk", NOW)


def test_two_claimers_at_once_never_claim_the_same_text(pg_url):
    ids = queue_texts(60)
    gen = owner_generation(pg_url)
    start = threading.Barrier(2)
    taken: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        try:
            start.wait(5)
            while True:
                with db.atomic():
                    batch = [m.id for m in fencing.claim_outgoing(gen, now=NOW, limit=3)]
                    time.sleep(0.005)  # hold the rows a moment: the other claimer runs meanwhile
                    taken[name] += batch  # what the claim returned, before any mark
                    assert fencing.mark_sending(batch, gen) == sorted(batch)
                if not batch:
                    return
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert not set(taken["a"]) & set(taken["b"])
    assert sorted(taken["a"] + taken["b"]) == ids
    assert taken["a"] and taken["b"]  # both claimed, side by side
    states = {m.state for m in Message.select().where(Message.id.in_(ids))}
    assert states == {SENDING}


def test_a_claimer_passes_over_rows_another_holds_without_waiting(pg_url):
    ids = queue_texts(6)
    gen = owner_generation(pg_url)
    holding, done = threading.Event(), threading.Event()
    held: list[int] = []

    def hold() -> None:
        try:
            with db.atomic():
                held.extend(m.id for m in fencing.claim_outgoing(gen, now=NOW, limit=3))
                holding.set()
                done.wait(5)
        finally:
            db.close()

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(5)
        began = time.monotonic()
        with db.atomic():
            mine = [m.id for m in fencing.claim_outgoing(gen, now=NOW, limit=3)]
        assert time.monotonic() - began < 0.5
    finally:
        done.set()
        worker.join(5)
    assert held == ids[:3] and mine == ids[3:]


def test_only_due_texts_are_claimed_in_send_order(pg_url):
    first, later, staff_now = queue_texts(3)
    Message.update(next_attempt_at=to_db(NOW + timedelta(minutes=5))).where(
        Message.id == later
    ).execute()
    Message.update(priority=-1).where(Message.id == staff_now).execute()
    gen = owner_generation(pg_url)
    with db.atomic():
        assert [m.id for m in fencing.claim_outgoing(gen, now=NOW, limit=5)] == [staff_now, first]
        soon = NOW + timedelta(minutes=6)
        claimed = fencing.claim_outgoing(gen, now=soon, limit=5)
        assert [m.id for m in claimed] == [staff_now, first, later]
        assert claimed[0].conversation.contact.number == "+12025550143"  # joined, no extra query
