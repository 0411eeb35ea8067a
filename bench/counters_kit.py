"""The processes bench/bench_counters.py starts, and the shop's data put on a PostgreSQL server.

- ``window_child``: the real app (engine, in-process virtual modem, offscreen window) on one
  profile, as bench/bench_window.py measures it: launch -> usable window, opening the two largest
  threads, then search (desk.read.search.search on the window's own database, as the search box
  does), RSS. Prints one ``RESULT {json}`` line. Its queries are written for both engines.
- ``counter_child``: a headless counter (desk.engine.api.Engine, no window) that prints each
  MessageAdded it is told about with the time it came (CLOCK_MONOTONIC, the same clock in every
  process of this computer), until its stdin closes.
- ``Counter``: the parent's handle on one such process, with the times read back.
- ``to_server``: the SQLite shop copied onto an empty PostgreSQL database by ``textdesk database
  move``'s own code (desk.data.database_move: COPY, verified), then VACUUM (ANALYZE).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_core_queries import SEARCHES, percentile  # noqa: E402
from bench_window import rss_mb  # noqa: E402


def window_child(profile_dir: str, spawned_at: float, opens: int, repeat: int) -> None:
    """Runs in the measured process (see the module doc)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desk.base.paths import resolve_profile
    from ui import qtlog, session

    qtlog.install()
    app = QApplication(["textdesk-bench"])
    profile = resolve_profile(profile_dir).ensure()
    s = session.start(profile, virtual=True, customer=False)
    w = s.window
    assert w is not None
    w.resize(1280, 800)
    w.show()
    w.list.view.viewport().repaint()
    app.processEvents()
    w.grab()  # everything laid out and painted once
    usable = time.time() - spawned_at
    rows = w.list.model.rowCount()

    import peewee as pw

    from desk.read import search
    from desk.store.models import Message

    # The two largest conversations (found before timing; a full scan of the messages).
    size = pw.fn.COUNT(Message.id)
    biggest: list[Any] = list(
        Message.select(Message.conversation, size)
        .group_by(Message.conversation)
        .order_by(size.desc())
        .limit(2)
        .tuples()
    )
    times = []
    for i in range(opens if biggest else 0):
        cid = biggest[i % len(biggest)][0]
        w.list.model.load_until(cid)
        app.processEvents()
        t = time.perf_counter()
        w.open_conversation(cid)
        w.thread.view.viewport().repaint()
        app.processEvents()
        times.append((time.perf_counter() - t) * 1000)
        for _ in range(3):  # scroll the list a few pages between opens, as a person would
            if w.list.model.canFetchMore():
                w.list.model.fetchMore()
        w.list.view.scrollToBottom()
        app.processEvents()

    searches: dict[str, float] = {}
    every: list[float] = []
    for _label, q in SEARCHES:
        search.search(q, limit=50)  # warm
        took = []
        for _ in range(repeat):
            t = time.perf_counter()
            search.search(q, limit=50)
            took.append((time.perf_counter() - t) * 1000)
        searches[q] = percentile(took, 0.95)
        every += took
    out = {
        "usable_s": usable,
        "thread_ms": statistics.median(times) if times else 0.0,
        "thread_max_ms": max(times) if times else 0.0,
        "thread_messages": biggest[0][1] if biggest else 0,
        "search_p50_ms": percentile(every, 0.5) if every else 0.0,
        "search_p95_ms": percentile(every, 0.95) if every else 0.0,
        "search_worst_p95_ms": max(searches.values()) if searches else 0.0,
        "search_worst": max(searches, key=lambda k: searches[k]) if searches else "",
        "rss_mb": rss_mb(),
        "list_rows_loaded": rows,
    }
    s.close()
    print("RESULT " + json.dumps(out), flush=True)


def counter_child(profile_dir: str, port: str | None) -> None:
    """A headless counter; ``ADDED <message id> <direction> <monotonic>`` for each MessageAdded,
    ``READY <monotonic>`` once its modem status says ready, until stdin closes."""
    from desk.base import events as ev
    from desk.base.paths import resolve_profile
    from desk.engine.api import Engine
    from modem.events import ModemState

    out = threading.Lock()

    def say(line: str) -> None:
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def sink(event: ev.DeskEvent) -> None:
        now = time.monotonic()
        if isinstance(event, ev.MessageAdded):
            say(f"ADDED {event.message_id} {event.direction} {now:.6f}")
        elif isinstance(event, ev.ModemStatusChanged) and event.status.state == ModemState.READY:
            say(f"READY {now:.6f}")

    profile = resolve_profile(profile_dir).ensure()
    engine = Engine(profile, port=port, mode="bench")
    engine.subscribe(sink)
    engine.start()
    say(f"STARTED {time.monotonic():.6f}")
    try:
        sys.stdin.read()  # the parent closes it to stop this counter
    finally:
        engine.stop()


class Counter:
    """One headless counter process and what it printed (``added``: message id -> time)."""

    def __init__(self, name: str, profile_dir: Path, port: str | None) -> None:
        self.name = name
        self.added: dict[int, tuple[str, float]] = {}
        self.ready: float | None = None
        self.started: float | None = None
        self.tail: list[str] = []
        self.cond = threading.Condition()
        cmd = [sys.executable, str(Path(__file__).resolve().parent / "bench_counters.py"),
               "--counter", str(profile_dir), *(["--port", port] if port else [])]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=ROOT,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            parts = line.split()
            with self.cond:
                if parts[:1] == ["ADDED"] and len(parts) == 4:
                    self.added.setdefault(int(parts[1]), (parts[2], float(parts[3])))
                elif parts[:1] == ["READY"] and len(parts) == 2 and self.ready is None:
                    self.ready = float(parts[1])
                elif parts[:1] == ["STARTED"] and len(parts) == 2:
                    self.started = float(parts[1])
                else:
                    self.tail = [*self.tail[-40:], line.rstrip()]
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait(self, what: str, timeout: float, mid: int | None = None) -> Any:
        """Wait for ``started`` / ``ready`` / the message ``mid`` (its time); None on timeout."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if what == "added" and mid in self.added:
                    return self.added[mid][1]
                if what in ("started", "ready") and getattr(self, what) is not None:
                    return getattr(self, what)
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(min(left, 0.5))

    def new_incoming(self, seen: set[int], timeout: float) -> tuple[int, float] | None:
        """The first incoming message this counter was told about that is not in ``seen``."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for mid, (direction, at) in self.added.items():
                    if direction == "in" and mid not in seen:
                        return mid, at
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self.cond.wait(min(left, 0.5))

    def stop(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def why(self) -> str:
        return f"{self.name} (exit {self.proc.poll()}):\n" + "\n".join(self.tail[-20:])


def to_server(sqlite_path: Path, url: str) -> dict[str, float]:
    """The shop at ``sqlite_path`` onto the empty database at ``url``; seconds each step took."""
    import psycopg

    from desk.data.database_move import move
    from desk.store.db import close_database

    t = time.perf_counter()
    result = move(sqlite_path, url)
    took = {"move_s": time.perf_counter() - t, "messages": float(result.messages)}
    close_database()
    t = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM (ANALYZE)")  # what autovacuum would have done on a shop's server
        size = con.execute("SELECT pg_database_size(current_database())").fetchone()
    took["vacuum_analyze_s"] = time.perf_counter() - t
    took["size_mb"] = (size[0] if size else 0) / 1e6
    return took
