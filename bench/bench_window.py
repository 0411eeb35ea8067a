"""The desk window on a 1M-message / 20k-contact database, against an empty one, in the same run.

    QT_QPA_PLATFORM=offscreen python bench/bench_window.py [--dir DIR] [--messages N]
                                                          [--contacts N] [--runs R]

Each measurement is a fresh process running the real app (engine, virtual modem, window):
- usable: from just before the process is spawned to the window shown with the conversation list
  loaded and painted (interpreter start, imports, database open, engine start included);
- thread: opening the largest conversation (select it in the list -> bubbles laid out and
  painted), median of several opens alternating between the two largest threads;
- RSS: resident memory after opening threads and scrolling the list a few pages.
Targets: usable <= 1 s, thread <= 100 ms, RSS <= 200 MB. Prints figures and ratios; no asserts.

The measured processes start as an installed TextDesk does: from compiled bytecode (the bundle
ships it; a source install writes it on its first start). PYTHONDONTWRITEBYTECODE is dropped for
them and one uncounted launch comes first, or every launch would compile the project's ~280
modules again (about 0.3 s here) -- a cost no shop's PC pays twice.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

TARGETS = {"usable_s": 1.0, "thread_ms": 100.0, "rss_mb": 200.0}


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(profile_dir: str, spawned_at: float, opens: int) -> None:
    """Runs in the measured process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desk.base.paths import resolve_profile
    from ui import qtlog, session

    qtlog.install()
    app = QApplication(["textdesk-bench"])
    profile = resolve_profile(profile_dir).ensure()
    s = session.start(profile, virtual=True, customer=False)
    w = s.window
    w.resize(1280, 800)
    w.show()
    w.list.view.viewport().repaint()
    app.processEvents()
    w.grab()  # everything laid out and painted once
    usable = time.time() - spawned_at
    rows = w.list.model.rowCount()

    # The two largest conversations (found before timing; a full scan of 1M rows).
    from desk.store.models import Message

    db = Message._meta.database
    biggest = [
        r[0]
        for r in db.execute_sql(
            "SELECT conversation_id FROM message GROUP BY conversation_id "
            "ORDER BY COUNT(*) DESC LIMIT 2"
        ).fetchall()
    ]
    sizes = {
        cid: db.execute_sql(
            "SELECT COUNT(*) FROM message WHERE conversation_id = ?", (cid,)
        ).fetchone()[0]
        for cid in biggest
    }
    times = []
    if biggest:
        for i in range(opens):
            cid = biggest[i % len(biggest)]
            w.list.model.load_until(cid)
            app.processEvents()
            t = time.perf_counter()
            w.open_conversation(cid)
            w.thread.view.viewport().repaint()
            app.processEvents()
            times.append((time.perf_counter() - t) * 1000)
            # scroll the list a few pages between opens, as a person would
            for _ in range(3):
                if w.list.model.canFetchMore():
                    w.list.model.fetchMore()
            w.list.view.scrollToBottom()
            app.processEvents()
    out = {
        "usable_s": usable,
        "thread_ms": statistics.median(times) if times else 0.0,
        "thread_max_ms": max(times) if times else 0.0,
        "thread_messages": max(sizes.values()) if sizes else 0,
        "rss_mb": rss_mb(),
        "list_rows_loaded": rows,
    }
    s.close()
    print("RESULT " + json.dumps(out), flush=True)


def installed_env() -> dict[str, str]:
    """The environment of a measured launch: offscreen Qt, bytecode written and read (see the
    module doc)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(db: Path | None, runs: int, opens: int) -> list[dict]:
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="textdesk-benchwin-") as tmp:
            if db is not None:
                data = Path(tmp)
                shutil.copyfile(db, data / "textdesk.sqlite3")  # the engine may write to it
            env = installed_env()
            spawned = time.time()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", tmp, "--spawned", repr(spawned),
                 "--opens", str(opens)],
                capture_output=True, text=True, env=env, check=False, timeout=600,
            )  # fmt: skip
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                sys.exit(f"bench child failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
            results.append(json.loads(line[7:]))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "textdesk-bench")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--opens", type=int, default=7)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="a short smoke run (50k messages)")
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.contacts = min(args.messages, 50_000), min(args.contacts, 2_000)
        args.runs, args.opens = 1, min(args.opens, 3)
    if args.child:
        child(args.child, args.spawned, args.opens)
        return 0

    from bigdb import ensure_bigdb

    args.dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    big = ensure_bigdb(args.dir / f"big-{args.messages}-{args.contacts}.sqlite3",
                       args.messages, args.contacts)  # fmt: skip
    print(f"database: {big} ({big.stat().st_size / 1e6:.0f} MB, ready in "
          f"{time.perf_counter() - t:.1f} s)")  # fmt: skip
    warm = measure(None, 1, 1)[0]  # bytecode written, files in the page cache: not counted
    print(f"warm-up launch (not counted): usable {warm['usable_s']:.2f} s")
    empty = measure(None, args.runs, args.opens)
    full = measure(big, args.runs, args.opens)

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(f"\nwindow benchmark, median of {args.runs} launches each "
          f"({args.messages:,} messages / {args.contacts:,} contacts vs empty database)")  # fmt: skip
    print(f"{'':28}{'empty':>10}{'big':>10}{'ratio':>8}{'target':>10}  ok")
    rows = [
        ("launch to usable window (s)", "usable_s", "{:.2f}"),
        ("open largest thread (ms)", "thread_ms", "{:.1f}"),
        ("RSS after use (MB)", "rss_mb", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        e, b = med(empty, key), med(full, key)
        ratio = f"{b / e:.2f}" if e else "–"
        target = TARGETS[key]
        shown_e = fmt.format(e) if e else "n/a"  # an empty database has no thread to open
        print(f"{label:28}{shown_e:>10}{fmt.format(b):>10}{ratio:>8}"
              f"{fmt.format(target):>10}  {'yes' if b <= target else 'NO'}")  # fmt: skip
    print(f"largest thread: {med(full, 'thread_messages'):,.0f} messages "
          f"(worst open {max(r['thread_max_ms'] for r in full):.1f} ms); "
          f"list rows loaded: {med(full, 'list_rows_loaded'):.0f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
