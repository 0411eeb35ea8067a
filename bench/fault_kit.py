"""What bench/faults.py and bench/soak.py share: one shop (a fresh profile, the virtual modem as
its own process on a stable ``--link`` path, `textdesk serve` as its own process), driven only
through the public command line and the modem's JSON control channel, with a ledger of every
text that went in or out, and the fault table both print.

Nothing here imports the product's desk package: the database is only *read* (sqlite3, at the
end and to see whether a probe arrived), as a tester would look at it.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modem.sim import SimProcess  # noqa: E402  (the control channel's own client)

PY = sys.executable
CLI = [PY, "-m", "desk.cli.main"]
SENT_STATES = ("sent", "delivered")
EXPLICIT_STATES = ("failed", "uncertain")
TOLD = re.compile(
    r"\b(WARNING|ERROR|CRITICAL)\b|uncertain|failed|could not|cannot|Traceback"
    r"|modem (pin_needed|puk_needed|no_network|no_sim|connection lost|restarted)"
)
STAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), e.get("PYTHONPATH")]))
    e.setdefault("LC_ALL", "C.UTF-8")
    return e


def textdesk(
    *argv: str | bytes,
    stdin: bytes | None = None,
    timeout: float = 120,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """One `textdesk` command line, as a shop's script would run it."""
    return subprocess.run(
        [*CLI, *argv], cwd=ROOT, capture_output=True, input=stdin, timeout=timeout,
        env={**env(), **(extra_env or {})},
    )  # fmt: skip


@dataclass
class Text:
    kind: str  # "in" or "out"
    body: str
    number: str
    at: float
    fault: str
    mid: int | None = None  # outgoing: the id `textdesk send` printed
    refused: str = ""  # outgoing: the one line `textdesk send` answered when it did not queue
    said: str = ""  # outgoing: what `textdesk send` printed on stderr (a "busy; waiting" line)
    took: float = 0.0  # outgoing: how long the `textdesk send` process ran


@dataclass
class FaultRow:
    name: str
    started: float
    cleared: float = 0.0
    recovered: float | None = None
    told: list[str] = field(default_factory=list)
    status: str = ""  # `textdesk status` while the fault was on
    note: str = ""
    skipped: str = ""  # why it could not run here (the table says "n/a")
    bad: list[str] = field(default_factory=list)  # promises broken besides lost/doubled
    expect_extra_in: Counter[str] = field(default_factory=Counter)  # bodies the fault itself adds
    lost: int = 0
    doubled: int = 0
    explicit: int = 0
    texts: int = 0
    serve_alive: bool = True


