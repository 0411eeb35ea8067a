"""TextDesk against gammu-smsd and smstools3 on the same virtual modem (prints figures only).

What it measures: each program sends the same N short GSM-7 texts (32 characters, each to its
own number) with delivery reports requested, to the project's virtual modem (``python -m
modem.sim`` on a pseudo-terminal, paced at 115200 baud, full duplex), in two scenarios: the
network answers +CMGS at once, and after 1 s (the modem's ``--cmgs-delay``). The modem's
``submitted`` events on its stdout count what reached the network; the rate is the steady one
(N-1 over the time from the first to the last ``submitted``). Every byte on the line both ways
is recorded (bench/line_meter.py); bytes per SMS are those from the first ``AT+CMGS`` until the
program had stored every report. The line's limit is computed from this run's own PDUs, ``+CMGS``
references and the status reports the modem sent (see line_meter.limit): what the line could
carry at best with the least exchange, reports included.

Why this is what a shop's modem does: a USB modem is a serial line at 115200 baud whose AT
exchange is stop-and-wait; every text costs its bytes both ways, and a delivery report costs its
unsolicited line and whatever the program reads, deletes or acknowledges for it. A real network
takes seconds to answer +CMGS, which the 1 s scenario models.

TextDesk runs as ``textdesk serve`` in its own process, which is what a back office runs (the
window runs the same Engine in-process); the shop's rate limit (at most 60 texts a minute) is
lifted through bench/textdesk_unlimited.py, since peers have none. Peers run at their fastest
documented settings, printed with the table.

Setup: the Debian packages gammu-smsd and smstools are installed with apt-get when missing and
we are root; otherwise it says so and runs TextDesk alone.

    .venv/bin/python bench/bench_peers.py [-n 100] [--quick] [--only textdesk,smstools3]

Exits non-zero when TextDesk lost or doubled a message or did not match every report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import line_meter
import workload
from peers import Gammu, SimProcess, Smstools, TextDesk, have

BAUD = 115200
PACKAGES = {"gammu-smsd": "gammu-smsd", "smsd": "smstools"}  # program -> Debian package


def setup_peers() -> list[str]:
    """Install the missing peer packages (root and apt-get only); the programs still missing."""
    missing = [prog for prog in PACKAGES if not have(prog)]
    if not missing:
        return []
    packages = [PACKAGES[p] for p in missing]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"Peers not installed ({', '.join(packages)}) and not root with apt-get: "
              "running TextDesk alone.")  # fmt: skip
        return missing
    print(f"Installing {' '.join(packages)} with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    still = [prog for prog in missing if not have(prog)]
    if still:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"Could not install {', '.join(PACKAGES[p] for p in still)} ({last[0]}): "
              "running without them.")  # fmt: skip
    return still


@dataclass
class Result:
    program: str
    delay: float
    submitted: int
    doubled: int
    reports: int
    rate: float
    bytes_per_sms: float
    to_modem: float
    from_modem: float
    limit: line_meter.Limit
    limit_cdsi: line_meter.Limit
    commands: dict[str, int]
    note: str = ""


def run_one(runner_cls: type, n: int, delay: float, work: Path) -> Result:
    workdir = work / f"{runner_cls.__name__.lower()}-{delay:g}"
    workdir.mkdir(parents=True)
    batch = workload.batch(n)
    runner = runner_cls(workdir)
    runner.prepare(batch)
    sim = SimProcess(workdir, baud=BAUD, cmgs_delay=delay)
    note = ""
    try:
        runner.start(sim.device)
        deadline = time.monotonic() + 90 + n * (delay + 2.0)
        while True:
            subs = sim.of("submitted")
            got = runner.reports()
            if len({e["to"] for _, e in subs}) >= n and got >= n:
                break
            if runner.proc is not None and runner.proc.poll() is not None:
                note = f"exited with {runner.proc.returncode}"
                break
            if time.monotonic() > deadline:
                note = "timed out"
                break
            time.sleep(0.05)
        t_done = time.monotonic()
        runner.stop()
    finally:
        if runner.proc is not None and runner.proc.poll() is None:
            runner.stop()
        records = sim.stop()
    subs = sim.of("submitted")
    reports = [e for _, e in sim.of("report") if e.get("pdu") and e.get("via") in ("cds", "cdsi")]
    per_number = Counter(e["to"] for _, e in subs)
    times = [t for t, _ in subs]
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    t0 = line_meter.Exchange.of(records).first(records, b"AT+CMGS") or 0.0
    ex = line_meter.Exchange.of(records, t0, t_done)
    sends, refs = ex.sends(), ex.references()
    pdus = [str(e["pdu"]) for e in reports]
    count = max(1, len(subs))
    # reports the program acknowledged one by one (AT+CNMA) are costed with their +CNMA
    acked = ex.commands().get("AT+CNMA", 0) >= len(pdus) > 0
    way = "cds+cnma" if acked else "cds"
    return Result(
        program=runner.name,
        delay=delay,
        submitted=len(per_number),
        doubled=sum(c - 1 for c in per_number.values()),
        reports=runner.reports(),
        rate=rate,
        bytes_per_sms=ex.total / count,
        to_modem=len(ex.to_modem) / count,
        from_modem=len(ex.from_modem) / count,
        limit=line_meter.limit(sends, refs, pdus, baud=BAUD, delay=delay, report_way=way),
        limit_cdsi=line_meter.limit(sends, refs, pdus, baud=BAUD, delay=delay, report_way="cdsi"),
        commands=ex.commands(),
        note=note,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100, help="texts per program and scenario")
    ap.add_argument("--delay", type=float, default=1.0, help="network delay of scenario 2 (s)")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (20 texts)")
    ap.add_argument("--only", help="comma-separated: textdesk, gammu-smsd, smstools3")
    ap.add_argument("--keep", type=Path, help="keep the programs' folders and logs here")
    args = ap.parse_args()
    n = 20 if args.quick and args.n == 100 else args.n
    missing = setup_peers()
    runners: list[type] = [TextDesk]
    if "gammu-smsd" not in missing:
        runners.append(Gammu)
    if "smsd" not in missing:
        runners.append(Smstools)
    if args.only:
        wanted = {w.strip().lower() for w in args.only.split(",")}
        runners = [r for r in runners if r.name.split()[0].lower() in wanted]
    print(f"{n} GSM-7 texts of 32 characters to distinct numbers, delivery reports requested, "
          f"virtual modem on a pty at {BAUD} baud (full duplex)")  # fmt: skip
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="textdesk-peers-") as tmp:
        work = args.keep or Path(tmp)
        for runner in runners:
            for delay in (0.0, args.delay):
                print(f"  {runner.name}, network delay {delay:g} s ...", flush=True)
                r = run_one(runner, n, delay, work)
                results.append(r)
                print(f"    {r.rate:.2f} SMS/s, limit {r.limit.per_second:.2f}, "
                      f"{r.bytes_per_sms:.0f} B/SMS, submitted {r.submitted}/{n}, "
                      f"doubled {r.doubled}, reports {r.reports}/{n}", flush=True)  # fmt: skip
    return report(results, runners, n, args.delay)


def summary(results: list[Result], n: int, delay: float) -> dict[str, float]:
    """The figures as one machine-readable line (bench/run_all.py): per program and scenario
    (``0`` no delay, ``d`` the network delay) the rate, its ratio to the limit, bytes per SMS,
    reports stored; and the limits from TextDesk's run."""
    short = {TextDesk.name: "textdesk", Gammu.name: "gammu", Smstools.name: "smstools3"}
    out: dict[str, float] = {"texts": n, "delay_s": delay}
    for r in results:
        key = f"{short[r.program]}_{'0' if r.delay == 0 else 'd'}"
        out[f"{key}_rate"] = round(r.rate, 3)
        out[f"{key}_of_limit"] = round(r.rate / r.limit.per_second, 3) if r.limit.per_second else 0
        out[f"{key}_bytes_per_sms"] = round(r.bytes_per_sms, 1)
        out[f"{key}_reports"] = r.reports
        out[f"{key}_submitted"] = r.submitted
        out[f"{key}_doubled"] = r.doubled
        if r.program == TextDesk.name:
            out[f"limit_{key[-1]}_rate"] = round(r.limit.per_second, 3)
            out[f"duplex_{key[-1]}_rate"] = round(r.limit.duplex_per_second, 3)
            duplex = r.limit.duplex_per_second
            out[f"{key}_of_duplex"] = round(r.rate / duplex, 3) if duplex else 0
    return out


