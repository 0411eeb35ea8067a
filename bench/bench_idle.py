"""Idle cost: CPU and wakeups of `textdesk serve` and the window with the modem attached and
nothing happening, against an idle ``time.sleep`` in the same run (prints figures only).

What it measures: three processes side by side for the same ``--seconds`` (default 60), after
each has settled (its modem READY, or ``--settle`` seconds): ``textdesk serve`` on a virtual
modem of its own, the window (``python -m ui.app`` offscreen, with its own profile and virtual
modem), and ``python -c 'import time; time.sleep(N)'`` as the baseline. Each virtual modem is
``python -m modem.sim`` on a pty at 115200 baud, its own process, not counted. For each program:
CPU as a percentage of one core (utime + stime of all its threads, from /proc/<pid>/stat) and
wakeups per minute (voluntary context switches from /proc/<pid>/task/*/status, summed over the
threads, each thread's change counted from when it was first seen), plus the AT commands the
program sent to its modem in the window (the modem's --trace ``rx`` events).

Why this is what a shop's modem does: the counter PC runs TextDesk all day and almost nothing
happens most of the time; every periodic wakeup or status poll costs CPU, battery on a laptop,
and bytes on the modem's line, all day.

    .venv/bin/python bench/bench_idle.py [--seconds 60] [--quick]

Exits non-zero when a program died during the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all threads), in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def voluntary_switches(pid: int) -> dict[int, tuple[str, int]]:
    """Thread id -> (thread name, voluntary context switches so far)."""
    out: dict[int, tuple[str, int]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    out[int(task.name)] = (name, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


class Sim:
    """``python -m modem.sim --trace`` on a pty; counts the AT commands it receives."""

    def __init__(self, log: Path) -> None:
        self.proc = subprocess.Popen(
            [PY, "-m", "modem.sim", "--baud", "115200", "--trace"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            cwd=ROOT,
        )
        self.device = ""
        self.ready = threading.Event()
        self.counting = False
        self.commands: Counter[str] = Counter()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            self.proc.kill()
            raise SystemExit("the virtual modem did not start")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event: dict[str, Any] = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "ready":
                self.device = str(event["device"])
                self.ready.set()
            elif event.get("event") == "rx" and self.counting:
                text = str(event.get("data", "")).strip().upper()
                name = text.split("=")[0].split("?")[0] if text.startswith("AT") else "(data)"
                self.commands[name] += 1

    def stop(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write('{"cmd": "quit"}\n')
            self.proc.stdin.close()
            self.proc.wait(10)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.terminate()
            self.proc.wait(10)


@dataclass
class Subject:
    name: str
    proc: subprocess.Popen[bytes]
    sim: Sim | None = None
    ticks0: int = 0
    switches0: dict[int, tuple[str, int]] = field(default_factory=dict)
    per_thread: dict[str, float] = field(default_factory=dict)
    cpu_percent: float = 0.0
    wakeups_per_minute: float = 0.0
    threads: int = 0

    def begin(self) -> None:
        self.ticks0 = cpu_ticks(self.proc.pid)
        self.switches0 = voluntary_switches(self.proc.pid)
        if self.sim is not None:
            self.sim.counting = True

    def end(self, seconds: float) -> None:
        ticks = cpu_ticks(self.proc.pid) - self.ticks0
        now = voluntary_switches(self.proc.pid)
        for tid, (name, n) in now.items():
            key = f"{name}[{tid}{', main' if tid == self.proc.pid else ''}]"
            self.per_thread[key] = (n - self.switches0.get(tid, (name, 0))[1]) * 60.0 / seconds
        woke = sum(n - self.switches0.get(tid, (name, 0))[1] for tid, (name, n) in now.items())
        self.cpu_percent = 100.0 * ticks / TICKS / seconds
        self.wakeups_per_minute = woke * 60.0 / seconds
        self.threads = len(now)
        if self.sim is not None:
            self.sim.counting = False


def start_serve(work: Path) -> Subject:
    sim = Sim(work / "serve-sim.err")
    profile = work / "serve"
    proc = subprocess.Popen(
        [PY, "-m", "desk.cli.main", "--profile", str(profile), "--port", sim.device, "serve"],
        stdout=(work / "serve.out").open("wb"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    return Subject("textdesk serve", proc, sim)


def start_window(work: Path) -> Subject:
    sim = Sim(work / "window-sim.err")
    profile = work / "window"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [PY, "-m", "ui.app", "--profile", str(profile), "--port", sim.device],
        stdout=(work / "window.out").open("wb"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=env,
    )
    return Subject("the window (offscreen)", proc, sim)


def start_baseline(total: float) -> Subject:
    proc = subprocess.Popen([PY, "-c", f"import time; time.sleep({total:.0f})"])
    return Subject("baseline: python time.sleep", proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="measured idle time")
    ap.add_argument("--settle", type=float, default=15.0, help="seconds to settle first")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (10 s)")
    args = ap.parse_args()
    seconds = 10.0 if args.quick and args.seconds == 60.0 else args.seconds
    settle = min(args.settle, 10.0) if args.quick else args.settle
    print(f"idle for {seconds:g} s after {settle:g} s to settle; virtual modems at 115200 baud")
    with tempfile.TemporaryDirectory(prefix="textdesk-idle-") as tmp:
        work = Path(tmp)
        subjects = [start_baseline(settle + seconds + 30), start_serve(work), start_window(work)]
        try:
            time.sleep(settle)
            dead = [s for s in subjects if s.proc.poll() is not None]
            if not dead:
                for s in subjects:
                    s.begin()
                t0 = time.monotonic()
                time.sleep(seconds)
                elapsed = time.monotonic() - t0
                dead = [s for s in subjects if s.proc.poll() is not None]
                if not dead:
                    for s in subjects:
                        s.end(elapsed)
        finally:
            for s in subjects:
                if s.proc.poll() is None:
                    s.proc.terminate()
                    try:
                        s.proc.wait(15)
                    except subprocess.TimeoutExpired:
                        s.proc.kill()
                        s.proc.wait(5)
                if s.sim is not None:
                    s.sim.stop()
        if dead:
            for s in dead:
                out = work / ("serve.out" if "serve" in s.name else "window.out")
                tail = (
                    out.read_text(errors="replace").strip().splitlines()[-3:]
                    if out.exists()
                    else []
                )
                print(
                    f"{s.name} exited with {s.proc.returncode} before the end: {' | '.join(tail)}"
                )
            return 1
    print()
    print(
        "| program | CPU, % of one core | wakeups per minute | threads | AT commands to the modem per minute |"
    )
    print("|---|---|---|---|---|")
    for s in subjects:
        cmds = "—"
        if s.sim is not None:
            per_min = {k: v * 60.0 / seconds for k, v in s.sim.commands.items()}
            total = sum(per_min.values())
            top = ", ".join(
                f"{k} {v:.1f}" for k, v in sorted(per_min.items(), key=lambda kv: -kv[1])[:5]
            )
            cmds = f"{total:.1f} ({top})" if top else "0"
        print(
            f"| {s.name} | {s.cpu_percent:.2f} | {s.wakeups_per_minute:.0f} | {s.threads} | {cmds} |"
        )
    for s in subjects[1:]:
        threads = ", ".join(
            f"{k} {v:.0f}" for k, v in sorted(s.per_thread.items(), key=lambda kv: -kv[1])
        )
        print(f"{s.name}: wakeups per minute by thread: {threads}")
    base = subjects[0]
    for s in subjects[1:]:
        print(f"{s.name}: {s.cpu_percent - base.cpu_percent:+.2f} % of a core and "
              f"{s.wakeups_per_minute - base.wakeups_per_minute:+.0f} wakeups/min over the baseline "
              "(goal: <= 0.2 % of a core)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
