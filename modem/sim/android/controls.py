"""The virtual phone's control commands (dict in, dict with "ok" out), in-process and over the
JSON-lines channel. ``asleep``/``awake`` (the app put to sleep: its server gone, and back) are
handled by VirtualAndroid itself.
"""

from __future__ import annotations

from typing import Any

from modem.sim.android.gateway import Faults, Gateway
from modem.sim.jsonlines import dispatch, need


def handle(gw: Gateway, cmd: dict[str, Any]) -> dict[str, Any]:
    return dispatch(COMMANDS, gw, cmd)


def _deliver(gw: Gateway, cmd: dict[str, Any]) -> dict[str, Any]:
    return gw.deliver(str(need(cmd, "from")), str(need(cmd, "text")), cmd.get("at"))


def _status(gw: Gateway, cmd: dict[str, Any]) -> dict[str, Any]:
    for key in ("battery", "connection", "cellular"):
        if key in cmd:
            gw.health[key] = str(cmd[key])
    return {"health": gw.health_answer()}


def _state(gw: Gateway, cmd: dict[str, Any]) -> dict[str, Any]:
    return {
        "messages": list(gw.messages.values()),
        "inbox": list(gw.inbox),
        "webhooks": list(gw.webhooks.values()),
        "requests": dict(gw.requests),
    }


def _error(gw: Gateway, cmd: dict[str, Any]) -> None:
    page = str(cmd.get("endpoint", "send"))
    gw.faults.errors.setdefault(page, []).extend(
        [int(need(cmd, "code"))] * int(cmd.get("count", 1))
    )


def _cut(gw: Gateway, cmd: dict[str, Any]) -> None:
    page = str(cmd.get("endpoint", "send"))
    gw.faults.cut[page] = gw.faults.cut.get(page, 0) + int(cmd.get("count", 1))


def _malformed(gw: Gateway, cmd: dict[str, Any]) -> None:
    page = str(cmd.get("endpoint", "inbox"))
    body = (
        b'{"x": ' + b"1" * int(cmd["size"]) + b"}"
        if "size" in cmd
        else str(cmd.get("body", '{"id": 1, "state": ')).encode()
    )
    gw.faults.malformed.setdefault(page, []).extend([body] * int(cmd.get("count", 1)))


def _slow(gw: Gateway, cmd: dict[str, Any]) -> None:
    gw.faults.slow = float(cmd.get("seconds", 2.0))


def _fail_sends(gw: Gateway, cmd: dict[str, Any]) -> None:
    gw.faults.fail_reason = str(cmd.get("reason", "RESULT_ERROR_LIMIT_EXCEEDED"))
    gw.faults.fail_count = int(cmd.get("count", 1))


def _webhooks(gw: Gateway, cmd: dict[str, Any]) -> None:
    f = gw.faults
    f.lose_webhooks += int(cmd.get("lose", 0))
    f.duplicate_webhooks += int(cmd.get("duplicate", 0))
    f.replay_webhooks += int(cmd.get("replay", 0))


def _silent(gw: Gateway, cmd: dict[str, Any]) -> None:
    gw.faults.silent = bool(cmd.get("on", True))


def _clear(gw: Gateway, cmd: dict[str, Any]) -> None:
    gw.faults = Faults()


COMMANDS = {
    "ping": lambda g, c: {},
    "deliver": _deliver,
    "status": _status,
    "state": _state,
    "error": _error,
    "cut": _cut,
    "malformed": _malformed,
    "slow": _slow,
    "fail_sends": _fail_sends,
    "webhooks": _webhooks,
    "silent": _silent,
    "clear_faults": _clear,
}
