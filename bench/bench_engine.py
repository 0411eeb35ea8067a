"""What the Engine adds to sending: queued -> submitted through the Engine as a ratio of the modem
layer alone, delivery reports requested and matched in both runs (prints figures only).

What it measures: N short GSM-7 texts (32 characters, each to its own number) go to the virtual
modem on a pty paced at 115200 baud (full duplex), which answers every one with a status report
0.2 s later, as a network does. The virtual modem runs in its own process, as a shop's modem is a
device of its own (``--in-process`` runs it in this one, where its simulation competes with the
engine for Python's interpreter lock and so charges the engine for the modem's work). Run 1, the modem layer alone: ModemService is given N SendJobs;
the benchmark matches each DeliveryReport to its PartSent (reference and number) and
acknowledges it at once, as the core does once it has stored it. Run 2, through the Engine: the
N texts are committed as queued by another writer (a ``textdesk send`` script, a reminder run),
which then wakes the engine as every ``textdesk`` command does (desk.engine.poke), the Engine takes them, hands them to the modem, commits each as sent and stores and matches each
report. Run 3: the same, each text queued through ``Engine.send()`` (the window's path). The
clock runs from the first job (run 1) or from the last row committed as queued (run 2) to the
modem's answer (``+CMGS: <mr>``) to the last text, timed on the line itself; the reports are then waited for and checked, since the run must have done
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
import bisect
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
import peers
import workload
from textdesk_unlimited import lift_rate_limit

from desk.base import events as ev
from desk.base.clock import SystemClock
from desk.base.paths import resolve_profile
from desk.engine import poke
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
    seconds: float = 0.0  # queued (or first job) -> the modem's answer to the last text
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
    """The virtual modem with its events counted and its line metered: in its own process by
    default (a shop's modem is a device of its own, not threads sharing the engine's
    interpreter), or in this process (``in_process``: the modem's simulation then competes with
    the program for the same interpreter lock, which charges the program for the modem)."""

    def __init__(self, baud: int, delay: float, *, in_process: bool = False) -> None:
        self.lock = threading.Lock()
        self.submitted: list[tuple[float, dict[str, Any]]] = []
        self.in_process = in_process
        self.records: list[tuple[float, int, bytes]] = []
        if in_process:
            self.vm: VirtualModem | None = VirtualModem(
                baud=baud, cmgs_delay=delay, on_event=self._event
            )
            self.mark = len(line_meter.METER.snapshot())
            self.device = self.vm.start()
            self.proc: peers.SimProcess | None = None
        else:
            self.vm = None
            self._tmp = tempfile.TemporaryDirectory(prefix="textdesk-sim-")
            self.proc = peers.SimProcess(Path(self._tmp.name), baud=baud, cmgs_delay=delay)
            self.device = self.proc.device

    def _event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "submitted":
            with self.lock:
                self.submitted.append((time.monotonic(), event))

    def count(self) -> int:
        if self.proc is not None:
            return len(self.proc.of("submitted"))
        with self.lock:
            return len(self.submitted)

    def wait_submitted(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count() >= n:
                return
            time.sleep(0.005)
        raise SystemExit(f"only {self.count()} of {n} reached the network in {timeout} s")

    def finish(self, run: Run, t0: float) -> None:
        """Stop the modem; the run's seconds (t0 to the modem's n-th ``+CMGS:`` answer, as the
        line carried it), what reached the network, and the line's bytes."""
        if self.proc is not None:
            events = self.proc.of("submitted")
            records = self.proc.stop()
            self._tmp.cleanup()
        else:
            assert self.vm is not None
            self.vm.stop()
            with self.lock:
                events = list(self.submitted)
            records = line_meter.METER.snapshot()[self.mark :]
        run.submitted = Counter(str(e["to"]) for _, e in events)
        answered = nth_answer(records, run.n, t0)
        run.seconds = (answered if answered is not None else events[-1][0]) - t0
        first = line_meter.Exchange.of(records).first(records, b"AT+CMGS") or 0.0
        exchange = line_meter.Exchange.of(records, first)
        run.line_bytes = exchange.total
        run.commands = exchange.commands()