def report(results: list[Result], runners: list[type], n: int, delay: float) -> int:
    def row(program: str, d: float) -> Result | None:
        return next((r for r in results if r.program == program and r.delay == d), None)

    print()
    print(f"| program | no network delay | network answers +CMGS after {delay:g} s "
          "| bytes on the line per SMS (to / from the modem) | reports stored |")  # fmt: skip
    print("|---|---|---|---|---|")
    for runner in runners:
        a, b = row(runner.name, 0.0), row(runner.name, delay)
        if a is None or b is None:
            continue
        print(f"| {runner.name} | {a.rate:.1f} SMS/s ({a.rate / a.limit.per_second:.2f} of limit) "
              f"| {b.rate:.2f} SMS/s ({b.rate / b.limit.per_second:.2f}) "
              f"| {a.bytes_per_sms:.0f} ({a.to_modem:.0f} / {a.from_modem:.0f}) "
              f"| {a.reports}/{n}, {b.reports}/{n} |")  # fmt: skip
    ref = row(TextDesk.name, 0.0)
    ref_d = row(TextDesk.name, delay)
    if ref is not None and ref_d is not None:
        print(
            f"| the line's limit (TextDesk's PDUs, reports as {ref.limit.how}) "
            f"| {ref.limit.per_second:.1f} "
            f"SMS/s | {ref_d.limit.per_second:.2f} SMS/s | {ref.limit.bytes_per_sms:.0f} | |"
        )
        print(f"| the busier direction alone (a bound no stop-and-wait AT program reaches) "
              f"| {ref.limit.duplex_per_second:.1f} SMS/s | {ref_d.limit.duplex_per_second:.2f} "
              f"SMS/s | | |")  # fmt: skip
        print(f"| the limit with +CDSI, one read, one delete per report "
              f"| {ref.limit_cdsi.per_second:.1f} SMS/s | {ref_d.limit_cdsi.per_second:.2f} SMS/s "
              f"| {ref.limit_cdsi.bytes_per_sms:.0f} | |")  # fmt: skip
    print()
    print("The line's limit counts every byte both ways in series (AT is stop-and-wait). A program")
    print("can pass it: on a full-duplex line the modem's report lines (+CDS) travel while the")
    print("host is still sending its next command; the busier direction alone bounds them all.")
    print()
    print("Each program's limit is computed from its own PDUs (they differ by a few octets):")
    for r in results:
        cmds = ", ".join(f"{k} {v / max(1, r.submitted):.1f}" for k, v in
                         sorted(r.commands.items(), key=lambda kv: -kv[1])[:8])  # fmt: skip
        print(f"  {r.program}, delay {r.delay:g} s: limit {r.limit.per_second:.2f} SMS/s "
              f"({r.limit.bytes_per_sms:.0f} B/SMS); submitted {r.submitted}/{n}, "
              f"doubled {r.doubled}, reports stored {r.reports}/{n}"
              f"{'; ' + r.note if r.note else ''}")  # fmt: skip
        print(f"      AT commands per SMS: {cmds}")
    print()
    print("Settings:")
    for runner in runners:
        print(f"  {runner.name}: {runner.settings}")
    print("RESULT " + json.dumps(summary(results, n, delay)))
    bad = [
        r for r in results
        if r.program == TextDesk.name and (r.submitted != n or r.doubled or r.reports != n)
    ]  # fmt: skip
    for r in bad:
        print(f"TextDesk lost, doubled or did not match texts (delay {r.delay:g} s): "
              f"{r.submitted}/{n} reached the network, {r.doubled} twice, "
              f"{r.reports}/{n} reports matched")  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
