"""The modem layer's sending rate against the line's limit for the exact bytes of this run, next to
a plain python-gsmmodem-new ``GsmModem.sendSms`` loop on the same virtual modem (figures only).

What it measures: N texts (every third one two parts long, the rest one part) sent by
ModemService to the virtual modem on a pty paced at 115200 baud, full duplex, with delivery
reports requested, arriving 0.2 s after each part, and acknowledged by the benchmark as the core
does once it stored them; then the same with the network answering +CMGS after 1 s
(``--delay``). The service runs as shipped: reports routed inline where the modem takes AT+CSMS=1
(``+CDS`` with the PDU, each held by the modem until its ``AT+CNMA``). Every byte on the line is
recorded (bench/line_meter.py). The limit is computed from this run's own exchange: the
``AT+CMGS=<n>`` lengths and PDUs the service sent, the ``+CMGS: <mr>`` references the modem gave,
and the status-report PDUs the modem produced, each costed at the least the line must carry
(line_meter.limit: the send exchange both ways, echo free on a full-duplex line, plus the report
as ``+CDS`` with the PDU inline and, where the modem waits for one, its ``AT+CNMA``). The rate is
parts a second from the first ``AT+CMGS`` to the last byte of the last report's handling (its
``AT+CNMA`` answered): the work the limit counts, all of it inside the window.

Why this is what a shop's modem does: a shop's texts always ask for a report, long texts go as
several parts, and the USB modem's serial line carries every byte of the exchange both ways; a
limit computed for other messages, or without the report traffic, is not the limit of this line.

    .venv/bin/python bench/bench_modem_throughput.py [-n 200] [--baud 115200] [--delay 1] [--quick]

Exits non-zero when a part was lost or sent twice or a report did not come back matched.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import line_meter

from modem.codec import pdu
from modem.events import DeliveryReport, ModemState, PartSent, SendFailed, SendJob
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem

NUMBER = "+15551234567"


def messages(n: int) -> list[str]:
    short = "Hi {i}, your repair is ready for pickup. Reply STOP to opt out."
    long = (
        "Hello {i}! Reminder: your appointment is tomorrow at 10:30 at the shop on Main Street. "
        "Please bring your receipt and the charger. Reply C to confirm or R to reschedule."
    )
    return [(long if i % 3 == 0 else short).format(i=i) for i in range(n)]


class Sim:
    def __init__(self, baud: int, delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.vm = VirtualModem(
            "generic", baud=baud, sim_busy=0.0, cmgs_delay=delay, on_event=self._event
        )
        self.mark = len(line_meter.METER.snapshot())
        self.device = self.vm.start()

    def _event(self, event: dict[str, Any]) -> None:
        if event.get("event") in ("submitted", "report"):
            with self.lock:
                self.events.append((time.monotonic(), event))

    def of(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        with self.lock:
            return [(t, e) for t, e in self.events if e["event"] == kind]

    def wait(self, kind: str, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.of(kind)) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def records(self) -> list[tuple[float, int, bytes]]:
        return line_meter.METER.snapshot()[self.mark :]

    def quiet(self, gap: float = 0.3, timeout: float = 10.0) -> float:
        """Wait until nothing crossed the line for ``gap`` seconds; the time of its last byte."""
        deadline = time.monotonic() + timeout
        seen = len(self.records())
        while time.monotonic() < deadline:
            time.sleep(gap)
            now = len(self.records())
            if now == seen:
                break
            seen = now
        records = self.records()
        return records[-1][0] if records else 0.0

    def finish(self, t_end: float | None) -> tuple[line_meter.Exchange, list[str], float]:
        """The exchange from the first AT+CMGS to ``t_end`` (None: to the end), the reports'
        PDUs, and the time of the first AT+CMGS."""
        self.vm.stop()
        records = self.records()
        t0 = line_meter.Exchange.of(records).first(records, b"AT+CMGS") or 0.0
        reports = [str(e["pdu"]) for _, e in self.of("report") if e.get("via") in ("cds", "cdsi")]
        window = line_meter.Exchange.of(records, t0, t_end if t_end is not None else float("inf"))
        return window, reports, t0


class Outcome:
    def __init__(self, name: str, parts: int, delay: float = 0.0) -> None:
        self.name, self.parts, self.delay = name, parts, delay
        self.rate = 0.0
        self.reports_seen = 0
        self.sim_submitted: Counter[tuple[str, Any, Any, Any]] = Counter()
        self.exchange: line_meter.Exchange | None = None
        self.limit: line_meter.Limit | None = None
        self.failed = 0
        self.mode = ""

    def problems(self) -> list[str]:
        out = []
        distinct, doubled = (
            len(self.sim_submitted),
            sum(self.sim_submitted.values()) - len(self.sim_submitted),
        )
        if distinct != self.parts:
            out.append(f"{distinct} of {self.parts} parts reached the network")
        if doubled:
            out.append(f"{doubled} parts sent twice")
        if self.reports_seen != self.parts:
            out.append(f"{self.reports_seen} of {self.parts} reports came back")
        if self.failed:
            out.append(f"{self.failed} sends failed")
        return [f"{self.name}: {p}" for p in out]


def _settle(sim: Sim, out: Outcome, baud: int, t_end: float | None) -> None:
    """The figures: with ``t_end`` (the last byte of the report handling) the rate is parts over
    first AT+CMGS .. t_end; without, parts over first AT+CMGS .. last ``submitted``."""
    subs = sim.of("submitted")
    out.sim_submitted = Counter(
        (e["to"], e["text"], e.get("part"), e.get("concat_ref")) for _, e in subs
    )
    exchange, reports, t0 = sim.finish(t_end)
    end = t_end if t_end is not None else (subs[-1][0] if subs else t0)
    if end > t0:
        out.rate = len(subs) / (end - t0)
    out.exchange = exchange
    acked = exchange.commands().get("AT+CNMA", 0) >= len(reports) > 0
    out.limit = line_meter.limit(
        exchange.sends(), exchange.references(), reports, baud=baud, delay=out.delay,
        report_way="cds+cnma" if acked else "cds",
    )  # fmt: skip


def run_service(texts: list[str], parts: int, baud: int, delay: float = 0.0) -> Outcome:
    out = Outcome("ModemService", parts, delay)
    sim = Sim(baud, delay)
    events: queue.Queue[object] = queue.Queue()
    svc = ModemService(sim.device, events.put, baudrate=baud)
    svc.start()
    t_end: float | None = None
    try:
        deadline = time.monotonic() + 60
        while svc.status.state != ModemState.READY:
            if time.monotonic() > deadline:
                raise SystemExit(f"modem not ready: {svc.status}")
            time.sleep(0.01)
        references: set[int] = set()
        for i, text in enumerate(texts):
            svc.submit(SendJob(i, NUMBER, text))
        deadline = time.monotonic() + 120 + parts * (0.5 + delay)
        while out.reports_seen < parts and time.monotonic() < deadline:
            try:
                ev = events.get(timeout=1)
            except queue.Empty:
                continue
            if isinstance(ev, PartSent):
                references.add(ev.reference)
            elif isinstance(ev, SendFailed):
                out.failed += 1
            elif isinstance(ev, DeliveryReport):
                if ev.reference in references and ev.final:
                    out.reports_seen += 1
                if ev.token is not None:
                    svc.ack_incoming(ev.token)
        status = sim.vm.control({"cmd": "status"}) or {}
        inline = status.get("csms") == 1 and status.get("cnmi", [0] * 5)[3] == 1
        out.mode = "reports inline (+CDS, AT+CNMA)" if inline else "reports stored (+CDSI)"
        t_end = sim.quiet()  # the last report's acknowledgement has crossed the line
    finally:
        svc.stop()
        _settle(sim, out, baud, t_end)
    return out


def run_library(texts: list[str], parts: int, baud: int) -> Outcome | None:
    try:
        from gsmmodem.modem import GsmModem
    except ImportError:
        return None
    out = Outcome("GsmModem.sendSms loop", parts)
    out.mode = "reports not read back"
    sim = Sim(baud)
    reports: list[object] = []
    m = GsmModem(sim.device, baud, smsStatusReportCallback=reports.append)
    try:
        m.connect()
        for text in texts:
            m.sendSms(NUMBER, text)
        deadline = time.monotonic() + 30 + parts * 0.2
        while len(reports) < parts and time.monotonic() < deadline:
            time.sleep(0.05)
        out.reports_seen = len(reports)
    except Exception as exc:  # a third-party library's failure is a figure, not our crash
        out.mode = f"stopped: {type(exc).__name__}: {exc}"
    finally:
        m.close()
        _settle(sim, out, baud, None)
    return out


def _line(r: Outcome) -> str:
    assert r.exchange is not None and r.limit is not None
    ex, lim, parts = r.exchange, r.limit, r.parts
    ratio = r.rate / lim.per_second if lim.per_second else 0.0
    return (f"{r.name:22s} {r.rate:7.2f} parts/s   {ratio:5.2f} of the line limit "
            f"({lim.per_second:.2f} parts/s for its {lim.bytes_per_sms:.0f} B/part, {lim.how}); "
            f"on the line {ex.total / parts:.0f} B/part ({len(ex.to_modem) / parts:.0f} to / "
            f"{len(ex.from_modem) / parts:.0f} from the modem); reports back "
            f"{r.reports_seen}/{parts}; {r.mode}")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--delay", type=float, default=1.0, help="network delay of scenario 2 (s)")
    ap.add_argument("--delay-n", type=int, default=15, help="texts in scenario 2")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (30 and 5 texts)")
    args = ap.parse_args()
    n = 30 if args.quick and args.n == 200 else args.n
    n_delay = 5 if args.quick and args.delay_n == 15 else args.delay_n
    line_meter.install()
    problems: list[str] = []

    texts = messages(n)
    parts = sum(len(pdu.split(t)[1]) for t in texts)
    print(f"{n} SMS ({parts} parts) at {args.baud} baud, delivery reports requested, "
          "no network delay")  # fmt: skip
    results = [run_service(texts, parts, args.baud)]
    lib = run_library(texts, parts, args.baud)
    if lib is not None:
        results.append(lib)
    for r in results:
        print(_line(r))
        problems += r.problems()
    if lib is not None and lib.rate:
        print(
            f"ModemService / library: {results[0].rate / lib.rate:.2f}x (a library that does not "
            "read its reports back does less work on the line)"
        )

    if n_delay > 0 and args.delay > 0:
        texts = messages(n_delay)
        parts = sum(len(pdu.split(t)[1]) for t in texts)
        print(f"{n_delay} SMS ({parts} parts), the network answers +CMGS after {args.delay:g} s")
        slow = run_service(texts, parts, args.baud, args.delay)
        print(_line(slow))
        problems += slow.problems()

    for line in problems:
        print(f"INVARIANT FAILED: {line}")
    return 1 if any(p.startswith("ModemService") for p in problems) else 0


if __name__ == "__main__":
    raise SystemExit(main())
