"""Run the benchmarks of issue 12 and summarise their figures against the goals.

Each benchmark (bench/bench_*.py) runs ``--runs`` times (default 2) as its own process; its
full output is shown as it runs and kept in bench/results/<script>.<run>.txt. Then one table
per goal: each figure in every run, the spread between runs, the target, and met / not met /
unknown (a figure that could not be read from an output is "unknown", never dropped). The
tables also go to bench/results/latest.md.

``--from DIR`` builds the tables from saved outputs (<script>.<run>.txt, e.g.
bench_peers.1.txt) without running anything.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from run_all_figures import BENCHES, Bench, Figure, Figures

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def stem(bench: Bench) -> str:
    return Path(bench.script).stem


def pick(names: list[str] | None, skip: list[str]) -> list[Bench]:
    known = {b.name: b for b in BENCHES} | {stem(b): b for b in BENCHES}
    for name in [*(names or []), *skip]:
        if name not in known:
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(b.name for b in BENCHES)}")
    chosen = [known[n] for n in names] if names else list(BENCHES)
    dropped = {known[n].name for n in skip}
    return [b for b in dict.fromkeys(chosen) if b.name not in dropped]


def run_one(bench: Bench, run: int, quick: bool, out_dir: Path) -> tuple[str, int, float]:
    """Run one benchmark once, echoing and saving its output; (output, exit code, seconds)."""
    cmd = [sys.executable, str(HERE / bench.script), *(["--quick"] if quick else [])]
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    path = out_dir / f"{stem(bench)}.{run}.txt"
    print(f"\n=== {bench.script}, run {run}{' (--quick)' if quick else ''}", flush=True)
    start = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        cmd, cwd=HERE.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if not line.startswith("RESULT "):
                print(line, end="", flush=True)
    took = time.monotonic() - start
    text = "".join(lines)
    path.write_text(text)
    print(f"=== {bench.script}, run {run}: exit {proc.returncode} in {took:.0f} s -> {path}")
    return text, proc.returncode, took


def saved(bench: Bench, folder: Path, runs: int | None) -> list[str | None]:
    """The saved outputs of one benchmark (None where a run's file is missing)."""
    found = {}
    for name in (stem(bench), bench.name):
        for p in folder.glob(f"{name}.*.txt"):
            m = re.fullmatch(re.escape(name) + r"\.(\d+)\.txt", p.name)
            if m:
                found.setdefault(int(m.group(1)), p)
    count = runs if runs is not None else max([2, *found])
    return [found[i].read_text() if i in found else None for i in range(1, count + 1)]


def number(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def shown_as(figure: Figure, v: float) -> str:
    if figure.target == "holds":
        return "yes" if v == 1 else "no"
    return number(v)


def value(fig: Figures | None, key: str) -> float | None:
    v = None if fig is None else fig.get(key)
    return None if v is None or math.isnan(v) else v


def verdict(figure: Figure, values: list[float | None]) -> str:
    if figure.ok is None:
        return "—"
    if any(v is None for v in values) or not values:
        return "unknown"
    bad = sum(1 for v in values if v is not None and not figure.ok(v))
    if not bad:
        return "met"
    return "not met" if bad == len(values) else f"not met in {bad} of {len(values)} runs"


def spread(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if len(got) < 2:
        return "—"
    lo, hi = min(got), max(got)
    mean = sum(got) / len(got)
    share = f" ({100 * (hi - lo) / abs(mean):.1f} %)" if mean else ""
    return number(hi - lo) + share


def table(bench: Bench, figs: list[Figures | None], notes: list[str]) -> tuple[list[str], int]:
    """The goal's Markdown table and how many figures are unknown."""
    runs = [f"run {i}" for i in range(1, len(figs) + 1)]
    head = ["figure", *runs, "spread", "target", "result"]
    lines = [f"### {bench.goal} ({bench.script})", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    unknown = 0
    for f in bench.figures:
        values = [value(x, f.key) for x in figs]
        unknown += sum(v is None for v in values)
        shown = ["unknown" if v is None else shown_as(f, v) for v in values]
        row = [f.label, *shown, spread(values), f.target, verdict(f, values)]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", *notes, ""] if notes else [""]
    return lines, unknown


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="NAME", help="these benchmarks only")
    ap.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="leave these out")
    ap.add_argument("--runs", type=int, help="runs of each benchmark (default 2)")
    ap.add_argument("--quick", action="store_true", help="pass the benchmarks' --quick (smoke)")
    ap.add_argument("--from", dest="source", type=Path, help="summarise saved outputs in DIR")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where outputs and latest.md go")
    args = ap.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.source is not None and not args.source.is_dir():
        print(f"--from {args.source}: no such folder", file=sys.stderr)
        return 2
    benches = pick(args.only, args.skip)
    args.out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    results: list[tuple[Bench, list[str | None], list[str]]] = []
    for bench in benches:
        notes: list[str] = []
        if args.source is not None:
            outs = saved(bench, args.source, args.runs)
            for i, text in enumerate(outs, 1):
                if text is None:
                    notes.append(f"run {i}: no saved output")
                else:
                    print(f"\n=== {bench.script}, run {i} (saved in {args.source})")
                    print("".join(x for x in text.splitlines(True) if not x.startswith("RESULT ")))
        else:
            outs = []
            for run in range(1, (args.runs or 2) + 1):
                text, code, took = run_one(bench, run, args.quick, args.out)
                outs.append(text)
                notes.append(f"run {run}: exit {code}, {took:.0f} s")
                if code:
                    problems.append(f"{bench.script} run {run} exited with {code}")
        results.append((bench, outs, notes))

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    how = f"--from {args.source}" if args.source else ("--quick" if args.quick else "full size")
    md = [f"# Benchmarks, {when} ({how})", ""]
    for bench, outs, notes in results:
        figs = [None if o is None else bench.parse(o) for o in outs]
        lines, unknown = table(bench, figs, notes)
        if unknown:
            problems.append(f"{bench.script}: {unknown} figure(s) unknown")
        md += lines
    if problems:
        md += ["Problems:", *[f"- {p}" for p in problems], ""]
    report = "\n".join(md)
    print("\n" + report)
    (args.out / "latest.md").write_text(report)
    print(f"written to {args.out / 'latest.md'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
