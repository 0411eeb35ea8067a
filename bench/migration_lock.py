"""How long migration step 3 (the outgoing queue's partial index, then ANALYZE) holds the write
lock on a big database (issue 11: no transaction holds it more than about 100 ms).

    python bench/migration_lock.py [--messages N] [--runs N] [--keep]

A copy of the cached big database (bench/bigdb.py, 1M messages by default) is put back at
schema 2 for each run (the index and the statistics dropped, user_version 2), then step 3 is
applied by the real runner (desk.store.migrations.runner._run_step, one BEGIN IMMEDIATE
transaction) and timed from BEGIN to COMMIT, with and without the ANALYZE limit the runner sets
(``PRAGMA analysis_limit``). A second process meanwhile times how long a one-row write waits.
Prints the figures of this run; nothing is hard-coded.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import peewee as pw  # noqa: E402
from bigdb import ensure_bigdb  # noqa: E402

from desk.store.db import PRAGMAS  # noqa: E402
from desk.store.migrations import STEPS, runner  # noqa: E402

STEP3 = STEPS[2]
WRITER = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)\n"
    "print('ready', flush=True); sys.stdin.readline(); time.sleep(0.05)\n"
    "t = time.perf_counter(); c.execute('BEGIN IMMEDIATE')\n"
    "c.execute(\"INSERT INTO setting(key, value) VALUES ('bench', '1') "
    'ON CONFLICT(key) DO UPDATE SET value = excluded.value")\n'
    "c.execute('COMMIT'); print(f'{(time.perf_counter() - t) * 1000:.1f}', flush=True)\n"
)


def back_to_schema_2(path: Path) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DROP INDEX IF EXISTS message_outbox_queue")
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            con.execute("DELETE FROM sqlite_stat1")
        con.execute("PRAGMA user_version = 2")
        con.execute("COMMIT")
    finally:
        con.close()


def one_run(path: Path, limited: bool) -> tuple[float, float]:
    """(ms the step's transaction took, ms a writer in another process waited meanwhile)."""
    back_to_schema_2(path)
    database = pw.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=60, lock_type="IMMEDIATE")
    database.connect()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert writer.stdout is not None and writer.stdin is not None
    writer.stdout.readline()
    limit = runner.ANALYSIS_LIMIT
    try:
        if not limited:
            runner.ANALYSIS_LIMIT = 0  # 0: no limit, what step 3 did before
        writer.stdin.write("go\n")  # it starts 50 ms later, while the step holds the lock
        writer.stdin.flush()
        t0 = time.perf_counter()
        applied = runner._run_step(database, "sqlite", STEP3)
        took = (time.perf_counter() - t0) * 1000
        assert applied
        waited = float(writer.stdout.readline())
    finally:
        runner.ANALYSIS_LIMIT = limit
        writer.wait(60)
        database.close()
    return took, waited


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cache", default="/tmp/textdesk-bench")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    big = ensure_bigdb(cache / f"big-{args.messages}-{args.contacts}.sqlite3",
                       args.messages, args.contacts)  # fmt: skip
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        path = Path(tmp) / "copy.sqlite3"
        shutil.copyfile(big, path)
        print(f"database: {args.messages:,} messages, {path.stat().st_size / 1e6:.0f} MB")
        results: dict[str, list[tuple[float, float]]] = {"full ANALYZE": [], "limited": []}
        for _ in range(args.runs):
            for name, limited in (("full ANALYZE", False), ("limited", True)):
                results[name].append(one_run(path, limited))
    print(f"step 3 ({STEP3.summary}), write lock held, {args.runs} runs each (ms):")
    for name, runs in results.items():
        held = [r[0] for r in runs]
        waited = [r[1] for r in runs]
        print(f"  {name:13s} held median {statistics.median(held):7.1f}  max {max(held):7.1f}"
              f"   another writer waited median {statistics.median(waited):7.1f}")  # fmt: skip
    full = statistics.median(r[0] for r in results["full ANALYZE"])
    limited = statistics.median(r[0] for r in results["limited"])
    print(f"  limited / full: {limited / full:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
