"""The three programs ``bench_peers`` runs, each against a virtual modem device, and the modem.

Each runner queues the same texts the way its program takes them (TextDesk: rows committed as
queued, as ``textdesk send`` does; gammu-smsd: ``gammu-smsd-inject`` into its files outbox;
smstools3: message files renamed into its outgoing folder), starts the program in its own
process, and counts what the program says came back (delivery reports stored).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


class SimProcess:
    """``python -m modem.sim`` on a pty (through line_meter, which records the line's bytes);
    its JSON events on stdout are kept with their monotonic time."""

    def __init__(self, workdir: Path, *, baud: int, cmgs_delay: float) -> None:
        self.record = workdir / "line.pickle"
        args = [PY, str(ROOT / "bench" / "line_meter.py"), "--record", str(self.record), "--"]
        args += ["--baud", str(baud), "--cmgs-delay", str(cmgs_delay)]
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(workdir / "sim.err").open("w"),
            text=True,
            cwd=ROOT,
        )
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.device = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            self.proc.kill()
            raise SystemExit("the virtual modem did not start (see sim.err)")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            now = time.monotonic()
            with self.lock:
                self.events.append((now, event))
            if event.get("event") == "ready":
                self.device = str(event["device"])
                self.ready.set()

    def of(self, kind: str) -> list[tuple[float, dict[str, Any]]]:
        with self.lock:
            return [(t, e) for t, e in self.events if e.get("event") == kind]

    def stop(self) -> list[tuple[float, int, bytes]]:
        from line_meter import load

        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(15)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.terminate()
            self.proc.wait(10)
        return load(self.record) if self.record.exists() else []


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class TextDesk:
    name = "TextDesk (serve)"
    settings = (
        "`textdesk serve` as its own process (bench/textdesk_unlimited.py: the shop's send-rate "
        "limit, at most 60/min, lifted; quiet hours off); texts committed as queued beforehand"
    )

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "textdesk"
        self.proc: subprocess.Popen[bytes] | None = None

    def prepare(self, texts: list[tuple[str, str]]) -> None:
        sys.path.insert(0, str(ROOT))
        from desk.base.clock import SystemClock
        from desk.base.paths import resolve_profile
        from desk.messaging.outbox import queue_message
        from desk.store.db import close_database, db, open_database
        from desk.store.settings import Settings

        profile = resolve_profile(self.dir)
        profile.ensure()
        self.db_path = profile.db_path
        open_database(profile.db_path)
        try:
            settings, clock = Settings(), SystemClock()
            settings.set("quiet_hours", "off")
            with db.atomic("IMMEDIATE"):
                for number, text in texts:
                    queue_message(number, text, source="cli", settings=settings, clock=clock)
        finally:
            close_database()

    def start(self, device: str) -> None:
        args = [PY, str(ROOT / "bench" / "textdesk_unlimited.py"), "--profile", str(self.dir)]
        args += ["--port", device, "serve"]
        self.proc = subprocess.Popen(
            args, stdout=(self.dir / "serve.out").open("wb"), stderr=subprocess.STDOUT, cwd=ROOT
        )

    def reports(self) -> int:
        """Delivery reports stored and matched to their part."""
        try:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=1)
            try:
                row = con.execute(
                    "SELECT COUNT(*) FROM delivery_report WHERE part_id IS NOT NULL"
                ).fetchone()
            finally:
                con.close()
        except sqlite3.Error:
            return 0
        return int(row[0])

    def sent_states(self) -> dict[str, int]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        try:
            rows = con.execute(
                "SELECT state, COUNT(*) FROM message WHERE direction = 'out' GROUP BY state"
            ).fetchall()
        finally:
            con.close()
        return {str(s): int(n) for s, n in rows}

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


GAMMU_SETTINGS = {
    "LoopSleep": "0",
    "CommTimeout": "0",
    "StatusFrequency": "0",
    "CheckSecurity": "0",
    "CheckBattery": "0",
    "CheckSignal": "0",
    "CheckNetwork": "0",
    "HangupCalls": "0",
    "ResetFrequency": "0",
    "HardResetFrequency": "0",
    "DeliveryReport": "sms",
}


class Gammu:
    name = "gammu-smsd"
    settings = "gammu-smsd, files backend: " + ", ".join(
        f"{k}={v}" for k, v in GAMMU_SETTINGS.items()
    )

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "gammu"
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_config(self, device: str) -> None:
        d = self.dir
        lines = ["[gammu]", f"device = {device}", "connection = at115200", "", "[smsd]"]
        lines += ["Service = files", f"LogFile = {d / 'smsd.log'}", "DebugLevel = 0"]
        for sub in ("inbox", "outbox", "sent", "error"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        lines += [f"InboxPath = {d / 'inbox'}/", f"OutboxPath = {d / 'outbox'}/"]
        lines += [f"SentSMSPath = {d / 'sent'}/", f"ErrorSMSPath = {d / 'error'}/"]
        lines += [f"{k} = {v}" for k, v in GAMMU_SETTINGS.items()]
        (d / "smsdrc").write_text("\n".join(lines) + "\n")

    def prepare(self, texts: list[tuple[str, str]]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write_config("/dev/null")  # the outbox only; the device is set at start
        for number, text in texts:
            inject = ["gammu-smsd-inject", "-c", str(self.dir / "smsdrc"), "TEXT", number]
            subprocess.run(
                [*inject, "-report", "-text", text],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def start(self, device: str) -> None:
        self._write_config(device)
        self.proc = subprocess.Popen(
            ["gammu-smsd", "-c", str(self.dir / "smsdrc")],
            stdout=(self.dir / "smsd.out").open("wb"),
            stderr=subprocess.STDOUT,
        )

    def reports(self) -> int:
        return sum(1 for _ in (self.dir / "inbox").iterdir())

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


SMSTOOLS_GLOBAL = {
    "delaytime": "1",
    "delaytime_mainprocess": "0",
    "sleeptime_mainprocess": "0",
    "trust_outgoing": "yes",
    "status_signal_quality": "no",
}
SMSTOOLS_MODEM = {
    "baudrate": "115200",
    "rtscts": "no",
    "incoming": "yes",
    "report": "yes",
    "poll_faster": "10",
    "detect_unexpected_input": "no",
    "check_network": "0",
    "delaytime": "0",
    # Reports stored by the modem (+CNMI ds=2); this modem keeps them in "SR", so that is the
    # storage smsd reads (its documented way: reports read as ordinary stored messages).
    "init": 'AT+CPMS="SR","SM","SM";+CNMI=2,0,0,2,1',
}


class Smstools:
    name = "smstools3"
    settings = (
        "smsd: "
        + ", ".join(f"{k}={v}" for k, v in SMSTOOLS_GLOBAL.items())
        + "; modem: "
        + ", ".join(f"{k}={v}" for k, v in SMSTOOLS_MODEM.items())
    )

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "smstools"
        self.proc: subprocess.Popen[bytes] | None = None

    def prepare(self, texts: list[tuple[str, str]]) -> None:
        d = self.dir
        for sub in ("outgoing", "checked", "incoming", "report", "sent", "failed", "tmp"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        for i, (number, text) in enumerate(texts):
            tmp = d / "tmp" / f"bench{i:04d}"
            tmp.write_text(f"To: {number.lstrip('+')}\nReport: yes\n\n{text}\n")
            os.replace(tmp, d / "outgoing" / tmp.name)  # created by rename: trust_outgoing

    def start(self, device: str) -> None:
        d = self.dir
        lines = ["devices = GSM1"]
        for sub in ("outgoing", "checked", "incoming", "report", "sent", "failed"):
            lines.append(f"{sub} = {d / sub}")
        level = os.environ.get("BENCH_SMSTOOLS_LOGLEVEL", "5")
        lines += [f"logfile = {d / 'smsd.log'}", f"loglevel = {level}", "logtime_ms = yes"]
        lines += [f"infofile = {d / 'smsd.working'}", f"pidfile = {d / 'smsd.pid'}"]
        lines += [f"{k} = {v}" for k, v in SMSTOOLS_GLOBAL.items()]
        lines += ["", "[GSM1]", f"device = {device}"]
        lines += [f"{k} = {v}" for k, v in SMSTOOLS_MODEM.items()]
        (d / "smsd.conf").write_text("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(
            ["smsd", "-t", "-c", str(d / "smsd.conf")],
            stdout=(d / "smsd.out").open("wb"),
            stderr=subprocess.STDOUT,
        )

    def reports(self) -> int:
        return sum(1 for _ in (self.dir / "report").iterdir())

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def have(program: str) -> bool:
    return shutil.which(program) is not None
