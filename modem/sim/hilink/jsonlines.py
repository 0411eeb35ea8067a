"""The JSON-lines control loop of the HTTP virtual devices (HiLink stick, Android gateway): one
command object per stdin line, one ``{"event": "reply", "id": ..., ...}`` per command on stdout,
the same as ``python -m modem.sim`` for the AT modem. EOF or ``{"cmd": "quit"}`` ends it.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def serve(
    control: Callable[[dict[str, Any]], dict[str, Any]], emit: Callable[[dict[str, Any]], None]
) -> int:
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def read() -> None:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                if not isinstance(cmd, dict):
                    raise ValueError("a command is a JSON object")
            except ValueError as exc:
                emit({"event": "reply", "ok": False, "error": f"bad command: {exc}"})
                continue
            if cmd.get("cmd") == "quit":
                emit({"event": "reply", "id": cmd.get("id"), "ok": True})
                break
            try:
                reply = control(cmd)
            except Exception as exc:  # never die from one command
                log.exception("control command failed")
                reply = {"ok": False, "error": repr(exc)}
            emit({"event": "reply", "id": cmd.get("id"), **reply})
        stop.set()

    threading.Thread(target=read, daemon=True, name="sim-stdin").start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    return 0
