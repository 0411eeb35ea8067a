"""One long writer must not block everyone: texts that arrive while an appointment import runs
on the engine (desk.store.bulk steps between incoming stores) are stored within about a second;
texts that arrive while another process holds the write lock past the busy timeout wait on the
SIM and are stored once it lets go, without a restart."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import Profile, resolve_profile
from desk.reminders.csv_import import ImportJob, preview_file
from desk.store.models import IN, Appointment, Message
from desk.store.settings import Settings
from modem.sim import VirtualModem
from tests.desk.engine.harness import CUSTOMER, prepare, start_engine, wait_ready, wait_until

ROWS = 40_000  # long enough, on a fast quiet machine too, for several texts to arrive during it


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    p = resolve_profile(tmp_path / "profile")
    prepare(p, timezone="America/New_York")
    return p


def sim_used(vm: VirtualModem) -> int:
    reply = vm.control({"cmd": "status"})
    assert reply is not None
    return sum(s["used"] for s in reply["storage"].values())


def incoming() -> list[str]:
    return [m.body for m in Message.select().where(Message.direction == IN).order_by(Message.id)]


def write_csv(path: Path, rows: int) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    lines = ["Name,Phone,Date,Time"]
    for i in range(rows):
        when = start + timedelta(minutes=15 * i)
        lines.append(f"Customer {i},+1202555{i % 10000:04d},{when:%Y-%m-%d},{when:%H:%M}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_texts_are_stored_within_a_second_while_a_big_import_runs(
    profile: Profile, modem: VirtualModem, tmp_path: Path
) -> None:
    csv = tmp_path / "appointments.csv"
    write_csv(csv, ROWS)
    settings, clock = Settings(), SystemClock()
    preview = preview_file(csv, settings=settings, clock=clock)
    assert len(preview.new_rows) == ROWS, preview.rejected[:3]
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        job = ImportJob(preview.new_rows, settings=settings, clock=clock)
        done = engine.run_job(job)
        rec.wait(lambda e: isinstance(e, ev.JobProgress) and e.state == "running", timeout=30)
        delays: list[float] = []
        sent = 0
        while not done.done() and sent < 8:
            before = len(rec.of(ev.MessageAdded))
            started = time.monotonic()
            modem.deliver(CUSTOMER, f"During the import {sent}")
            rec.wait(
                lambda e, n=sent: isinstance(e, ev.MessageAdded) and e.direction == IN
                and Message.get_by_id(e.message_id).body == f"During the import {n}",
                timeout=30,
            )  # fmt: skip
            delays.append(time.monotonic() - started)
            assert len(rec.of(ev.MessageAdded)) > before
            sent += 1
            time.sleep(0.2)
        assert sent >= 3, "the import ended before texts could arrive during it"
        result = done.result(timeout=300)
        assert len(result.created) == ROWS
        assert Appointment.select().count() == ROWS
        assert max(delays) < 1.5, delays  # each text stored while the import went on
        assert job.times.longest < 0.5, job.times
        words = [e.words for e in rec.of(ev.JobProgress)]
        assert words[-1] == "importing appointments (100%)"
        assert any("importing appointments (" in w and "100%" not in w for w in words)
        wait_until(lambda: sim_used(modem) == 0, what="the SIM emptied")
        assert incoming() == [f"During the import {i}" for i in range(sent)]
    finally:
        engine.stop()


def test_texts_wait_while_another_process_holds_the_write_lock_then_are_stored(
    profile: Profile, modem: VirtualModem
) -> None:
    engine, rec = start_engine(profile, modem.device)
    try:
        wait_ready(rec)
        holder = sqlite3.connect(profile.db_path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")  # another program, for longer than the 15 s timeout
        let_go = threading.Event()
        try:
            for i in range(3):
                modem.deliver(CUSTOMER, f"While locked {i}")
            trouble = rec.wait(lambda e: isinstance(e, ev.StorageTrouble), timeout=40)
            assert trouble.reason == "busy"
            assert "stay on the SIM" in trouble.text
            assert sim_used(modem) == 3
        finally:
            holder.execute("COMMIT")
            holder.close()
            let_go.set()
        started = time.monotonic()
        wait_until(lambda: len(incoming()) == 3, timeout=20, what="the texts stored")
        assert time.monotonic() - started < 10
        assert incoming() == [f"While locked {i}" for i in range(3)]
        wait_until(lambda: sim_used(modem) == 0, what="the SIM emptied")
        rec.wait(lambda e: isinstance(e, ev.StorageRecovered), timeout=5)
        assert len(rec.of(ev.StorageTrouble)) == 1
    finally:
        engine.stop()
