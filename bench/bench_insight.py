"""The insight page (how quickly the shop answers) on a 1M-message database, against 10k, same run.

    python bench/bench_insight.py [--dir DIR] [--messages N] [--contacts N] [--repeat R] [--quick]

Builds (or reuses, cached by path) two databases with bench/bigdb.py, the same ones as
bench_core_queries.py: the big one (default 1M messages / 20k contacts over three years) and a
small one (10k / 500) as the baseline. Times ``desk.read.insight.build`` as the page and
``textdesk report`` run it: the last 4 weeks (the page's default) and the last year, with
opening hours set (waits counted inside them). Prints p50/p95 in ms and the big/small ratio;
the goal is the 4-week page ready in 300 ms on the big database. No asserts (shared machines).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bigdb_pair  # noqa: E402

GOAL_MS = 300.0
HOURS = "mon-fri 09:00-18:00; sat 10:00-14:00"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def measure(path: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    from zoneinfo import ZoneInfo

    from desk.base import opening_hours
    from desk.read import insight
    from desk.store.db import close_database, db, open_database

    open_database(path)
    try:
        zone = ZoneInfo("America/New_York")
        hours = opening_hours.parse(HOURS)
        (last,) = db.execute_sql("SELECT MAX(created_at) FROM message").fetchone()
        end = datetime.fromisoformat(str(last)).replace(tzinfo=UTC) + timedelta(minutes=1)
        out: dict[str, tuple[float, float, int]] = {}
        for label, days in (("last 4 weeks (the page's default)", 28), ("last year", 365)):
            start = end - timedelta(days=days)
            report = insight.build(start, end, zone, hours)  # warm the cache
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                report = insight.build(start, end, zone, hours)
                times.append((time.perf_counter() - t) * 1000)
            texts = sum(p.messages_in + p.messages_out for p in report.days)
            out[label] = (percentile(times, 0.5), percentile(times, 0.95), texts)
        return out
    finally:
        close_database()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bigdb_pair.add_arguments(ap, repeat=10)
    args = ap.parse_args(argv)
    big, small = bigdb_pair.databases(args, quick_repeat=3)
    small_r = measure(small, args.repeat)
    big_r = measure(big, args.repeat)
    print(f"insight page, {args.messages:,} vs {args.small_messages:,} messages")
    print(
        f"{'period':<36} {'small p50':>9} {'p95':>7}  {'big p50':>8} {'p95':>7} {'texts':>7}  ratio"
    )
    for label, (s50, s95, _n) in small_r.items():
        b50, b95, texts = big_r[label]
        print(
            f"{label:<36} {s50:>9.1f} {s95:>7.1f}  {b50:>8.1f} {b95:>7.1f} {texts:>7}  "
            f"{b50 / s50 if s50 else float('nan'):>5.1f}"
        )
    page = big_r["last 4 weeks (the page's default)"][1]
    verdict = "within" if page <= GOAL_MS else "OVER"
    print(
        f"4-week page on the big database: p95 {page:.0f} ms, {verdict} the {GOAL_MS:.0f} ms goal"
    )
    print(f"(median of the big runs: {statistics.median([v[0] for v in big_r.values()]):.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