class Serve:
    """`textdesk serve` in its own process; its output kept with the time each line came."""

    def __init__(self, profile: Path, port: str, log: Path) -> None:
        self.profile, self.port, self.log = profile, port, log
        self.lines: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "serve", "--profile", str(self.profile), "--port", self.port],
            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            errors="replace", bufsize=1,
        )  # fmt: skip
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        with self.log.open("a", encoding="utf-8") as out:
            for line in proc.stdout:
                with self.lock:
                    self.lines.append((time.monotonic(), line.rstrip("\n")))
                out.write(line)
                out.flush()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def since(self, t: float, until: float | None = None) -> list[str]:
        with self.lock:
            return [x for at, x in self.lines if at >= t and (until is None or at <= until)]

    def wait_line(self, pattern: str, since: float, timeout: float) -> float | None:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for at, x in self.lines:
                    if at >= since and rx.search(x):
                        return at
            if not self.alive():
                return None
            time.sleep(0.1)
        return None

    def tracebacks(self) -> int:
        with self.lock:
            return sum("Traceback" in x for _, x in self.lines)

    def resources(self) -> tuple[int, int]:
        """(RSS in KiB, open file descriptors) of the serve process; (-1, -1) once it is gone."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            return rss, len(os.listdir(f"/proc/{self.pid}/fd"))
        except (OSError, AttributeError):
            return -1, -1

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


class Shop:
    """One profile, one virtual modem, one serve; the ledger of texts and the fault rows."""

    def __init__(self, workdir: Path, *, profile: Path | None = None, **sim: Any) -> None:
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.profile = profile or workdir / "profile"
        self.link = workdir / "modem-link"
        self.sim = SimProcess(link=str(self.link), **{"report_delay": 0.2, **sim})
        self.serve = Serve(self.profile, str(self.link), workdir / "serve.log")
        self.texts: list[Text] = []
        self.rows: list[FaultRow] = []
        self.fault = "baseline"
        self.n = 0
        self.lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------------

    def setup(self, rate: int = 60) -> None:
        for key, value in (("rate_per_minute", str(rate)), ("rate_per_day", "10000"),
                           ("quiet_hours", "off")):  # fmt: skip
            done = textdesk("config", "--profile", str(self.profile), key, value)
            if done.returncode != 0:
                raise SystemExit(f"textdesk config {key}: {done.stderr.decode().strip()}")

    def start(self, timeout: float = 60) -> None:
        if self.sim.proc is None:
            self.sim.start()
        t = time.monotonic()
        self.serve.start()
        if self.serve.wait_line(r"modem ready", t, timeout) is None:
            raise SystemExit(
                "serve did not get the modem ready:\n" + "\n".join(self.serve.since(t))
            )

    def close(self) -> int | None:
        code = self.serve.stop()
        self.sim.stop()
        return code

    # --- traffic --------------------------------------------------------------------------------

    def next_n(self) -> int:
        with self.lock:
            self.n += 1
            return self.n

    def deliver(self, sender: str, body: str | None = None) -> Text:
        n = self.next_n()
        body = body or f"in-{n:05d} is my order ready?"
        t = Text("in", body, sender, time.monotonic(), self.fault)
        reply = self.sim.deliver(sender, body)
        if not reply or not reply.get("ok"):
            raise SystemExit(f"the virtual modem refused deliver: {reply}")
        with self.lock:
            self.texts.append(t)
        return t

    def send(self, number: str, body: str | None = None) -> Text:
        n = self.next_n()
        body = body or f"out-{n:05d} your order is ready"
        t = Text("out", body, number, time.monotonic(), self.fault)
        done = textdesk("send", "--profile", str(self.profile), number, body, timeout=900)
        t.took = time.monotonic() - t.at
        out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
        m = re.search(r"queued message (\d+)", out)
        t.said = " / ".join(err.strip().splitlines()[:3])[:300]
        if done.returncode == 0 and m:
            t.mid = int(m.group(1))
        else:
            t.refused = (err.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]
            if "Traceback" in err:
                t.refused = "TRACEBACK: " + t.refused
        with self.lock:
            self.texts.append(t)
        return t

    def status(self) -> str:
        done = textdesk("status", "--profile", str(self.profile), "-n", "0", timeout=60)
        return (done.stdout + done.stderr).decode(errors="replace").strip()

    # --- looking ----------------------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        db_path = self.profile / "textdesk.sqlite3"  # desk.base.paths.Profile.db_path
        return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=60)

    def stored_in(self) -> Counter[str]:
        con = self.db()
        try:
            return Counter(
                b for (b,) in con.execute("SELECT body FROM message WHERE direction='in'")
            )
        finally:
            con.close()

    def out_states(self) -> dict[int, str]:
        con = self.db()
        try:
            return dict(con.execute("SELECT id, state FROM message WHERE direction='out'"))
        finally:
            con.close()

    def raw_count(self) -> int:
        con = self.db()
        try:
            return int(con.execute("SELECT COUNT(*) FROM raw_incoming").fetchone()[0])
        finally:
            con.close()

    def sim_status(self) -> dict[str, Any]:
        return self.sim.control({"cmd": "status"}) or {}

    def sim_left(self) -> int:
        s = self.sim_status()
        used = sum(s.get("storage", {}).get(m, {}).get("used", 0) for m in ("SM", "ME"))
        return int(used + s.get("network_queue", 0))

    def probe(
        self,
        since: float,
        timeout: float = 120,
        number: str = "+12025559901",
        sender: str = "+12025559902",
    ) -> float | None:
        """One text each way after a fault is cleared: the seconds from ``since`` until both went
        through (incoming stored, outgoing at the modem and marked sent), or None within
        ``timeout``. The `textdesk send` process's own run time (Python start-up: 1-4 s on a
        loaded 2-core machine) is not counted unless it said it waited for a busy database."""
        tin = self.deliver(sender, f"probe-in-{self.next_n():05d} after {self.fault}")
        box: list[Text] = []
        sender_thread = threading.Thread(
            target=lambda: box.append(self.send(number, f"probe-out-{self.next_n():05d}")),
            daemon=True,
        )
        sender_thread.start()
        deadline = time.monotonic() + timeout
        t_in = t_out = None
        while time.monotonic() < deadline:
            try:
                if t_in is None and self.stored_in()[tin.body] > 0:
                    t_in = time.monotonic()
                mid = box[0].mid if box else None
                if t_out is None and mid is not None and self.out_states().get(mid) in SENT_STATES:
                    t_out = time.monotonic()
            except sqlite3.OperationalError:
                pass  # locked or full: look again
            if box and box[0].mid is None:
                return None  # send refused after the fault was cleared
            if t_in is not None and t_out is not None:
                out = box[0]
                own = 0.0 if "busy" in out.said else out.took
                return max(t_in - since, t_out - since - own)
            if not self.serve.alive():
                return None
            time.sleep(0.1)
        return None

    def drain(self, timeout: float = 300) -> bool:
        """Wait until nothing is queued/sending, every delivered text is stored and the SIM and
        the network queue are empty (twice, 2 s apart)."""
        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            try:
                states = self.out_states()
                stored = self.stored_in()
            except sqlite3.OperationalError:
                time.sleep(1)
                continue
            waiting = sum(s in ("queued", "sending") for s in states.values())
            missing = sum(stored[t.body] == 0 for t in self.texts if t.kind == "in")
            calm = calm + 1 if not waiting and not missing and self.sim_left() == 0 else 0
            if calm >= 2:
                return True
            time.sleep(2)
        return False

    # --- faults ---------------------------------------------------------------------------------

    def begin(self, name: str) -> FaultRow:
        row = FaultRow(name, time.monotonic())
        with self.lock:
            self.fault = f"{name}#{len(self.rows) + 1}"
            self.rows.append(row)
        return row

    def finish(self, row: FaultRow, probe_timeout: float = 120) -> None:
        row.cleared = row.cleared or time.monotonic()
        took = self.probe(row.cleared, probe_timeout)
        row.recovered = took
        end = time.monotonic()
        row.told = told(self.serve.since(row.started, end))
        row.serve_alive = self.serve.alive()
        with self.lock:
            self.fault = "baseline"


def told(lines: list[str]) -> list[str]:
    """The distinct things serve said that a person would notice (warnings, errors, uncertain
    or failed texts), numbers folded so one repeated line counts once, with a count."""
    seen: Counter[str] = Counter()
    first: dict[str, str] = {}
    for line in lines:
        if not TOLD.search(line) or "password store" in line:
            continue  # (no keyring on this machine: said once at every start, not a fault's)
        text = STAMP.sub("", line).strip()
        key = re.sub(r"\d+", "#", text)
        seen[key] += 1
        first.setdefault(key, text)
    return [f"{first[k]}" + (f" (x{n})" if n > 1 else "") for k, n in seen.items()]


def judge(shop: Shop, submitted: list[dict[str, Any]]) -> dict[str, Any]:
    """Check every text in the ledger; fill each fault row's lost/doubled; return the totals."""
    stored = shop.stored_in()
    states = shop.out_states()
    sent = Counter((e.get("to"), e.get("text")) for e in submitted)
    by_fault: dict[str, FaultRow] = {f"{r.name}#{i + 1}": r for i, r in enumerate(shop.rows)}
    base = FaultRow("baseline (no fault)", 0.0)
    totals: Counter[str] = Counter()
    problems: list[str] = []
    known_out = {(t.number, t.body) for t in shop.texts if t.kind == "out"}
    for t in shop.texts:
        row = by_fault.get(t.fault, base)
        row.texts += 1
        totals[t.kind] += 1
        if t.kind == "in":
            n = stored[t.body]
            if n == 0:
                row.lost += 1
                problems.append(f"LOST incoming {t.body!r} ({t.fault})")
            elif n > 1:
                row.doubled += 1
                problems.append(f"DOUBLED incoming {t.body!r} stored {n}x ({t.fault})")
            continue
        c = sent[(t.number, t.body)]
        if t.mid is None:
            row.explicit += 1
            totals["refused"] += 1
            if c:
                row.doubled += c > 1
                problems.append(f"refused by send but at the modem {c}x: {t.body!r} ({t.refused})")
            if t.refused.startswith("TRACEBACK"):
                problems.append(f"send printed a traceback ({t.fault}): {t.refused}")
            continue
        state = states.get(t.mid, "missing")
        totals[state] += 1
        if c > 1:
            row.doubled += 1
            problems.append(f"DOUBLED outgoing {t.mid} {t.body!r} at the modem {c}x ({t.fault})")
        elif state in SENT_STATES and c == 0:
            row.lost += 1
            problems.append(f"LOST outgoing {t.mid}: {state} but never at the modem ({t.fault})")
        elif state in EXPLICIT_STATES:
            row.explicit += 1
        elif state not in SENT_STATES:
            row.lost += 1
            problems.append(f"LOST outgoing {t.mid} {t.body!r}: ended {state} ({t.fault})")
    # Texts that reached the modem nobody queued (auto-replies are counted, not judged).
    extra = sum(n for key, n in sent.items() if key not in known_out)
    expected: Counter[str] = Counter()
    owner: dict[str, FaultRow] = {}
    for row in shop.rows:
        expected.update(row.expect_extra_in)
        for body in row.expect_extra_in:
            owner[body] = row
    for body, n in expected.items():
        if stored[body] < n:
            owner[body].lost += n - stored[body]
            problems.append(f"LOST {n - stored[body]} of {n} {body!r} ({owner[body].name})")
        elif stored[body] > n:
            owner[body].doubled += stored[body] - n
            problems.append(f"DOUBLED {body!r}: stored {stored[body]}x, {n} expected")
    return {"totals": totals, "problems": problems, "extra_at_modem": extra, "baseline": base}


