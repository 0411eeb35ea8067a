"""Benchmark the Engine against the virtual modem (prints figures, asserts nothing).

1. Queued-to-submitted throughput: N messages through the Engine (committed as queued, taken,
   handed to the modem, PartSent committed) to the virtual modem paced at 115200 baud, as a ratio
   to the modem layer alone (ModemService given the same N jobs) in the same run. This is the cost
   of durability; the target is >= 0.8.
2. A burst of 500 incoming SMS: all stored, and the latency from the modem's notification (the
   virtual modem filing the SMS and raising +CMTI) to the committed row, p50/p95.

    .venv/bin/python bench/bench_engine.py [-n 200] [--burst 500] [--baud 115200]

The shop's send-rate limit (at most 60 texts a minute) is policy, not engine cost: the engine here
runs on a clock that goes 1000x faster, so the limit never throttles the measurement. Delivery
reports are held back (the network "answers" after an hour) in both runs so both measure the same
work: submitting.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import resolve_profile
from desk.engine.api import Engine
from desk.messaging.outbox import queue_message
from desk.store.db import close_database, db, open_database
from desk.store.models import SENT
from desk.store.settings import Settings
from modem.codec import pdu as pdu_codec
from modem.events import ModemState, PartSent, SendFailed, SendJob
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem

NUMBERS = ["+12025550143", "+12025550178", "+447911123456", "+12025550111"]


class FastClock:
    """Wall time running ``factor`` times faster (so per-minute limits never bind)."""

    def __init__(self, factor: float = 1000.0) -> None:
        self.factor = factor
        self.base = datetime.now(UTC)
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return self.base + timedelta(seconds=(time.monotonic() - self.t0) * self.factor)


def _text(i: int) -> str:
    return f"Bench {i:04d}: your order is ready for pickup at the counter, open until 6pm today."


def _wait(pred, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def modem_alone(n: int, baud: int) -> float:
    """Seconds for the modem layer alone to submit n messages."""
    vm = VirtualModem(baud=baud, report_delay=3600)
    device = vm.start()
    events: queue.Queue = queue.Queue()
    svc = ModemService(port=device, sink=events.put)
    svc.start()
    try:
        _wait(lambda: svc.status.state == ModemState.READY, 60, "the modem")
        t0 = time.perf_counter()
        for i in range(n):
            svc.submit(SendJob(job_id=i, number=NUMBERS[i % len(NUMBERS)], text=_text(i)))
        done = 0
        while done < n:
            event = events.get(timeout=120)
            if isinstance(event, PartSent) and event.part == event.parts:
                done += 1
            elif isinstance(event, SendFailed):
                raise SystemExit(f"modem layer failed a send: {event.reason}")
        return time.perf_counter() - t0
    finally:
        svc.stop()
        vm.stop()


def through_engine(n: int, baud: int, workdir: Path, *, via_api: bool = False) -> float:
    """Seconds from n messages committed as queued until all are committed as sent (via_api:
    from the first Engine.send() call, so queueing them is counted too)."""
    vm = VirtualModem(baud=baud, report_delay=3600)
    device = vm.start()
    profile = resolve_profile(workdir / ("throughput-api" if via_api else "throughput"))
    profile.ensure()
    open_database(profile.db_path)
    Settings().set("rate_per_minute", 60)
    sent: set[int] = set()
    all_sent = threading.Event()
    ready = threading.Event()

    def on_event(event: ev.DeskEvent) -> None:
        if isinstance(event, ev.ModemStatusChanged) and event.status.state == ModemState.READY:
            ready.set()
        elif isinstance(event, ev.MessageUpdated) and event.state == SENT:
            sent.add(event.message_id)
            if len(sent) >= n:
                all_sent.set()

    engine = Engine(profile, port=device, clock=FastClock(), mode="bench")
    engine.subscribe(on_event)
    engine.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the engine's modem never became ready")
        if via_api:
            t0 = time.perf_counter()
            futures = [engine.send(NUMBERS[i % len(NUMBERS)], _text(i)) for i in range(n)]
            for f in futures:
                f.result(timeout=120)
        else:
            # Committed as queued by another writer (a `textdesk send` script, a reminder run);
            # the clock starts once they are all in the database.
            settings, clock = Settings(), SystemClock()
            with db.atomic("IMMEDIATE"):
                for i in range(n):
                    queue_message(NUMBERS[i % len(NUMBERS)], _text(i), source="cli",
                                  settings=settings, clock=clock)  # fmt: skip
            t0 = time.perf_counter()
        if not all_sent.wait(300):
            raise SystemExit(f"only {len(sent)} of {n} sent")
        return time.perf_counter() - t0
    finally:
        engine.stop()
        vm.stop()
        close_database()


def incoming_burst(count: int, baud: int, workdir: Path) -> tuple[int, float, list[float]]:
    """(rows stored, seconds for all, notification-to-row latencies in seconds)."""
    filed: dict[str, float] = {}
    lock = threading.Lock()

    def sim_event(event: dict) -> None:
        if event.get("event") == "delivered":
            try:
                text = pdu_codec.decode(event["pdu"]).text or ""
            except pdu_codec.PduError:
                return
            with lock:
                filed.setdefault(text, time.perf_counter())

    vm = VirtualModem(baud=baud, on_event=sim_event)
    device = vm.start()
    profile = resolve_profile(workdir / "burst")
    profile.ensure()
    open_database(profile.db_path)
    stored: dict[int, float] = {}
    ready = threading.Event()
    done = threading.Event()

    def on_event(event: ev.DeskEvent) -> None:
        if isinstance(event, ev.ModemStatusChanged) and event.status.state == ModemState.READY:
            ready.set()
        elif isinstance(event, ev.MessageAdded) and event.direction == "in":
            stored[event.message_id] = time.perf_counter()
            if len(stored) >= count:
                done.set()

    engine = Engine(profile, port=device, mode="bench")
    engine.subscribe(on_event)
    engine.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the engine's modem never became ready")
        t0 = time.perf_counter()
        for i in range(count):
            vm.deliver(NUMBERS[i % len(NUMBERS)], f"Burst {i:04d}: is my repair done yet?")
        if not done.wait(600):
            print(f"  only {len(stored)} of {count} stored within 600 s")
        elapsed = time.perf_counter() - t0
        from desk.store.models import IN, Message

        bodies = dict(
            Message.select(Message.id, Message.body).where(Message.direction == IN).tuples()
        )
        latencies = [
            stored[mid] - filed[body]
            for mid, body in bodies.items()
            if body in filed and mid in stored
        ]
        return len(bodies), elapsed, latencies
    finally:
        engine.stop()
        vm.stop()
        close_database()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=200, help="messages for the throughput run")
    p.add_argument("--burst", type=int, default=500, help="incoming SMS in the burst")
    p.add_argument("--baud", type=int, default=115200)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="textdesk-bench-") as tmp:
        work = Path(tmp)
        print(f"1. queued-to-submitted, {args.n} messages at {args.baud} baud")
        alone = modem_alone(args.n, args.baud)
        engine = through_engine(args.n, args.baud, work)
        api = through_engine(args.n, args.baud, work, via_api=True)
        print(f"   modem layer alone:            {alone:6.2f} s  {args.n / alone:6.1f} SMS/s")
        print(f"   engine, queued -> submitted:  {engine:6.2f} s  {args.n / engine:6.1f} SMS/s")
        print(f"   ratio engine / modem layer:   {alone / engine:.2f}  (target >= 0.8)")
        print(f"   engine incl. queueing each through Engine.send(): {api:.2f} s "
              f"{args.n / api:.1f} SMS/s, ratio {alone / api:.2f}")  # fmt: skip

        print(f"2. burst of {args.burst} incoming SMS at {args.baud} baud")
        stored, elapsed, lat = incoming_burst(args.burst, args.baud, work)
        print(f"   stored {stored} of {args.burst} in {elapsed:.2f} s ({stored / elapsed:.1f}/s)")
        if lat:
            lat.sort()
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(
                f"   notification-to-row latency: p50 {statistics.median(lat) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
