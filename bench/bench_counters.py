"""Issue 15: the 1M-message / 20k-contact shop on PostgreSQL with three counters connected, side by
side with the same figures on SQLite, in the same run.

    QT_QPA_PLATFORM=offscreen python bench/bench_counters.py [--dir DIR] [--messages N]
        [--contacts N] [--runs R] [--samples S] [--quick]

1. The SQLite shop is built or reused (bench/bigdb.py, cached by path), then copied onto a real
   PostgreSQL server (initdb + pg_ctl in a temporary folder: tests/helpers/postgres.py, the test
   suite's own server; fsync off, as there) by ``textdesk database move``'s code, then
   VACUUM (ANALYZE).
2. Per engine, each figure from fresh processes running the real app (bench/counters_kit.py):
   - launch -> usable window, and opening the largest thread (bubbles laid out and painted),
     as bench/bench_window.py measures them; search (bench/bench_core_queries.py's queries,
     each ``--repeat`` times) on the window's own database connection;
   - on PostgreSQL all of that with three headless counters connected to the same database
     (one the modem owner, driving a virtual modem on a TCP socket; two set never to drive the
     modem), the window a fourth; on SQLite the window alone (one PC);
   - latency: a text arriving at the virtual modem (its ``deliver``) -> the MessageAdded event
     reaching a counter's subscribers (what the window refreshes from), ``--samples`` texts one
     at a time. On PostgreSQL at the owner and at both other counters (LISTEN/NOTIFY); on
     SQLite at the one counter there is. Another counter on SQLite is n/a: one SQLite file
     belongs to one running TextDesk (the profile lock refuses a second), so there is nothing
     to measure.
3. A table with the engines side by side, each figure's ratio to its target, and one
   ``RESULT {json}`` line for bench/run_all.py. Timings on a shared 2-core machine are noisy;
   no asserts.

Targets (issue 15): usable <= 1 s, thread <= 100 ms, search <= 100 ms, owner -> another counter
<= 1 s p95.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

from bench_core_queries import percentile  # noqa: E402
from bench_window import installed_env  # noqa: E402
from counters_kit import Counter, counter_child, to_server, window_child  # noqa: E402

if TYPE_CHECKING:
    from modem.sim.virtual_modem import VirtualModem

TARGETS = {"usable_s": 1.0, "thread_ms": 100.0, "search_p95_ms": 100.0, "other_p95_ms": 1000.0}
ENGINES = ("sqlite", "postgresql")
TITLE = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
OTHERS = ("Back office", "Workshop")


@dataclass
class Figures:
    windows: list[dict[str, float | str]] = field(default_factory=list)
    own: list[float] = field(default_factory=list)  # modem -> the owner's subscribers (ms)
    other: list[float] = field(default_factory=list)  # modem -> another counter's (ms)
    hop: list[float] = field(default_factory=list)  # owner's event -> another counter's (ms)
    missing: int = 0  # texts a counter never told about within the wait
    counters: int = 0


def profile_dir(tmp: Path, name: str, sqlite: Path, url: str | None, *, modem: bool) -> Path:
    """A profile folder: a copy of the SQLite shop (each process writes its own), or a
    database.json pointing at the server (this counter's name, and whether it may drive)."""
    from desk.base.paths import write_local

    folder = Path(tempfile.mkdtemp(prefix=name.replace(" ", "-").lower() + "-", dir=tmp))
    if url is None:
        shutil.copyfile(sqlite, folder / "textdesk.sqlite3")
    else:
        write_local(folder, url=url, counter=name, no_modem=not modem)
    return folder


def launch_window(folder: Path, args: argparse.Namespace) -> dict[str, float | str]:
    env = installed_env()  # from bytecode, as an installed TextDesk starts (bench_window)
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), "--spawned", repr(spawned),
         "--opens", str(args.opens), "--repeat", str(args.repeat)],
        capture_output=True, text=True, env=env, check=False, timeout=900, cwd=ROOT,
    )  # fmt: skip
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"the window process failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    data: dict[str, float | str] = json.loads(line[len("RESULT ") :])
    return data


def windows(engine: str, sqlite: Path, url: str | None, tmp: Path, args: argparse.Namespace,
            fig: Figures) -> None:  # fmt: skip
    for run in range(args.runs):
        folder = profile_dir(tmp, f"window {run + 1}", sqlite, url, modem=False)
        fig.windows.append(launch_window(folder, args))
        shutil.rmtree(folder, ignore_errors=True)
        w = fig.windows[-1]
        print(f"  {TITLE[engine]} window {run + 1}: usable {w['usable_s']:.2f} s, thread "
              f"{w['thread_ms']:.0f} ms, search p95 {w['search_p95_ms']:.1f} ms", flush=True)  # fmt: skip


