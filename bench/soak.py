"""The soak: `textdesk serve` for hours on a fresh profile against the virtual modem, with mixed
traffic (10 texts a minute each way: outgoing through `textdesk send`, incoming through the
modem's ``deliver`` command) and a modem fault every few minutes, cycling through what the
control channel offers (bench/fault_modem.py). Only the public command line and the control
channel drive it; the database is only read.

At the end every text is checked: each incoming one stored exactly once; each outgoing one at
the modem (its "submitted" events) exactly once, or explicitly failed/uncertain (at most once).
It prints the fault table (the same as bench/faults.py) and serve's RSS and open files at the
start, every 15 minutes and at the end.

    .venv/bin/python bench/soak.py --minutes 3          # a try
    nohup .venv/bin/python bench/soak.py --minutes 120 > /work/soak/soak.txt 2>&1 &

A benchmark, not a test (pytest does not collect it).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_kit import Shop, judge, now_utc, table
from fault_modem import CYCLE

SENDERS = ["+12025550143", "+12025550178", "+447700900123", "+12025550190", "+12025550155"]
SAMPLE_EVERY = 15 * 60


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/soak.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=120.0, help="how long traffic runs (120)")
    p.add_argument("--per-minute", type=float, default=10.0, help="texts a minute each way (10)")
    p.add_argument("--fault-every", type=float, help="seconds between faults (default: 240, "
                   "or less for a short run so every fault comes at least once)")  # fmt: skip
    p.add_argument("--workdir", type=Path, help="default /work/soak/run-<UTC time>")
    p.add_argument("--seed", type=int, default=11)
    return p.parse_args(argv)


class Traffic:
    """Texts both ways at a steady rate, in the background, while faults come and go."""

    def __init__(self, shop: Shop, per_minute: float, seed: int) -> None:
        self.shop = shop
        self.gap = 60.0 / per_minute
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="send")
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True, name="traffic")

    def _run(self) -> None:
        recipients = itertools.cycle(f"+1202555{i:04d}" for i in range(200, 260))
        next_at = time.monotonic()
        while not self.stop.is_set():
            try:
                self.shop.deliver(self.rng.choice(SENDERS))
            except Exception as exc:  # the bench reports it, it does not die of it
                self.errors.append(f"deliver: {exc!r}")
            self.pool.submit(self._send, next(recipients))
            next_at += self.gap
            self.stop.wait(max(0.0, next_at - time.monotonic()))

    def _send(self, number: str) -> None:
        try:
            self.shop.send(number)
        except Exception as exc:
            self.errors.append(f"send: {exc!r}")

    def start(self) -> None:
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(60)
        self.pool.shutdown(wait=True)


class Sampler:
    """serve's RSS and open files at the start, every 15 minutes, and at the end."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.t0 = time.monotonic()
        self.rows: list[tuple[str, float, int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="sampler")

    def take(self, label: str) -> None:
        rss, fds = self.shop.serve.resources()
        minute = (time.monotonic() - self.t0) / 60
        self.rows.append((label, minute, rss, fds))
        print(f"[{now_utc()}] {label:>6}: minute {minute:6.1f}  serve RSS {rss / 1024:7.1f} MiB"
              f"  open files {fds}", flush=True)  # fmt: skip

    def _run(self) -> None:
        n = 0
        while not self.stop.wait(SAMPLE_EVERY):
            n += 1
            self.take(f"{n * 15}min")

    def text(self) -> str:
        out = ["when   | minute | serve RSS (MiB) | open files", "-------+--------+" + "-" * 17
               + "+-----------"]  # fmt: skip
        for label, minute, rss, fds in self.rows:
            out.append(f"{label:<6} | {minute:6.1f} | {rss / 1024:15.1f} | {fds}")
        return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    workdir = args.workdir or Path("/work/soak") / f"run-{stamp}"
    seconds = args.minutes * 60
    every = args.fault_every or max(20.0, min(240.0, seconds / (len(CYCLE) + 1)))
    shop = Shop(workdir)
    print(f"[{now_utc()}] soak: {args.minutes:g} min, {args.per_minute:g} texts/min each way, a "
          f"fault every {every:.0f} s; workdir {workdir}; bench pid {os.getpid()}", flush=True)  # fmt: skip
    shop.setup()
    shop.start()
    print(f"[{now_utc()}] serve pid {shop.serve.pid}, modem on {shop.link} "
          f"(sim pid {shop.sim.proc.pid if shop.sim.proc else '?'})", flush=True)  # fmt: skip
    sampler = Sampler(shop)
    sampler.take("start")
    sampler.thread.start()
    traffic = Traffic(shop, args.per_minute, args.seed)
    traffic.start()
    end = time.monotonic() + seconds
    faults = itertools.cycle(CYCLE)
    next_fault = time.monotonic() + min(every, 30.0)
    while time.monotonic() < end:
        if time.monotonic() < next_fault:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            continue
        if not shop.serve.alive():
            print(f"[{now_utc()}] serve DIED with {shop.serve.proc.returncode if shop.serve.proc else '?'}",
                  flush=True)  # fmt: skip
            break
        fault = next(faults)
        try:
            row = fault(shop)
        except Exception as exc:  # a bench failure is reported, the soak goes on
            print(f"[{now_utc()}] fault {fault.__name__} could not run: {exc!r}", flush=True)
            next_fault = time.monotonic() + every
            continue
        rec = f"{row.recovered:.1f} s" if row.recovered is not None else "NOT within the limit"
        print(f"[{now_utc()}] {row.name}: recovered in {rec}; told: {'; '.join(row.told[:3])}",
              flush=True)  # fmt: skip
        next_fault = max(next_fault + every, time.monotonic() + 10)
    traffic.finish()
    print(f"[{now_utc()}] traffic stopped; draining", flush=True)
    drained = shop.drain(300)
    sampler.stop.set()
    sampler.take("end")
    tracebacks = shop.serve.tracebacks()
    code = shop.serve.stop()
    submitted = shop.sim.submitted()
    result = judge(shop, submitted)
    shop.sim.stop()

    totals = result["totals"]
    print()
    print(f"=== soak result ({now_utc()}): {args.minutes:g} min ===")
    print(table(shop.rows, result["baseline"]))
    print()
    print(sampler.text())
    print()
    print(f"incoming texts {totals['in']}, outgoing {totals['out']} (sent {totals['sent']}, "
          f"delivered {totals['delivered']}, failed {totals['failed']}, uncertain "
          f"{totals['uncertain']}, refused by send {totals['refused']}); texts at the modem "
          f"nobody queued (auto-replies): {result['extra_at_modem']}")  # fmt: skip
    print(f"drained at the end: {drained}; serve exit code {code}; tracebacks in serve's output "
          f"{tracebacks}; bench errors {len(traffic.errors)}")  # fmt: skip
    for e in traffic.errors[:20]:
        print("  bench:", e)
    print(f"problems: {len(result['problems'])}")
    for p in result["problems"][:200]:
        print("  ", p)
    print("\nwhat `textdesk status` said during each fault:")
    for r in shop.rows:
        if r.status:
            print(f"  {r.name}: " + " / ".join(r.status.splitlines()[1:3]))
    print(f"\nfull serve output: {shop.serve.log}")
    ok = drained and not result["problems"] and code == 0 and all(
        r.recovered is not None for r in shop.rows)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