def table(rows: list[FaultRow], baseline: FaultRow | None = None) -> str:
    head = ["fault", "survived", "lost", "doubled", "time to recover", "what the shop was told"]
    body = []
    for r in ([baseline] if baseline and baseline.texts else []) + rows:
        rec = "-" if r.recovered is None and not r.cleared else (
            f"{r.recovered:.1f} s" if r.recovered is not None else "NOT in time")  # fmt: skip
        if r.skipped:
            body.append([r.name, "n/a", "-", "-", "-", f"[not run: {r.skipped}]"])
            continue
        recovered = r.recovered is not None or not r.cleared
        ok = not r.bad and r.serve_alive and not r.lost and not r.doubled and recovered
        said = "; ".join(r.told[:3]) or "(nothing)"
        if r.note:
            said = f"[{r.note}] " + said
        if r.bad:
            said = f"[BROKEN: {'; '.join(r.bad)}] " + said
        body.append([r.name, "yes" if ok else "NO", str(r.lost), str(r.doubled), rec, said[:300]])
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(5)]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=False)) + " | " + head[5]]
    out.append("-+-".join("-" * w for w in widths) + "-+-" + "-" * 30)
    for x in body:
        out.append(" | ".join(c.ljust(w) for c, w in zip(x, widths, strict=False)) + " | " + x[5])
    return "\n".join(out)


def now_utc() -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime())
