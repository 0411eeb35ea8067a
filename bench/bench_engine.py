"""What the Engine adds to sending: queued -> submitted through the Engine as a ratio of the modem
layer alone, delivery reports requested and matched in both runs (prints figures only).

What it measures: N short GSM-7 texts (32 characters, each to its own number) go to the virtual
modem on a pty paced at 115200 baud (full duplex), which answers every one with a status report
0.2 s later, as a network does. Run 1, the modem layer alone: ModemService is given N SendJobs;
the benchmark matches each DeliveryReport to its PartSent (reference and number) and
acknowledges it at once, as the core does once it has stored it. Run 2, through the Engine: the
N texts are committed as queued by another writer (a ``textdesk send`` script, a reminder run),
the Engine takes them, hands them to the modem, commits each as sent and stores and matches each
report. Run 3: the same, each text queued through ``Engine.send()`` (the window's path). The
clock runs from the first job (run 1) or from the last row committed as queued (run 2) to the
last ``submitted``; the reports are then waited for and checked, since the run must have done
that work too. Bytes on the line per SMS are printed for each run (bench/line_meter.py).

Why this is what a shop's modem does: a shop's texts always ask for a delivery report, and every
report costs the line and the core work while the next texts go out; holding reports back would
measure a program no shop runs. The shop's send-rate limit (at most 60 a minute) is policy, not
engine cost: it is lifted here (bench/textdesk_unlimited.py), the clock is the real one.

    .venv/bin/python bench/bench_engine.py [-n 200] [--delay 0] [--baud 115200] [--quick]

Exits non-zero when a text was lost or sent twice, or a report was not matched, in any run.
"""

from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import line_meter
import workload
from textdesk_unlimited import lift_rate_limit

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import resolve_profile
from desk.engine.api import Engine
from desk.messaging.outbox import queue_message
from desk.store.db import close_database, db, open_database
from desk.store.models import DELIVERED, SENT, DeliveryReport, Message, MessagePart
from desk.store.settings import Settings
from modem.events import DeliveryReport as ModemReport
from modem.events import ModemState, PartSent, SendFailed, SendJob
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem


@dataclass
class Run:
    name: str
    n: int
    seconds: float = 0.0  # queued (or first job) -> last submitted
    submitted: Counter[str] = field(default_factory=Counter)  # number -> times at the network
    matched: int = 0
    failed: int = 0
    line_bytes: int = 0
    commands: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def problems(self) -> list[str]:
        out = []
        lost = self.n - len(self.submitted)
        doubled = sum(c - 1 for c in self.submitted.values())
        if lost:
            out.append(f"{lost} of {self.n} never reached the network")
        if doubled:
            out.append(f"{doubled} sent twice")
        if self.matched != self.n:
            out.append(f"{self.matched} of {self.n} delivery reports matched")
        if self.failed:
            out.append(f"{self.failed} failed")
        return [f"{self.name}: {p}" for p in out]


class Sim:
    """The virtual modem with its events counted and its line metered."""

    def __init__(self, baud: int, delay: float) -> None:
        self.lock = threading.Lock()
        self.submitted: list[tuple[float, dict[str, Any]]] = []
        self.vm = VirtualModem(baud=baud, cmgs_delay=delay, on_event=self._event)
        self.mark = len(line_meter.METER.snapshot())
        self.device = self.vm.start()

    def _event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "submitted":
            with self.lock:
                self.submitted.append((time.perf_counter(), event))

    def last_submitted(self, n: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.submitted) >= n:
                    return self.submitted[n - 1][0]
            time.sleep(0.005)
        raise SystemExit(f"only {len(self.submitted)} of {n} reached the network in {timeout} s")

    def finish(self, run: Run) -> None:
        self.vm.stop()
        with self.lock:
            run.submitted = Counter(str(e["to"]) for _, e in self.submitted)
        records = line_meter.METER.snapshot()[self.mark :]
        t0 = line_meter.Exchange.of(records).first(records, b"AT+CMGS") or 0.0
        exchange = line_meter.Exchange.of(records, t0)
        run.line_bytes = exchange.total
        run.commands = exchange.commands()


