"""bench/run_all.py: summary tables from saved real outputs (--from), and one real quick run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "bench" / "run_all.py"
# real outputs: bench_engine --quick twice; bench_peers run 1 of /work/benchout copied twice:
# while it ran (as bench_peers.1.txt, no RESULT line yet) and once done (as bench_peers.2.txt)
DATA = Path(__file__).resolve().parent / "bench_runner_data"


def run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, str(RUNNER), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def rows(md: str) -> dict[str, list[str]]:
    """Figure label -> the other cells of its row."""
    out = {}
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) > 2 and cells[0] != "figure":
            out[cells[0]] = cells[1:]
    return out


def test_from_saved_outputs_reads_the_figures_and_marks_the_unreadable_unknown(
    tmp_path: Path,
) -> None:
    done = run("--from", str(DATA), "--only", "engine", "peers", "--out", str(tmp_path), timeout=30)
    md = (tmp_path / "latest.md").read_text()
    assert md in done.stdout
    table = rows(md)
    # engine: run 1, run 2, spread, target, result
    assert table["modem layer alone (SMS/s)"][:3] == ["83.4", "87.0", "3.6 (4.2 %)"]
    assert table["engine (queued) / modem layer alone"] == ["0.26", "0.27", "0.01 (3.8 %)",
                                                            "≥ 0.95", "not met"]  # fmt: skip
    assert table["nothing lost, doubled or unmatched"][:2] == ["yes", "yes"]
    assert table["nothing lost, doubled or unmatched"][-1] == "met"
    # peers run 1: no RESULT line, so the figures come from its progress lines; run 2: RESULT
    assert table["TextDesk, no network delay (SMS/s)"][:3] == ["52.4", "52.4", "0.003 (0.0 %)"]
    assert table["TextDesk, no delay: share of the line's limit"][:2] == ["0.977", "0.977"]
    assert table["TextDesk, no delay: share of the line's limit"][-1] == "met"
    assert table["smstools3 (report = yes), no delay (SMS/s)"][:2] == ["unknown", "3.59"]
    assert table["TextDesk / smstools3, no delay"][1:2] == ["14.6"]
    assert table["TextDesk / smstools3, no delay"][-1] == "unknown"
    assert table["gammu-smsd, no delay (SMS/s)"][:2] == ["1.4", "1.4"]
    assert table["gammu-smsd bytes on the line per SMS"][:2] == ["276", "276"]
    # run 1 lacks smstools3's 5 figures and gammu's 1 s delay
    assert "bench_peers.py: 6 figure(s) unknown" in md
    assert "bench_engine.py:" not in md  # every engine figure was read
    assert done.returncode == 1  # unknown figures fail the run


def test_a_quick_real_run_of_the_cheapest_benchmark(tmp_path: Path) -> None:
    start = time.monotonic()
    done = run("--quick", "--only", "engine", "--runs", "1", "--out", str(tmp_path), timeout=90)
    took = time.monotonic() - start
    assert took < 60, f"the quick engine run took {took:.0f} s"
    saved = (tmp_path / "bench_engine.1.txt").read_text()
    assert "modem layer alone" in saved
    assert saved.splitlines()[0] in done.stdout  # the benchmark's own lines are shown
    table = rows((tmp_path / "latest.md").read_text())
    for label, cells in table.items():
        assert cells[0] != "unknown", f"{label} not read from a real run: {saved}"
    assert float(table["modem layer alone (SMS/s)"][0]) > 0
    assert table["nothing lost, doubled or unmatched"][0] in ("yes", "no")
    assert "run 1: exit " in done.stdout


def test_a_cut_short_output_claims_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    head = (DATA / "bench_engine.1.txt").read_text().splitlines(True)[:4]  # no ratio lines
    (src / "bench_engine.1.txt").write_text("".join(head))
    done = run("--from", str(src), "--only", "engine", "--runs", "1", "--out", str(tmp_path),
               timeout=30)  # fmt: skip
    table = rows((tmp_path / "latest.md").read_text())
    assert table["modem layer alone (SMS/s)"][0] == "83.4"
    assert table["engine (queued) / modem layer alone"][-1] == "unknown"
    assert table["nothing lost, doubled or unmatched"] == ["unknown", "—", "holds", "unknown"]
    assert done.returncode == 1


def test_an_unknown_benchmark_name_is_one_line() -> None:
    done = run("--only", "nosuch", "--from", str(DATA), timeout=30)
    assert done.returncode != 0
    assert "unknown benchmark 'nosuch'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_counters_benchmark_is_read_from_its_result_line(tmp_path: Path) -> None:
    # bench_counters.py at full size (1M messages, three counters on PostgreSQL), run 1 of
    # ``run_all.py --only counters --runs 1`` on the shared 2-core machine
    done = run("--from", str(DATA), "--only", "counters", "--runs", "1", "--out", str(tmp_path),
               timeout=30)  # fmt: skip
    table = rows((tmp_path / "latest.md").read_text())
    assert table["PostgreSQL: modem -> another counter p95 (ms)"] == ["445", "—", "≤ 1000", "met"]
    assert table["PostgreSQL: launch to usable window (s)"][-1] == "not met"
    assert table["messages in the largest thread"][0] == "57,310"
    assert table["every text shown at every counter"] == ["yes", "—", "holds", "met"]
    assert done.returncode == 0  # every figure read
