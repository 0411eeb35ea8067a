"""The faults on the PC's side of TextDesk, for bench/faults.py: a full disk, another writer,
a big import, bad input on the command line, clock jumps, kill -9, a corrupted backup. Each
drives the public command line (and the virtual modem for the texts that arrive meanwhile) and
returns its FaultRow."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from fault_kit import PY, ROOT, FaultRow, Shop, env, textdesk

# One small tmpfs for the tests and the fault run (bench/faults.py mounts it through here).
from tests.helpers.small_disk import fill
from tests.helpers.small_disk import mount_small as mount_small
from tests.helpers.small_disk import unmount as unmount

CUSTOMER = "+12025550143"
HOLD_LOCK = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "c.execute('COMMIT')\n"
)


def first_line(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode(errors="replace").strip()
    return (err.splitlines() or [f"exit {done.returncode}"])[-1][:240]


def plain(done: subprocess.CompletedProcess[bytes], row: FaultRow, what: str) -> str:
    """The line a command printed; a traceback or more than one error line breaks a promise."""
    err = done.stderr.decode(errors="replace")
    if "Traceback" in err:
        row.bad.append(f"{what} printed a traceback")
    errors = [x for x in err.strip().splitlines() if x.startswith("textdesk:")]
    if len(errors) > 1:
        row.bad.append(f"{what} printed {len(errors)} error lines")
    return first_line(done)


# --- another process holds the write lock ----------------------------------------------------


def db_locked(shop: Shop, seconds: float = 10.0) -> FaultRow:
    row = shop.begin(f"database write-locked {seconds:g} s by another process")
    holder = subprocess.Popen(
        [PY, "-c", HOLD_LOCK, str(shop.profile / "textdesk.sqlite3"), str(seconds)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None
    holder.stdout.readline()
    sends = [threading.Thread(target=shop.send, args=("+12025550111",)) for _ in range(2)]
    for t in sends:
        t.start()
    for _ in range(3):
        shop.deliver(CUSTOMER)
        time.sleep(1)
    holder.wait(seconds + 30)
    row.cleared = time.monotonic()
    for t in sends:
        t.join(120)
    shop.finish(row)
    said = {x.said for x in shop.texts if x.fault.startswith(row.name) and x.said}
    row.told = [f"send: {s}" for s in sorted(said)] + row.told
    return row


# --- bad input --------------------------------------------------------------------------------


def not_utf8(shop: Shop) -> FaultRow:
    row = shop.begin("non-UTF-8 text to `textdesk send` (argv, stdin)")
    before = len(shop.out_states())
    argv = textdesk("send", "--profile", str(shop.profile), CUSTOMER, b"Your car is \xff\xfe ready")
    stdin = textdesk("send", "--profile", str(shop.profile), CUSTOMER, "-", stdin=b"Caf\xe9 at 9\n")
    row.told = [f"argv: {plain(argv, row, 'send (argv)')}", f"stdin: {plain(stdin, row, 'send')}"]
    for done, what in ((argv, "argv"), (stdin, "stdin")):
        if done.returncode == 0:
            row.bad.append(f"{what}: queued text it could not read")
        if re.search(r"codec|surrogate|0x[0-9a-f]{2}", first_line(done)):
            row.bad.append(f"{what}: Python's codec words")
    if len(shop.out_states()) != before:
        row.bad.append("something was queued")
    row.serve_alive = shop.serve.alive()
    shop.fault = "baseline"
    return row


def csv_unclosed_quote(shop: Shop, workdir: Path) -> FaultRow:
    """Five rows, the third with a quote left open: the four good ones are imported, the bad
    one is reported on its own line (line 4, after the header)."""
    row = shop.begin("CSV with an unclosed quote")
    csv = workdir / "unclosed.csv"
    csv.write_text(
        "name,phone,date,time,note,service\n"
        "Ann Lee,2025550161,2030-06-03,09:00,,cleaning\n"
        "Bob Ray,2025550162,2030-06-03,09:30,,cleaning\n"
        'Cy Dee,2025550163,2030-06-03,10:00,"left open,cleaning\n'
        "Di Fox,2025550164,2030-06-03,10:30,,cleaning\n"
        "Ed Gum,2025550165,2030-06-03,11:00,,cleaning\n",
        encoding="utf-8",
    )
    done = textdesk("import-appointments", "--profile", str(shop.profile), str(csv))
    out = done.stdout.decode(errors="replace")
    plain(done, row, "import-appointments")
    m = re.search(r"created (\d+) appointment", out)
    created = int(m.group(1)) if m else 0
    row.lost = max(0, 4 - created)
    line4 = [x.strip() for x in out.splitlines() if re.search(r"line\s+4\b", x)]
    if not line4:
        row.bad.append("the open quote is not reported on line 4")
    row.note = f"{created} of 4 good rows imported"
    row.told = line4[:1] + [x.strip() for x in out.splitlines() if "created" in x][:1]
    row.serve_alive = shop.serve.alive()
    shop.fault = "baseline"
    return row


# --- clock jumps -----------------------------------------------------------------------------


def clock_offset_var() -> str | None:
    text = (ROOT / "desk" / "base" / "clock.py").read_text(encoding="utf-8")
    m = re.search(r"TEXTDESK_[A-Z_]*(OFFSET|CLOCK)[A-Z_]*", text)
    return m.group(0) if m else None


def clock_jumps(workdir: Path) -> tuple[FaultRow, Shop | None]:
    row = FaultRow("clock set back 2 h, then forward 3 h", time.monotonic())
    var = clock_offset_var()
    if var is None:
        row.skipped = "desk/base/clock.py reads no test-only clock offset (no TEXTDESK_* variable)"
        return row, None
    row.skipped = f"{var} exists, but its meaning is not documented to this bench; run by hand"
    return row, None


# --- kill -9 between storing a text and deleting it from the SIM ---------------------------------


def kill9(shop: Shop, trials: int = 8) -> FaultRow:
    row = shop.begin(f"kill -9 of serve between store and delete (x{trials})")
    restarts: list[float] = []
    for i in range(trials):
        t = time.monotonic()
        shop.deliver(CUSTOMER)
        if i % 2:
            shop.send("+12025550111")  # an outgoing text in flight too
        hit = shop.serve.wait_line(r"message \d+ received", t, 30)
        if hit is None:
            row.bad.append(f"trial {i + 1}: no 'received' line within 30 s")
        os.kill(shop.serve.pid, signal.SIGKILL)
        shop.serve.proc.wait(30)  # type: ignore[union-attr]
        if i % 3 == 2:
            shop.deliver(CUSTOMER)  # a text while serve is down
        start = time.monotonic()
        shop.serve.start()
        if shop.serve.wait_line(r"modem ready", start, 60) is None:
            row.bad.append(f"trial {i + 1}: serve did not come back")
            break
        restarts.append(time.monotonic() - start)
    row.cleared = time.monotonic()
    shop.finish(row)
    if restarts:
        row.note = f"restart to modem ready {min(restarts):.1f}-{max(restarts):.1f} s"
    return row


# --- a corrupted backup ----------------------------------------------------------------------


def corrupted_backup(shop: Shop, workdir: Path) -> FaultRow:
    row = shop.begin("corrupted backup restored")
    good = workdir / "good-backup.sqlite3"
    done = textdesk("backup", "--profile", str(shop.profile), str(good))
    if done.returncode != 0 or not good.exists():
        row.bad.append(f"backup failed: {first_line(done)}")
        shop.finish(row)
        return row
    data = bytearray(good.read_bytes())
    mangled = workdir / "mangled-backup.sqlite3"
    for i in range(min(len(data), 4096), min(len(data), 12288)):
        data[i] = (data[i] * 7 + 13) & 0xFF
    mangled.write_bytes(bytes(data))
    cut = workdir / "truncated-backup.sqlite3"
    cut.write_bytes(bytes(data[: len(data) // 3]))
    before = shop.stored_in()
    said: list[str] = []
    running = textdesk("restore", "--profile", str(shop.profile), str(mangled))
    said.append(f"serve running: {plain(running, row, 'restore')}")
    shop.serve.stop()
    for path in (mangled, cut):
        done = textdesk("restore", "--profile", str(shop.profile), str(path))
        said.append(f"{path.name}: {plain(done, row, 'restore')}")
        if done.returncode == 0:
            row.bad.append(f"restore accepted {path.name}")
    check = sqlite3.connect(shop.profile / "textdesk.sqlite3")
    try:
        integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if integrity != "ok":
        row.bad.append(f"database after restore: {integrity}")
    row.lost = sum((before - shop.stored_in()).values())
    t = time.monotonic()
    shop.serve.start()
    if shop.serve.wait_line(r"modem ready", t, 60) is None:
        row.bad.append("serve did not start again")
    row.cleared = time.monotonic()
    shop.finish(row)
    row.told = said + row.told
    return row


# --- a full disk -----------------------------------------------------------------------------


def disk_full(shop: Shop, disk: Path, hold: float = 15.0) -> FaultRow:
    """``shop``'s profile lives on the small filesystem mounted at ``disk``."""
    row = shop.begin("disk full (4 MB filesystem)")
    filler = fill(disk)
    for _ in range(5):
        shop.deliver(CUSTOMER)
    for _ in range(2):
        shop.send("+12025550111")
    time.sleep(hold)
    row.status = shop.status()
    filler.unlink()
    row.cleared = time.monotonic()
    shop.finish(row)
    refused = {x.refused for x in shop.texts if x.refused}
    row.told = [f"send: {r}" for r in sorted(refused)] + row.told
    if any(r.startswith("TRACEBACK") for r in refused):
        row.bad.append("send printed a traceback")
    n_tb = shop.serve.tracebacks()
    if n_tb:
        row.bad.append(f"{n_tb} tracebacks in serve's output")
    return row