def nth_answer(records: list[tuple[float, int, bytes]], n: int, t0: float) -> float | None:
    """When the modem wrote its n-th ``+CMGS: <mr>`` answer after t0 (the n-th text at the
    network), from the line's own records (monotonic time, the same clock in every process)."""
    ends: list[int] = []
    times: list[float] = []
    chunks: list[bytes] = []
    size = 0
    for t, kind, data in records:
        if kind == line_meter.OUT and t >= t0:
            chunks.append(data)
            size += len(data)
            ends.append(size)
            times.append(t)
    matches = list(line_meter.CMGS_OUT.finditer(b"".join(chunks)))
    if len(matches) < n:
        return None
    return times[bisect.bisect_left(ends, matches[n - 1].end())]


def _wait(pred: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def modem_alone(n: int, baud: int, delay: float, *, in_process: bool = False) -> Run:
    run = Run("modem layer alone", n)
    sim = Sim(baud, delay, in_process=in_process)
    events: queue.Queue[object] = queue.Queue()
    svc = ModemService(port=sim.device, sink=events.put)
    svc.start()
    try:
        if not _wait(lambda: svc.status.state == ModemState.READY, 60):
            raise SystemExit("the modem never became ready")
        batch = workload.batch(n)
        t0 = time.monotonic()
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
        sim.wait_submitted(n, 10)
        run.matched = len(matched)
    finally:
        svc.stop()
        sim.finish(run, t0)
    return run


def through_engine(
    n: int, baud: int, delay: float, workdir: Path, *, via_api: bool, in_process: bool = False
) -> Run:
    run = Run("engine, Engine.send() each" if via_api else "engine, queued -> submitted", n)
    sim = Sim(baud, delay, in_process=in_process)
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
    t0 = time.monotonic()
    try:
        if not ready.wait(60):
            raise SystemExit("the engine's modem never became ready")
        batch = workload.batch(n)
        if via_api:
            t0 = time.monotonic()
            futures = [engine.send(number, text) for number, text in batch]
            for f in futures:
                f.result(timeout=120)
        else:
            settings, clock = Settings(), SystemClock()
            with db.atomic("IMMEDIATE"):
                for number, text in batch:
                    queue_message(number, text, source="cli", settings=settings, clock=clock)
            t0 = time.monotonic()
            poke.poke(profile.data_dir)  # as every `textdesk` command does at its end
        sim.wait_submitted(n, 120 + n * (delay + 1))
        _wait(lambda: states[DELIVERED] >= n, 60 + n * 0.2)
        run.matched = (
            DeliveryReport.select().join(MessagePart).where(MessagePart.state == DELIVERED).count()
        )
        run.failed = Message.select().where(Message.state.not_in([SENT, DELIVERED])).count()
    finally:
        engine.stop()
        sim.finish(run, t0)
        close_database()
    return run


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=200, help="texts per run")
    p.add_argument("--delay", type=float, default=0.0, help="seconds the network takes to answer")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--quick", action="store_true", help="a short smoke run (20 texts)")
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run the virtual modem in this process (it then shares the interpreter lock)",
    )
    args = p.parse_args()
    n = 20 if args.quick and args.n == 200 else args.n
    line_meter.install()
    lift_rate_limit()
    where = "in this process" if args.in_process else "in its own process"
    print(f"queued -> submitted, {n} texts of 32 GSM-7 characters to distinct numbers, delivery "
          f"reports requested and matched, {args.baud} baud, network delay {args.delay:g} s, "
          f"the virtual modem {where}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="textdesk-bench-") as tmp:
        work = Path(tmp)
        inp = args.in_process
        alone = modem_alone(n, args.baud, args.delay, in_process=inp)
        queued = through_engine(n, args.baud, args.delay, work, via_api=False, in_process=inp)
        api = through_engine(n, args.baud, args.delay, work, via_api=True, in_process=inp)
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
