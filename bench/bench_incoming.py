"""Incoming SMS through the Engine: a burst, and a burst while texts go out (prints figures only).

What it measures, on the virtual modem on a pty paced at 115200 baud (full duplex):
1. A burst of N incoming SMS (default 500, each its own text and sender): every one must be
   stored exactly once. Latency is from the modem's notification (the virtual modem's
   ``delivered`` event: the SMS filed in its storage and +CMTI raised, or +CMT sent) to the
   Engine's MessageAdded for the committed row; p50/p95/max. Throughput is rows a second from
   the first notification to the last row, as a ratio of the line's limit for reading these
   exact PDUs (the least exchange: ``+CMT`` with the PDU inline and ``AT+CNMA`` acknowledging it,
   27.005 3.4.1; the stored way, ``+CMTI`` then one ``AT+CMGR`` and one ``AT+CMGD``, is printed
   beside it).
2. M incoming (default 200) arriving while M texts are being sent (committed as queued just
   before), reports requested: every incoming stored once, every text at the network once and
   its report matched; the same latency figures, and the sending rate.

Why this is what a shop's modem does: after a promotion, or when a modem comes back after a day
unplugged, the network delivers what it held as fast as the modem takes it, often while the shop
is sending; the SIM holds only a few dozen messages (30 on this modem), and a network finding
it full tries again later (here after 2 s), so reading slowly costs throughput directly.

    .venv/bin/python bench/bench_incoming.py [--burst 500] [--mixed 200] [--quick]

Exits non-zero when a message was lost or stored twice, or a text lost, doubled or unmatched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
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
from desk.store.models import DELIVERED, IN, DeliveryReport, Message, MessagePart
from desk.store.settings import Settings
from modem.codec import pdu as pdu_codec
from modem.events import ModemState
from modem.sim import VirtualModem

BAUD = 115200


def sender(i: int) -> str:
    return f"+1312555{1000 + i:04d}"


def incoming_text(i: int) -> str:
    return f"Burst {i:04d}: is my repair done yet?"


def cmt_bytes(pdu_hex: str) -> int:
    """+CMT with the PDU inline, acknowledged: ``\\r\\n+CMT: ,<len>\\r\\n<pdu>\\r\\n``,
    ``AT+CNMA\\r``, ``\\r\\nOK\\r\\n``."""
    n = line_meter.tpdu_length(pdu_hex)
    return len(f"\r\n+CMT: ,{n}\r\n{pdu_hex}\r\n") + len("AT+CNMA\r") + len("\r\nOK\r\n")


def cmti_bytes(pdu_hex: str, index: int = 1) -> int:
    """Stored: ``+CMTI: "SM",<i>``, one ``AT+CMGR=<i>`` and one ``AT+CMGD=<i>``."""
    n = line_meter.tpdu_length(pdu_hex)
    out = len(f'\r\n+CMTI: "SM",{index}\r\n') + len(f"\r\n+CMGR: 0,,{n}\r\n{pdu_hex}\r\n\r\nOK\r\n")
    return out + len(f"AT+CMGR={index}\r") + len(f"AT+CMGD={index}\r") + len("\r\nOK\r\n")


class Bench:
    """One Engine on one virtual modem, with notification and row times."""

    def __init__(self, workdir: Path, name: str) -> None:
        self.lock = threading.Lock()
        self.filed: dict[str, float] = {}
        self.pdus: list[str] = []
        self.submitted: Counter[str] = Counter()
        self.vm = VirtualModem(baud=BAUD, on_event=self._sim_event)
        self.mark = len(line_meter.METER.snapshot())
        device = self.vm.start()
        profile = resolve_profile(workdir / name)
        profile.ensure()
        open_database(profile.db_path)
        Settings().set("quiet_hours", "off")
        self.stored: dict[int, float] = {}
        self.delivered_out = 0
        self.ready = threading.Event()
        self.engine = Engine(profile, port=device, mode="bench")
        self.engine.subscribe(self._desk_event)
        self.engine.start()
        if not self.ready.wait(60):
            raise SystemExit("the engine's modem never became ready")

    def _sim_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "delivered":
            try:
                text = pdu_codec.decode(event["pdu"]).text or ""
            except pdu_codec.PduError:
                return
            with self.lock:
                if text not in self.filed:
                    self.filed[text] = time.perf_counter()
                    self.pdus.append(str(event["pdu"]))
        elif kind == "submitted":
            with self.lock:
                self.submitted[str(event["to"])] += 1

    def _desk_event(self, event: ev.DeskEvent) -> None:
        if isinstance(event, ev.ModemStatusChanged) and event.status.state == ModemState.READY:
            self.ready.set()
        elif isinstance(event, ev.MessageAdded) and event.direction == "in":
            with self.lock:
                self.stored[event.message_id] = time.perf_counter()
        elif isinstance(event, ev.MessageUpdated) and event.state == DELIVERED:
            with self.lock:
                self.delivered_out += 1

    def wait(self, pred: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def incoming(self, count: int) -> dict[str, Any]:
        """Rows, duplicates and latencies of the incoming messages (the texts we delivered)."""
        rows = list(
            Message.select(Message.id, Message.body).where(Message.direction == IN).tuples()
        )
        bodies = Counter(body for _, body in rows)
        with self.lock:
            filed, stored = dict(self.filed), dict(self.stored)
        lat = sorted(
            stored[mid] - filed[body] for mid, body in rows if body in filed and mid in stored
        )
        ours = {incoming_text(i) for i in range(count)}
        return {
            "stored": len(ours & set(bodies)),
            "doubled": sum(c - 1 for b, c in bodies.items() if b in ours),
            "latencies": lat,
            "span": (max(stored.values()) - min(filed.values())) if stored and filed else 0.0,
        }

    def stop(self) -> line_meter.Exchange:
        self.engine.stop()
        self.vm.stop()
        close_database()
        records = line_meter.METER.snapshot()[self.mark :]
        return line_meter.Exchange.of(records)


def latency_line(lat: list[float]) -> str:
    if not lat:
        return "no latencies"
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    return (f"p50 {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {lat[-1] * 1000:.0f} ms")  # fmt: skip


def limits(pdus: list[str]) -> tuple[float, float, float]:
    """(SMS/s by +CMT and +CNMA, bytes per SMS that way, SMS/s by +CMTI, CMGR, CMGD)."""
    if not pdus:
        return 0.0, 0.0, 0.0
    per_cmt = sum(cmt_bytes(p) for p in pdus) / len(pdus)
    per_cmti = sum(cmti_bytes(p) for p in pdus) / len(pdus)
    return BAUD / 10 / per_cmt, per_cmt, BAUD / 10 / per_cmti


def burst(count: int, work: Path) -> list[str]:
    print(f"1. burst of {count} incoming SMS at {BAUD} baud")
    b = Bench(work, "burst")
    try:
        for i in range(count):
            b.vm.deliver(sender(i), incoming_text(i))
        if not b.wait(lambda: len(b.stored) >= count, 120 + count * 0.5):
            print(f"   only {len(b.stored)} of {count} stored in time")
        got = b.incoming(count)
    finally:
        exchange = b.stop()
    rate = got["stored"] / got["span"] if got["span"] else 0.0
    cmt, per_cmt, cmti = limits(b.pdus)
    print(f"   stored {got['stored']} of {count} ({got['doubled']} twice) in {got['span']:.2f} s: "
          f"{rate:.1f}/s, {rate / cmt:.2f} of the line's limit")  # fmt: skip
    print(f"   the line's limit for these PDUs: {cmt:.1f}/s by +CMT and +CNMA ({per_cmt:.0f} B/SMS), "
          f"{cmti:.1f}/s by +CMTI, one read, one delete")  # fmt: skip
    print(f"   on the line {exchange.total / max(1, count):.0f} B/SMS; AT commands per SMS: "
          + ", ".join(f"{k} {v / count:.1f}" for k, v in sorted(
              exchange.commands().items(), key=lambda kv: -kv[1])[:6]))  # fmt: skip
    print(f"   notification -> committed row: {latency_line(got['latencies'])}")
    problems = []
    if got["stored"] != count or got["doubled"]:
        problems.append(f"burst: {got['stored']} of {count} stored, {got['doubled']} twice")
    return problems


def mixed(count: int, work: Path) -> list[str]:
    print(f"2. {count} incoming while {count} texts are sent, reports requested")
    b = Bench(work, "mixed")
    try:
        settings, clock = Settings(), SystemClock()
        batch = workload.batch(count)
        with db.atomic("IMMEDIATE"):
            for number, text in batch:
                queue_message(number, text, source="cli", settings=settings, clock=clock)
        t0 = time.perf_counter()
        for i in range(count):
            b.vm.deliver(sender(i), incoming_text(i))
        ok_in = b.wait(lambda: len(b.stored) >= count, 120 + count * 0.5)
        ok_out = b.wait(lambda: b.delivered_out >= count, 120 + count * 0.5)
        t_end = time.perf_counter()
        got = b.incoming(count)
        matched = (
            DeliveryReport.select().join(MessagePart).where(MessagePart.state == DELIVERED).count()
        )
    finally:
        b.stop()
    with b.lock:
        subs = Counter(b.submitted)
    sent = len(subs)
    doubled_out = sum(c - 1 for c in subs.values())
    rate_in = got["stored"] / got["span"] if got["span"] else 0.0
    print(f"   stored {got['stored']} of {count} ({got['doubled']} twice), {rate_in:.1f}/s; "
          f"sent {sent} of {count} ({doubled_out} twice), reports matched {matched}; "
          f"all done in {t_end - t0:.2f} s{'' if ok_in and ok_out else ' (timed out)'}")  # fmt: skip
    print(f"   notification -> committed row: {latency_line(got['latencies'])}")
    problems = []
    if got["stored"] != count or got["doubled"]:
        problems.append(f"mixed: {got['stored']} of {count} stored, {got['doubled']} twice")
    if sent != count or doubled_out or matched != count:
        problems.append(f"mixed: {sent} of {count} sent, {doubled_out} twice, {matched} matched")
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--burst", type=int, default=500, help="incoming SMS in the burst")
    p.add_argument("--mixed", type=int, default=200, help="incoming and outgoing in run 2")
    p.add_argument("--quick", action="store_true", help="a short smoke run (40 and 20)")
    args = p.parse_args()
    if args.quick:
        args.burst, args.mixed = min(args.burst, 40), min(args.mixed, 20)
    line_meter.install()
    lift_rate_limit()  # the shop's limit (at most 60 a minute) is policy, not what is measured
    with tempfile.TemporaryDirectory(prefix="textdesk-incoming-") as tmp:
        work = Path(tmp)
        problems = burst(args.burst, work) + mixed(args.mixed, work)
    for line in problems:
        print(f"INVARIANT FAILED: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
