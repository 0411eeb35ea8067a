"""Search and open-thread query times on a 1M-message database, against a small one, same run.

    python bench/bench_core_queries.py [--dir DIR] [--messages N] [--contacts N] [--repeat R]

Builds (or reuses, cached by path) two databases with bench/bigdb.py: the big one (default 1M
messages / 20k contacts) and a small one (10k / 500) as the baseline measured in the same run on
the same machine. For each query: p50 and p95 in milliseconds on both, and the big/small ratio.
Prints figures only; no asserts (machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bigdb_pair  # noqa: E402

SEARCHES = [
    ("common word", "appointment"),
    ("mid word", "bike"),
    ("rare word", "wheelchair"),
    ("two words", "strange noise"),
    ("prefix while typing", "appo"),
    ("accent-insensitive", "cafe"),
    ("contact name", "Müller"),
    ("digits (number substring)", "5550123"),
    ("hostile syntax", 'he said "hi AND *'),
    ("no match", "xylophone"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm the page cache and statement cache
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def run_queries(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    from desk.read import queries, search
    from desk.store.db import close_database, db, open_database
    from desk.store.models import Message

    open_database(path)
    try:
        largest, size = db.execute_sql(
            "SELECT conversation_id, count(*) FROM message GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        median_conv = db.execute_sql(
            "SELECT conversation_id FROM message GROUP BY 1 ORDER BY count(*) DESC"
            " LIMIT 1 OFFSET (SELECT count(DISTINCT conversation_id) / 2 FROM message)"
        ).fetchone()[0]
        results: dict[str, tuple[float, float]] = {}
        for label, q in SEARCHES:
            results[f"search: {label} “{q}”"] = measure(
                lambda q=q: search.search(q, limit=50), repeat
            )
        results["search: page 3 of “appointment”"] = measure(
            lambda: search.search("appointment", limit=50, offset=100), repeat
        )

        def latest50(conv: int) -> list:
            return list(
                Message.select()
                .where(Message.conversation == conv)
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(50)
                .tuples()
            )

        results[f"thread: latest 50 of the largest ({size:,} msgs)"] = measure(
            lambda: latest50(largest), repeat
        )
        results["thread: latest 50 of a median one"] = measure(
            lambda: latest50(median_conv), repeat
        )
        results["thread: queries.thread_page(largest, 50)"] = measure(
            lambda: queries.thread_page(largest, limit=50), repeat
        )
        results["list: queries.conversation_ids first page"] = measure(
            lambda: queries.conversation_ids(limit=100), repeat
        )
        return results
    finally:
        close_database()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    bigdb_pair.add_arguments(ap, repeat=30)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    big, small = bigdb_pair.databases(args, quick_repeat=5)
    print(
        f"databases ready in {time.perf_counter() - t:.1f}s: {big} ({big.stat().st_size / 1e6:.0f} MB)"
    )

    small_r = run_queries(small, args.repeat)
    big_r = run_queries(big, args.repeat)
    print()
    print(f"{'query':<58} {'small p50':>9} {'p95':>7}   {'big p50':>8} {'p95':>7}   {'ratio':>6}")
    print(f"{'':<58} {'ms':>9} {'ms':>7}   {'ms':>8} {'ms':>7}   {'p50':>6}")
    # Labels with the thread size differ between the two databases: pair them by position.
    for (_label, (s50, s95)), (blabel, (b50, b95)) in zip(
        small_r.items(), big_r.items(), strict=True
    ):
        ratio = b50 / s50 if s50 > 0 else float("nan")
        print(f"{blabel:<58} {s50:9.2f} {s95:7.2f}   {b50:8.2f} {b95:7.2f}   {ratio:6.1f}")
    worst = max(b95 for b50, b95 in big_r.values())
    print(f"\nworst p95 on {args.messages:,} messages: {worst:.1f} ms;"
          f" median ratio big/small: {statistics.median(b[0] / max(s[0], 1e-6) for s, b in zip(small_r.values(), big_r.values(), strict=True)):.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
