"""The control channel every virtual device shares (the AT modem, the HiLink stick, the Android
gateway): commands as dicts with "cmd", answers as dicts with "ok" (and "error" when not ok),
the same in-process (``.control(cmd)``) and over JSON lines on stdin/stdout.

- ``need(cmd, key)`` and ``ControlError``: a missing or bad argument, said in the answer;
- ``answer(fn, name)``: runs one command, turning its result or its failure into the answer
  (a bug in a command never takes the device down);
- ``dispatch(commands, target, cmd)``: looks the command up in a table and answers it;
- ``stdout_emitter()``: writes one JSON object per line to stdout, whole lines from any thread,
  quietly once the reader has gone;
- ``serve(control, emit)``: the stdin loop of ``python -m modem.sim``: one ``{"event": "reply",
  "id": ..., ...}`` per command, until EOF, ``{"cmd": "quit"}`` or SIGTERM.
"""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

log = logging.getLogger(__name__)

Event = dict[str, Any]
Emit = Callable[[Event], None]
T = TypeVar("T")


class ControlError(ValueError):
    """A command the device cannot do as asked (missing or bad argument)."""


def need(cmd: Mapping[str, Any], key: str) -> Any:
    if key not in cmd:
        raise ControlError(f"missing {key!r}")
    return cmd[key]


def answer(fn: Callable[[], Event | None], name: str) -> Event:
    """``{"ok": True, **result}``, or ``{"ok": False, "error": ...}`` when it failed."""
    try:
        result = fn() or {}
    except (ValueError, KeyError, TypeError) as exc:  # ControlError included
        return {"ok": False, "error": str(exc) or type(exc).__name__}
    except Exception as exc:  # a bug here must not take the device down
        log.exception("control command %r failed", name)
        return {"ok": False, "error": repr(exc)}
    return {"ok": True, **result}


def dispatch(
    commands: Mapping[str, Callable[[T, Event], Event | None]], target: T, cmd: Event
) -> Event:
    name = str(cmd.get("cmd", ""))
    fn = commands.get(name)
    if fn is None:
        return {"ok": False, "error": f"unknown command {name!r}"}
    return answer(lambda: fn(target, cmd), name)


def stdout_emitter() -> Emit:
    lock = threading.Lock()

    def emit(event: Event) -> None:
        line = json.dumps(event, ensure_ascii=False)
        with lock:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, ValueError):  # the reader went away (or stdout closed)
                pass

    return emit


def serve(control: Callable[[Event], Event | None], emit: Emit) -> int:
    """Read commands from stdin and answer each until EOF, quit or SIGTERM; returns 0."""
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
            # the device's own answer (with its "ok") as it is; a command that raised: not ok
            reply = answer(functools.partial(control, cmd), str(cmd.get("cmd", "")))
            emit({"event": "reply", "id": cmd.get("id"), **reply})
        stop.set()

    threading.Thread(target=read, daemon=True, name="sim-stdin").start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    return 0
