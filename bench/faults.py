"""The fault matrix of issue 11: every fault, run for real through the public command line and
the virtual modem's control channel, with `textdesk serve` in its own process, then a table:

    fault | survived | lost | doubled | time to recover | what the shop was told

"survived": serve still running, nothing lost or doubled, a text each way went through after
the fault was cleared ("time to recover", from the moment it was cleared), and no other promise
broken (one plain line from every command, no traceback: shown as [BROKEN: ...]). The modem
faults share one shop; the ones that restart serve, fill a disk or grow the database get their
own. About 10 minutes plus the 100k-row import (10 more on a loaded 2-core PC; fewer rows with
``--import-rows``); ``--only NAME[,NAME]`` runs some (``--list`` names them).

    .venv/bin/python bench/faults.py | tee /work/soak/faults.txt

A benchmark, not a test (pytest does not collect it). Needs root for the 4 MB tmpfs of the
disk-full fault (skipped with the reason otherwise).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fault_desk as fd
import fault_modem as fm
from fault_kit import FaultRow, Shop, judge, now_utc, table


class Matrix:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self._shared: Shop | None = None
        self.problems: list[str] = []
        self.notes: list[str] = []

    def shared(self) -> Shop:
        if self._shared is None:
            self._shared = self.fresh("shared")
        return self._shared

    def fresh(self, name: str, profile: Path | None = None) -> Shop:
        shop = Shop(self.dir / name, profile=profile)
        shop.setup()
        shop.start()
        return shop

    def retire(self, shop: Shop, name: str, drain: float = 180) -> None:
        """Drain, stop serve (it must stop cleanly), then judge every text of this shop."""
        drained = shop.drain(drain) if drain else None
        tracebacks = shop.serve.tracebacks()
        code = shop.serve.stop()
        result = judge(shop, shop.sim.submitted())
        shop.sim.stop()
        t = result["totals"]
        self.notes.append(
            f"{name}: {t['in']} incoming, {t['out']} outgoing (delivered {t['delivered']}, sent "
            f"{t['sent']}, failed {t['failed']}, uncertain {t['uncertain']}, refused "
            f"{t['refused']}); drained {drained}; serve exit {code}; {tracebacks} tracebacks; "
            f"{result['extra_at_modem']} texts at the modem nobody queued"
        )
        if drained is False:
            self.problems.append(f"{name}: did not drain within {drain:.0f} s")
        if code != 0:
            self.problems.append(f"{name}: serve exited {code} on SIGTERM")
        self.problems += [f"{name}: {p}" for p in result["problems"]]

    def close(self) -> None:
        if self._shared is not None:
            self.retire(self._shared, "shared")
            self._shared = None


def own(
    name: str, fault: Callable[[Shop, Path], FaultRow], drain: float = 180
) -> Callable[[Matrix], FaultRow]:
    def run(m: Matrix) -> FaultRow:
        shop = m.fresh(name)
        try:
            return fault(shop, m.dir / name)
        finally:
            m.retire(shop, name, drain)

    return run


def shared(fault: Callable[[Shop], FaultRow]) -> Callable[[Matrix], FaultRow]:
    return lambda m: fault(m.shared())


def disk(m: Matrix) -> FaultRow:
    where = m.dir / "small-disk"
    why = fd.mount_small(where)
    if why is not None:
        row = FaultRow("disk full (4 MB filesystem)", time.monotonic())
        row.skipped = f"cannot mount a 4 MB tmpfs: {why}"
        return row
    try:
        shop = m.fresh("diskfull", profile=where / "profile")
        try:
            return fd.disk_full(shop, where)
        finally:
            m.retire(shop, "diskfull")
    finally:
        fd.unmount(where)


def clock(m: Matrix) -> FaultRow:
    return fd.clock_jumps(m.dir)[0]


IMPORT_ROWS = [100_000]  # --import-rows

MATRIX: list[tuple[str, Callable[[Matrix], FaultRow]]] = [
    ("utf8", shared(fd.not_utf8)),
    ("csv", lambda m: fd.csv_unclosed_quote(m.shared(), m.dir)),
    ("unplug", shared(fm.unplug)),
    ("reboot", shared(fm.reboot)),
    ("cms38", shared(fm.cms(38))),
    ("cms42", shared(fm.cms(42))),
    ("cms500", shared(fm.cms(500))),
    ("simfull", shared(fm.sim_full)),
    ("pin", shared(fm.pin_state)),
    ("network", shared(fm.network_lost)),
    ("cmgs", shared(fm.cmgs_silent)),
    ("storm", shared(fm.storm)),
    ("malformed", shared(fm.malformed_pdu)),
    ("garbage", shared(fm.garbage)),
    ("lock", shared(fd.db_locked)),
    ("backup", own("backup", fd.corrupted_backup)),
    ("kill9", own("kill9", lambda s, d: fd.kill9(s))),
    ("disk", disk),
    ("import", own("import", lambda s, d: fd.big_import(s, d, IMPORT_ROWS[0]))),
    ("burst", own("burst", lambda s, d: fd.burst(s), drain=0)),  # 1,000 at 60/min: 17 min
    ("clock", clock),
]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/faults.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", help="comma-separated names (see --list)")
    p.add_argument("--list", action="store_true", help="name the faults and stop")
    p.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    p.add_argument("--import-rows", type=int, default=100_000,
                   help="rows of the big import (100000: ~10 min on a loaded 2-core PC)")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the workdir (profiles, logs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        print(" ".join(name for name, _ in MATRIX))
        return 0
    IMPORT_ROWS[0] = args.import_rows
    chosen = MATRIX
    if args.only:
        wanted = {x.strip() for x in args.only.split(",") if x.strip()}
        unknown = wanted - {name for name, _ in MATRIX}
        if unknown:
            print(f"faults.py: unknown fault(s) {', '.join(sorted(unknown))}; see --list")
            return 2
        chosen = [(n, f) for n, f in MATRIX if n in wanted]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="textdesk-faults-"))
    workdir.mkdir(parents=True, exist_ok=True)
    m = Matrix(workdir)
    rows: list[FaultRow] = []
    t0 = time.monotonic()
    print(f"[{now_utc()}] fault matrix: {', '.join(n for n, _ in chosen)}; workdir {workdir}",
          flush=True)  # fmt: skip
    try:
        for name, run in chosen:
            started = time.monotonic()
            try:
                row = run(m)
            except Exception as exc:  # one fault's bench failure must not hide the others
                row = FaultRow(name, started)
                row.bad.append(f"the bench failed: {exc!r}")
                m.problems.append(f"{name}: " + traceback.format_exc(limit=3).strip())
            rows.append(row)
            print(f"[{now_utc()}] {name}: done in {time.monotonic() - started:.0f} s", flush=True)
    finally:
        m.close()
    print()
    print(f"=== fault matrix ({now_utc()}, {(time.monotonic() - t0) / 60:.1f} min) ===")
    print(table(rows))
    print()
    for note in m.notes:
        print("shop", note)
    print(f"problems: {len(m.problems)}")
    for p in m.problems[:100]:
        print("  ", p)
    print("\nwhat `textdesk status` said during a fault:")
    for r in rows:
        if r.status:
            print(f"  {r.name}: " + " / ".join(r.status.splitlines()[1:3]))
    print("\neverything serve said that a person would notice, per fault:")
    for r in rows:
        print(f"  {r.name}:")
        for line in r.told:
            print(f"      {line[:400]}")
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    bad = [r for r in rows if not r.skipped and (r.bad or r.lost or r.doubled)]
    return 1 if bad or m.problems else 0


if __name__ == "__main__":
    sys.exit(main())
