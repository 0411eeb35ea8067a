"""End to end with processes: two ``textdesk serve`` counters on one real PostgreSQL database, both
with the same network modem configured (the virtual modem on a real TCP socket, the shared
``modem_port`` setting). Texts are queued and customers' texts delivered while the counter that
drives the modem is killed -9 in the middle; the other takes over under a higher generation. At
the end every incoming text is stored exactly once, every outgoing text reached the modem at most
once (the virtual modem's log of what was submitted), what was in flight at the kill is
``uncertain`` and nothing was resent on its own."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.base.clock import SystemClock
from desk.base.paths import write_local
from desk.engine import live
from desk.messaging.outbox import queue_message
from desk.store.counters import ModemOwner
from desk.store.db import close_database, db, open_server_database
from desk.store.models import IN, OUT, Message
from desk.store.settings import Settings
from modem.sim.virtual_modem import VirtualModem
from tests.helpers.waits import wait_until

ROOT = Path(__file__).resolve().parents[4]
CUSTOMERS = ["+12025550143", "+12025550178", "+447700900123"]


class Counter_:
    def __init__(self, tmp: Path, url: str, name: str) -> None:
        self.name = name
        self.dir = tmp / name.replace(" ", "-")
        write_local(self.dir, url=url, counter=name)
        self.log = tmp / f"{self.dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "desk.cli.main", "serve", "--profile", str(self.dir)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def said(self, words: str) -> bool:
        return words in self.log.read_text(errors="replace")

    def tail(self) -> str:
        return f"--- {self.name}:\n" + self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.tail()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def vm() -> Iterator[VirtualModem]:
    # cmgs_delay: each text takes a moment at the modem, so some are in flight at the kill
    modem = VirtualModem(tcp="127.0.0.1:0", report_delay=0.1, cmgs_delay=0.4)
    modem.start()
    try:
        yield modem
    finally:
        modem.stop()


def owner() -> tuple[int, str | None]:
    row = ModemOwner.get_by_id(1)
    return int(row.generation), row.counter


def test_killing_the_counter_that_drives_the_modem_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, pg_url: str, vm: VirtualModem
) -> None:
    open_server_database(pg_url)
    settings = Settings()
    settings.set("rate_per_minute", 60)
    settings.set("modem_port", str(vm.device))
    a, b = Counter_(tmp_path, pg_url, "Front desk"), Counter_(tmp_path, pg_url, "Back office")
    delivered: list[str] = []
    queued: dict[int, str] = {}

    def deliver(n: int) -> None:
        text = f"in-{n:02d} is my order ready?"
        reply = vm.control({"cmd": "deliver", "from": CUSTOMERS[n % 3], "text": text})
        assert reply and reply.get("ok"), reply
        delivered.append(text)

    def queue(n: int) -> None:
        body = f"out-{n:02d} your car is ready"
        with db.atomic():  # as `textdesk send` does, next to the running counters
            message = queue_message(
                CUSTOMERS[n % 3], body, source="cli", settings=Settings(), clock=SystemClock()
            )
            live.notify(live.MESSAGE_ADDED, message.id)  # the owner wakes on it
        queued[message.id] = body

    try:
        a.start()
        wait_until(lambda: owner() == (1, "Front desk"), 30, "the first counter drives it")
        b.start()
        wait_until(lambda: b.said("Another counter drives the modem now (Front desk)"), 30,
                   "the other counter says who drives the modem")  # fmt: skip
        for n in range(6):
            deliver(n)
            queue(n)
        wait_until(lambda: len(vm.submitted()) >= 2, 30, "texts going out through the first")
        a.kill()
        killed_at = time.monotonic()
        in_flight = {
            m.id for m in Message.select().where((Message.direction == OUT)
                                                 & (Message.state == "sending"))
        }  # fmt: skip
        for n in range(6, 12):  # while nobody drives the modem, and after
            deliver(n)
            queue(n)
            time.sleep(0.1)
        wait_until(lambda: owner() == (2, "Back office"), 15, "the other counter takes over")
        takeover = time.monotonic() - killed_at

        def settled() -> bool:
            states = [m.state for m in Message.select().where(Message.direction == OUT)]
            stored = Message.select().where(Message.direction == IN).count()
            return stored >= len(delivered) and all(s not in ("queued", "sending") for s in states)

        wait_until(settled, 45, "every text stored and every reply settled")
        time.sleep(1.0)  # anything sent twice or stored twice would show by now

        stored = Counter(m.body for m in Message.select().where(Message.direction == IN))
        assert stored == Counter(delivered), stored
        submitted = Counter(s["text"] for s in vm.submitted())
        assert max(submitted.values()) == 1, submitted  # nothing reached the modem twice
        rows = {m.id: m for m in Message.select().where(Message.direction == OUT)}
        assert set(rows) == set(queued)
        for mid, m in rows.items():
            if mid in in_flight:
                assert m.state == "uncertain" and m.owner_generation == 1, (mid, m.state)
            elif m.state in ("sent", "delivered"):
                assert submitted[m.body] == 1
            else:
                assert m.state == "uncertain", (mid, m.state, m.error)
            if m.state == "uncertain":
                assert m.attempts == 1 and submitted[m.body] <= 1  # never resent on its own
        assert {m.owner_generation for m in rows.values() if m.id not in in_flight} <= {1, 2}
        assert any(m.owner_generation == 2 for m in rows.values())  # the new owner sent some
        print(f"takeover {takeover:.1f} s after the kill; {len(in_flight)} in flight → "
              f"uncertain; {sum(submitted.values())} of {len(queued)} texts reached the modem")  # fmt: skip
    except BaseException:
        print(a.tail(), b.tail(), sep="\n")
        raise
    finally:
        b.stop()
        if a.proc is not None and a.proc.poll() is None:
            a.stop()
        close_database()
