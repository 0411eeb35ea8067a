"""``textdesk send`` (the real command, a process of its own) on a profile pointed at the shop's
PostgreSQL server, next to a running counter that drives the modem (the virtual modem on a real
TCP socket): the command notifies when it commits, so the owner takes the text at once. The owner
runs no fallback cycle of its own any more (desk.engine.server_side._watch_server), so the text
going out within a second is the notification's doing (without it: not within 5 s). A text
notified while the owner's listening connection was cut is sent once the listener is back (its
one re-read after reconnecting)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.engine import live
from desk.messaging.outbox import queue_message
from desk.store.db import db
from desk.store.models import Message
from desk.store.settings import Settings
from modem.sim.virtual_modem import VirtualModem
from tests.desk.store.postgres.test_counters_engine import (
    CUSTOMER,
    counter,
    on_core,
    prepare,
    ready,
)
from tests.helpers.waits import wait_until

ROOT = Path(__file__).resolve().parents[4]


def test_textdesk_send_wakes_the_owner_at_once(
    tmp_path: Path, pg_url: str, tcp_modem: VirtualModem
) -> None:
    prepare(pg_url)
    device = tcp_modem.device
    assert device is not None
    a, sink = counter(tmp_path, pg_url, "Front desk", device)
    try:
        sink.wait(ready)
        core = a._core
        assert core is not None and core.generation is not None
        lags = []
        for n in range(3):
            text = f"Your car is ready ({n})"
            done = subprocess.run(
                [sys.executable, "-m", "desk.cli.main", "--profile", str(tmp_path / "till"),
                 "--database", pg_url, "send", CUSTOMER, text],
                cwd=ROOT, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            exited = time.monotonic()
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("queued message "), done.stdout

            def sent(text: str = text) -> bool:
                return any(s.get("text") == text for s in tcp_modem.submitted())

            wait_until(sent, 5, "the owner sent it")
            lags.append(time.monotonic() - exited)
        mids = on_core(a, lambda: [m.id for m in Message.select().order_by(Message.id)])
        for mid in mids:  # the owner's window was told each text

            def added(e: ev.DeskEvent, mid: int = mid) -> bool:
                return isinstance(e, ev.MessageAdded) and e.message_id == mid

            sink.wait(added)
        print(f"textdesk send → the owner's modem: median {statistics.median(lags) * 1000:.0f} ms, "
              f"max {max(lags) * 1000:.0f} ms over {len(lags)}")  # fmt: skip
        assert max(lags) < 1.0, lags
    finally:
        a.stop()


def test_a_text_notified_while_the_listener_was_cut_goes_after_it_reconnects(
    tmp_path: Path,
    pg_url: str,
    tcp_modem: VirtualModem,
) -> None:
    prepare(pg_url)
    device = tcp_modem.device
    assert device is not None
    a, sink = counter(tmp_path, pg_url, "Front desk", device)
    try:
        sink.wait(ready)
        core = a._core
        assert core is not None and core.listener is not None
        listener = core.listener
        assert listener.listening.wait(5)
        con = listener._con
        assert con is not None
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (con.info.backend_pid,))
        wait_until(lambda: not listener.listening.is_set(), 5, "the listener saw it was cut")
        with db.atomic():  # as textdesk send does: its notification reaches nobody now
            message = queue_message(
                CUSTOMER, "Sent after all", source="cli", settings=Settings(), clock=SystemClock()
            )
            live.notify(live.MESSAGE_ADDED, message.id)
        queued = time.monotonic()
        wait_until(
            lambda: any(s.get("text") == "Sent after all" for s in tcp_modem.submitted()),
            5, "the owner read again once it listened again",
        )  # fmt: skip
        print(f"sent {(time.monotonic() - queued) * 1000:.0f} ms after it was queued "
              f"(listener retries every {listener.retry_every:.1f} s)")  # fmt: skip
        assert listener.reconnects == 1
        sink.wait(lambda e: e == ev.Problem(
            "Changes made at the other counters show here at once again.", "info"
        ))  # fmt: skip
    finally:
        a.stop()