def _wait(pred: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def modem_alone(n: int, baud: int, delay: float) -> Run:
    run = Run("modem layer alone", n)
    sim = Sim(baud, delay)
    events: queue.Queue[object] = queue.Queue()
    svc = ModemService(port=sim.device, sink=events.put)
    svc.start()
    try:
        if not _wait(lambda: svc.status.state == ModemState.READY, 60):
            raise SystemExit("the modem never became ready")
        batch = workload.batch(n)
        t0 = time.perf_counter()
        for i, (number, text) in enumerate(batch):
            svc.submit(SendJob(job_id=i, number=number, text=text))
        sent: dict[tuple[int, str], int] = {}  # (reference, number) -> job
        matched: set[int] = set()
        done = 0
        deadline = time.monotonic() + 120 + n * (delay + 1)
        while len(matched) < n and time.monotonic() < deadline:
            try:
                event = events.get(timeout=1)
            except queue.Empty:
                continue
            if isinstance(event, PartSent):
                sent[(event.reference, _digits(batch[int(event.job_id)][0]))] = int(event.job_id)
                done += 1
            elif isinstance(event, SendFailed):
                run.failed += 1
            elif isinstance(event, ModemReport):
                job = sent.get((event.reference, _digits(event.number or "")))
                if job is not None and event.final:
                    matched.add(job)
                if event.token is not None:
                    svc.ack_incoming(event.token)  # "stored": the core acks only after its commit
        run.seconds = sim.last_submitted(n, 10) - t0
        run.matched = len(matched)
    finally:
        svc.stop()
        sim.finish(run)
    return run


def through_engine(n: int, baud: int, delay: float, workdir: Path, *, via_api: bool) -> Run:
    run = Run("engine, Engine.send() each" if via_api else "engine, queued -> submitted", n)
    sim = Sim(baud, delay)
    profile = resolve_profile(workdir / ("api" if via_api else "queued"))
    profile.ensure()
    open_database(profile.db_path)
    Settings().set("quiet_hours", "off")
    ready = threading.Event()
    states: Counter[str] = Counter()

    def on_event(event: ev.DeskEvent) -> None:
        if isinstance(event, ev.ModemStatusChanged) and event.status.state == ModemState.READY:
            ready.set()
        elif isinstance(event, ev.MessageUpdated):
            states[event.state] += 1

    engine = Engine(profile, port=sim.device, mode="bench")
    engine.subscribe(on_event)
    engine.start()
    try:
        if not ready.wait(60):
            raise SystemExit("the engine's modem never became ready")
        batch = workload.batch(n)
        if via_api:
            t0 = time.perf_counter()
            futures = [engine.send(number, text) for number, text in batch]
            for f in futures:
                f.result(timeout=120)
        else:
            settings, clock = Settings(), SystemClock()
            with db.atomic("IMMEDIATE"):
                for number, text in batch:
                    queue_message(number, text, source="cli", settings=settings, clock=clock)
            t0 = time.perf_counter()
        run.seconds = sim.last_submitted(n, 120 + n * (delay + 1)) - t0
        _wait(lambda: states[DELIVERED] >= n, 60 + n * 0.2)
        run.matched = (
            DeliveryReport.select().join(MessagePart).where(MessagePart.state == DELIVERED).count()
        )
        run.failed = Message.select().where(Message.state.not_in([SENT, DELIVERED])).count()
    finally:
        engine.stop()
        sim.finish(run)
        close_database()
    return run


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=200, help="texts per run")
    p.add_argument("--delay", type=float, default=0.0, help="seconds the network takes to answer")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--quick", action="store_true", help="a short smoke run (20 texts)")
    args = p.parse_args()
    n = 20 if args.quick and args.n == 200 else args.n
    line_meter.install()
    lift_rate_limit()
    print(f"queued -> submitted, {n} texts of 32 GSM-7 characters to distinct numbers, delivery "
          f"reports requested and matched, {args.baud} baud, network delay {args.delay:g} s")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="textdesk-bench-") as tmp:
        work = Path(tmp)
        alone = modem_alone(n, args.baud, args.delay)
        queued = through_engine(n, args.baud, args.delay, work, via_api=False)
        api = through_engine(n, args.baud, args.delay, work, via_api=True)
    for r in (alone, queued, api):
        top = ", ".join(f"{k} {v / n:.1f}" for k, v in
                        sorted(r.commands.items(), key=lambda kv: -kv[1])[:6])  # fmt: skip
        print(
            f"   {r.name:30s} {r.seconds:6.2f} s {r.rate:6.1f} SMS/s  reports matched "
            f"{r.matched}/{n}  {r.line_bytes / n:5.0f} B/SMS on the line ({top} per SMS)"
        )
    print(
        f"   ratio engine (queued -> submitted) / modem layer alone: "
        f"{queued.rate / alone.rate:.2f}  (goal >= 0.95)"
    )
    print(f"   ratio engine (Engine.send() each) / modem layer alone:  {api.rate / alone.rate:.2f}")
    problems = alone.problems() + queued.problems() + api.problems()
    for line in problems:
        print(f"INVARIANT FAILED: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
