"""``SimProcess``: ``python -m modem.sim`` in a subprocess, spoken to over its JSON lines."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from modem.sim.event_log import Event, EventLog

ROOT = Path(__file__).resolve().parents[2]


class SimProcess(EventLog):
    """Same control API as VirtualModem, but the modem runs in its own process."""

    def __init__(self, vendor: str = "generic", *, args: list[str] | None = None, **options: Any):
        super().__init__()
        self.argv = [sys.executable, "-m", "modem.sim", "--vendor", vendor]
        for key, value in options.items():
            flag = "--" + key.replace("_", "-")
            if value is True:
                self.argv.append(flag)
            elif value not in (None, False):
                self.argv += [flag, str(value)]
        self.argv += list(args or [])
        self.proc: subprocess.Popen[str] | None = None
        self._ids = itertools.count(1)
        self._replies: dict[int, Event] = {}
        self._reply_cond = threading.Condition()
        self._device: str | None = None
        self._write_lock = threading.Lock()
        self.stderr_lines: list[str] = []

    def start(self, timeout: float = 20.0) -> str:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=ROOT,
            env=env,
        )
        threading.Thread(target=self._read_stdout, daemon=True, name="simproc-out").start()
        threading.Thread(target=self._read_stderr, daemon=True, name="simproc-err").start()
        try:
            ready = self.wait_event("ready", timeout=timeout)
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(
                "modem.sim did not start: " + "".join(self.stderr_lines[-20:])
            ) from exc
        device = str(ready["device"])
        self._device = device
        return device

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "reply":
                with self._reply_cond:
                    self._replies[event.get("id", -1)] = event
                    self._reply_cond.notify_all()
                continue
            if event.get("event") == "replugged":
                self._device = event.get("device")
            self._record(event)
        with self._reply_cond:
            self._reply_cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            del self.stderr_lines[:-200]

    @property
    def device(self) -> str | None:
        return self._device

    def control(self, cmd: Event, timeout: float = 15.0) -> Event | None:
        if self.proc is None or self.proc.stdin is None or self.proc.poll() is not None:
            raise RuntimeError("modem.sim is not running")
        ident = next(self._ids)
        with self._write_lock:
            self.proc.stdin.write(json.dumps({**cmd, "id": ident}) + "\n")
            self.proc.stdin.flush()
        proc = self.proc
        with self._reply_cond:
            ok = self._reply_cond.wait_for(
                lambda: ident in self._replies or proc.poll() is not None, timeout
            )
            if not ok or ident not in self._replies:
                raise TimeoutError(f"no reply to {cmd!r}")
            reply = dict(self._replies.pop(ident))
        reply.pop("event", None)
        reply.pop("id", None)
        return reply

    def deliver(self, sender: str, text: str, **extra: Any) -> Event | None:
        return self.control({"cmd": "deliver", "from": sender, "text": text, **extra})

    def stop(self, timeout: float = 5.0) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()  # EOF on the control channel: the sim shuts down
            except OSError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        return proc.returncode

    def __enter__(self) -> SimProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
