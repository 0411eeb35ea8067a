"""``python -m modem.sim --kind hilink|android`` in a subprocess (no tests in here): the ready
line's URL and credentials, commands on its JSON-lines channel, and its events."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


class HttpSim:
    """The virtual HiLink stick or Android gateway as its own process."""

    def __init__(self, kind: str, *args: str) -> None:
        self.argv = [sys.executable, "-m", "modem.sim", "--kind", kind, *args]
        self.proc: subprocess.Popen[str] | None = None
        self.ready: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return str(self.ready["url"])

    def start(self, timeout: float = 20.0) -> HttpSim:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, cwd=ROOT, env=env,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self.ready), timeout):
                self.stop()
                raise RuntimeError(f"{self.argv} did not print its ready line")
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                if event.get("event") == "ready":
                    self.ready = event
                elif event.get("event") == "reply":
                    self._replies[int(event.get("id") or -1)] = event
                else:
                    self.events.append(event)
                self._cond.notify_all()

    def control(self, cmd: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        ident = next(self._ids)
        self.proc.stdin.write(json.dumps({**cmd, "id": ident}) + "\n")
        self.proc.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._replies, timeout):
                raise TimeoutError(f"no reply to {cmd}")
            return self._replies.pop(ident)

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name]

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