def start_counters(
    engine: str, sqlite: Path, url: str | None, tmp: Path, device: str
) -> tuple[Counter, list[Counter]]:
    owner = Counter("Front desk", profile_dir(tmp, "Front desk", sqlite, url, modem=True), device)
    if owner.wait("ready", 120) is None:
        sys.exit(f"the modem owner never got the modem ready: {owner.why()}")
    others = []
    if url is not None:  # the other counters exist on the server only
        for name in OTHERS:
            c = Counter(name, profile_dir(tmp, name, sqlite, url, modem=False), None)
            others.append(c)
        for c in others:
            if c.wait("started", 120) is None:
                sys.exit(f"a counter did not start: {c.why()}")
        time.sleep(2.0)  # their listeners in place (LISTEN) before the first text
    return owner, others


def latency(owner: Counter, others: list[Counter], vm: VirtualModem, args: argparse.Namespace,
            contacts: int, fig: Figures) -> None:  # fmt: skip
    seen: set[int] = set()
    for n in range(args.samples):
        number = f"+1{202 + (n * 37 % contacts) // 10000:03d}555{(n * 37 % contacts) % 10000:04d}"
        t0 = time.monotonic()
        vm.deliver(number, f"Bench text {n}: is my bike ready?")
        got = owner.new_incoming(seen, 15)
        if got is None:
            fig.missing += 1 + len(others)
            print(f"  text {n}: the owner never showed it", flush=True)
            continue
        mid, at_owner = got
        seen.add(mid)
        fig.own.append((at_owner - t0) * 1000)
        for c in others:
            at = c.wait("added", 10, mid)
            if at is None:
                fig.missing += 1
                continue
            fig.other.append((at - t0) * 1000)
            fig.hop.append((at - at_owner) * 1000)
        time.sleep(0.3)  # one text at a time, a little apart, as customers send them


def measure(engine: str, sqlite: Path, url: str | None, tmp: Path, args: argparse.Namespace,
            contacts: int) -> Figures:  # fmt: skip
    from modem.sim.virtual_modem import VirtualModem

    fig = Figures()
    print(f"\n{TITLE[engine]}:", flush=True)
    if url is None:
        windows(engine, sqlite, url, tmp, args, fig)  # one PC: the window alone
    vm = VirtualModem(tcp="127.0.0.1:0")
    device = vm.start()
    owner, others = start_counters(engine, sqlite, url, tmp, device)
    fig.counters = 1 + len(others)
    try:
        if url is not None:
            print(f"  {fig.counters} counters connected (Front desk drives the modem)", flush=True)
            windows(engine, sqlite, url, tmp, args, fig)
        latency(owner, others, vm, args, contacts, fig)
    finally:
        for c in (owner, *others):
            c.stop()
        vm.stop()
    print(f"  {len(fig.own)} texts: modem -> owner p95 {p95(fig.own):.0f} ms"
          + (f", -> another counter p95 {p95(fig.other):.0f} ms" if others else ""),
          flush=True)  # fmt: skip
    return fig


def p50(values: list[float]) -> float:
    return percentile(values, 0.5) if values else float("nan")


def p95(values: list[float]) -> float:
    return percentile(values, 0.95) if values else float("nan")


def summary(fig: Figures) -> dict[str, float]:
    def med(key: str) -> float:
        got = [float(w[key]) for w in fig.windows]
        return statistics.median(got) if got else float("nan")

    out = {key: med(key) for key in ("usable_s", "thread_ms", "search_p50_ms", "search_p95_ms",
                                     "search_worst_p95_ms", "rss_mb", "thread_messages")}  # fmt: skip
    out |= {"own_p50_ms": p50(fig.own), "own_p95_ms": p95(fig.own),
            "other_p50_ms": p50(fig.other), "other_p95_ms": p95(fig.other),
            "hop_p95_ms": p95(fig.hop), "samples": float(len(fig.own)),
            "missing": float(fig.missing), "counters": float(fig.counters)}  # fmt: skip
    return out


ROWS = (
    ("launch to usable window (s)", "usable_s", "{:.2f}"),
    ("open the largest thread (ms)", "thread_ms", "{:.0f}"),
    ("search, all queries p50 (ms)", "search_p50_ms", "{:.1f}"),
    ("search, all queries p95 (ms)", "search_p95_ms", "{:.1f}"),
    ("search, worst query's p95 (ms)", "search_worst_p95_ms", "{:.1f}"),
    ("modem -> owner's counter p50 (ms)", "own_p50_ms", "{:.0f}"),
    ("modem -> owner's counter p95 (ms)", "own_p95_ms", "{:.0f}"),
    ("modem -> another counter p50 (ms)", "other_p50_ms", "{:.0f}"),
    ("modem -> another counter p95 (ms)", "other_p95_ms", "{:.0f}"),
    ("owner's event -> another's p95 (ms)", "hop_p95_ms", "{:.0f}"),
    ("window RSS after use (MB)", "rss_mb", "{:.0f}"),
)


def shown(fmt: str, v: float) -> str:
    return "n/a" if v != v else fmt.format(v)  # NaN: not measured on this engine