# --- a 100,000-row import while texts arrive ------------------------------------------------------


def write_big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("name,phone,date,time,note,service\n")
        for i in range(rows):
            number = f"202555{100 + i % 2000:04d}"
            day, slot = divmod(i // 2000, 20)
            f.write(f"Customer {i},{number},2030-{1 + day // 28:02d}-{1 + day % 28:02d},"
                    f"{8 + slot // 2:02d}:{30 * (slot % 2):02d},,check-up\n")  # fmt: skip


def big_import(shop: Shop, workdir: Path, rows: int = 100_000) -> FaultRow:
    csv = workdir / "big.csv"
    write_big_csv(csv, rows)
    row = shop.begin(f"{rows // 1000}k-row appointment import while texts arrive")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [PY, "-m", "desk.cli.main", "import-appointments", "--profile", str(shop.profile), str(csv)],
        cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    delivered: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                stored = shop.stored_in()
            except sqlite3.OperationalError:
                stored = {}  # type: ignore[assignment]
            now = time.monotonic()
            for body in list(delivered):
                if body not in seen and stored.get(body):
                    seen[body] = now
            stop.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    senders: list[threading.Thread] = []
    while proc.poll() is None and time.monotonic() - t0 < 600:
        t = shop.deliver(CUSTOMER)
        delivered[t.body] = t.at
        if len(delivered) % 5 == 1:
            s = threading.Thread(target=shop.send, args=("+12025550111",))
            s.start()
            senders.append(s)
        time.sleep(1.0)
    out, err = proc.communicate(timeout=600)
    took = time.monotonic() - t0
    row.cleared = time.monotonic()
    for s in senders:
        s.join(300)
    deadline = time.monotonic() + 60
    while len(seen) < len(delivered) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    watcher.join(5)
    shop.finish(row)
    lat = sorted(seen[b] - delivered[b] for b in seen)
    p95 = lat[max(0, int(len(lat) * 0.95) - 1)] if lat else float("nan")
    text = out.decode(errors="replace").strip().splitlines()
    created = next((x for x in text if "created" in x), text[-1] if text else "")
    e = err.decode(errors="replace")
    if "Traceback" in e:
        row.bad.append("import printed a traceback")
    if proc.returncode != 0:
        row.bad.append(f"import exit {proc.returncode}: {e.strip().splitlines()[-1:]}")
    if lat and p95 > 0.5:
        row.bad.append(f"stored-row p95 {p95:.2f} s > 0.5 s")
    busy = sorted({x.said for x in shop.texts if x.fault.startswith(row.name) and x.said})
    row.note = (f"import {took:.0f} s: {created.strip()[:80]}; incoming stored p95 {p95:.2f} s, "
                f"max {lat[-1] if lat else float('nan'):.2f} s over {len(lat)} texts")  # fmt: skip
    row.told = [f"send: {b}" for b in busy[:2]] + row.told
    return row


def burst(shop: Shop, n: int = 1000, watch: float = 90.0) -> FaultRow:
    """One `textdesk remind` to 1,000 numbers, due now; watched for ``watch`` seconds (at 60
    texts a minute all of them take ~17 minutes): nothing sent twice, nothing missing."""
    row = shop.begin(f"{n}-recipient burst (one remind)")
    numbers = [f"+1202555{100 + i:04d}" for i in range(n)]
    done = textdesk("remind", "--profile", str(shop.profile), ",".join(numbers),
                    "Burst notice: we are closed on Monday", "--at", "+0m")  # fmt: skip
    plain(done, row, "remind")
    said = "remind: " + (done.stdout.decode(errors="replace").strip().splitlines() or ["-"])[0]
    t0 = time.monotonic()
    if done.returncode != 0:
        row.bad.append(f"remind refused: {said}")
    time.sleep(watch)
    row.cleared = time.monotonic()
    shop.finish(row)
    sent = [e for e in shop.sim.submitted() if str(e.get("text", "")).startswith("Burst notice")]
    per: dict[str, int] = {}
    for e in sent:
        per[e["to"]] = per.get(e["to"], 0) + 1
    row.doubled = sum(1 for c in per.values() if c > 1)
    con = shop.db()
    try:
        rows = con.execute(
            "SELECT c.number, m.state FROM message m JOIN conversation v ON m.conversation_id=v.id"
            " JOIN contact c ON v.contact_id=c.id WHERE m.body LIKE 'Burst notice%'"
        ).fetchall()
    finally:
        con.close()
    have = {num for num, _ in rows}
    took = time.monotonic() - t0
    row.note = (f"{len(rows)} messages made, {len(sent)} at the modem in {took:.0f} s "
                f"({len(sent) / took * 60:.0f}/min; the rate limit is 60/min)")  # fmt: skip
    if len(rows) > n or len(have) < len(rows):
        row.doubled += len(rows) - len(have)
    row.told = [said, *row.told]
    return row