def table(res: dict[str, dict[str, float]]) -> list[str]:
    head = (f"{'':38}{'SQLite':>10}{'PostgreSQL':>12}{'PG/SQLite':>11}{'target':>9}"
            f"{'SQLite/t':>10}{'PG/t':>7}")  # fmt: skip
    lines = [head]
    for label, key, fmt in ROWS:
        s, g = res["sqlite"][key], res["postgresql"][key]
        target = TARGETS.get(key)
        both = f"{g / s:.2f}" if s == s and g == g and s > 0 else "n/a"
        cells = f"{label:38}{shown(fmt, s):>10}{shown(fmt, g):>12}{both:>11}"
        if target is None:
            lines.append(cells)
            continue

        def ratio(v: float, target: float = target) -> str:
            return "n/a" if v != v else f"{v / target:.2f}"

        lines.append(f"{cells}{fmt.format(target):>9}{ratio(s):>10}{ratio(g):>7}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "textdesk-bench")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3, help="window launches per engine")
    ap.add_argument("--opens", type=int, default=7, help="thread opens per launch")
    ap.add_argument("--repeat", type=int, default=10, help="times each search runs per launch")
    ap.add_argument("--samples", type=int, default=30, help="texts for the latency")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (20k messages)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--counter", help=argparse.SUPPRESS)
    ap.add_argument("--port", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        window_child(args.child, args.spawned, args.opens, args.repeat)
        return 0
    if args.counter:
        counter_child(args.counter, args.port)
        return 0
    if args.quick:
        args.messages, args.contacts = min(args.messages, 20_000), min(args.contacts, 1_000)
        args.runs, args.opens, args.repeat = 1, min(args.opens, 3), min(args.repeat, 3)
        args.samples = min(args.samples, 20)
    if min(args.runs, args.opens, args.repeat, args.samples, args.contacts) < 1:
        ap.error("--runs, --opens, --repeat, --samples and --contacts must be at least 1")

    from bigdb import ensure_bigdb

    from tests.helpers.postgres import find_program, running_server

    try:  # the server programs, before building anything (./dev test installs them)
        find_program("initdb"), find_program("pg_ctl")
    except RuntimeError as exc:
        sys.exit(str(exc))
    args.dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    big = ensure_bigdb(args.dir / f"big-{args.messages}-{args.contacts}.sqlite3",
                       args.messages, args.contacts)  # fmt: skip
    print(f"SQLite shop: {big} ({big.stat().st_size / 1e6:.0f} MB, ready in "
          f"{time.perf_counter() - t:.1f} s)", flush=True)  # fmt: skip
    res: dict[str, dict[str, float]] = {}
    worst: dict[str, str] = {}  # the slowest search query in each launch
    with (
        running_server() as server,
        tempfile.TemporaryDirectory(prefix="textdesk-counters-") as folder,
    ):
        tmp = Path(folder)
        os.chmod(tmp, 0o755)
        url = server.fresh_database()
        moved = to_server(big, url)
        print(f"PostgreSQL: {moved['messages']:,.0f} messages moved in {moved['move_s']:.1f} s "
              f"(textdesk database move), VACUUM (ANALYZE) {moved['vacuum_analyze_s']:.1f} s, "
              f"{moved['size_mb']:.0f} MB on the server", flush=True)  # fmt: skip
        # One launch on an empty shop first, not counted: the interpreter, Qt and the app's
        # files in the page cache, so the first engine measured does not pay for that alone.
        warm = launch_window(Path(tempfile.mkdtemp(prefix="warm-up-", dir=tmp)), args)
        print(f"warm-up launch on an empty shop (not counted): usable {warm['usable_s']:.2f} s",
              flush=True)  # fmt: skip
        for engine in ENGINES:
            fig = measure(engine, big, url if engine == "postgresql" else None, tmp, args,
                          args.contacts)  # fmt: skip
            res[engine] = summary(fig)
            worst[engine] = ", ".join(sorted({f"“{w['search_worst']}”" for w in fig.windows}))

    sq, pg = res["sqlite"], res["postgresql"]
    print(f"\nthree counters on PostgreSQL against one PC on SQLite, {args.messages:,} messages / "
          f"{args.contacts:,} contacts; window: median of {args.runs} launch(es), thread: median "
          f"of {args.opens} opens, latency: {args.samples} texts")  # fmt: skip
    for line in table(res):
        print(line)
    print(f"largest thread: {pg['thread_messages']:,.0f} messages; counters connected: "
          f"SQLite {sq['counters']:.0f}, PostgreSQL {pg['counters']:.0f} (+ the measured "
          f"window); texts not shown within the wait: SQLite {sq['missing']:.0f}, "
          f"PostgreSQL {pg['missing']:.0f}")  # fmt: skip
    print(f"slowest search query: SQLite {worst['sqlite']}; PostgreSQL {worst['postgresql']}")
    print("SQLite 'another counter': n/a, one SQLite file belongs to one running TextDesk.")
    flat = {f"{'pg' if e == 'postgresql' else e}_{k}": v for e in ENGINES for k, v in res[e].items()
            if v == v}  # fmt: skip
    flat |= {"move_s": moved["move_s"], "pg_size_mb": moved["size_mb"],
             "all_shown": float(sq["missing"] == 0 and pg["missing"] == 0)}  # fmt: skip
    print("RESULT " + json.dumps(flat), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
