"""The virtual stick's control commands (a dict with "cmd" in, a dict with "ok" out), the same
in-process (VirtualHiLink.control) and over the JSON-lines channel. ``unreachable`` and
``reachable`` (the stick's web server gone and back) are handled by VirtualHiLink itself.
"""

from __future__ import annotations

from typing import Any

from modem.sim.hilink.stick import Stick
from modem.sim.jsonlines import dispatch, need


def handle(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    return dispatch(COMMANDS, stick, cmd)


def _deliver(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    kind = 2 if cmd.get("multipart") else 1
    return stick.deliver(str(need(cmd, "from")), str(need(cmd, "text")), cmd.get("date"), kind)


def _status(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    r = stick.radio
    for key in (
        "signal_icon",
        "service",
        "roaming",
        "sim",
        "sim_state",
        "network_type",
        "network_type_ex",
    ):
        if key in cmd:
            setattr(r, key, int(cmd[key]))
    if "operator" in cmd:
        r.operator = str(cmd["operator"])
    return {"monitoring": stick.monitoring(), "count": stick.count()}


def _state(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"inbox": list(stick.inbox), "sent": list(stick.sent), "drafts": list(stick.drafts),
            "logins": stick.logins, "requests": dict(stick.requests), "count": stick.count()}  # fmt: skip


def _slow(stick: Stick, cmd: dict[str, Any]) -> None:
    stick.faults.slow = float(cmd.get("seconds", 2.0))
    count = cmd.get("count")
    stick.faults.slow_count = int(count) if count is not None else None


def _error(stick: Stick, cmd: dict[str, Any]) -> None:
    endpoint = str(cmd.get("endpoint", "sms/send-sms"))
    codes = [int(need(cmd, "code"))] * int(cmd.get("count", 1))
    stick.faults.errors.setdefault(endpoint, []).extend(codes)


def _cut(stick: Stick, cmd: dict[str, Any]) -> None:
    endpoint = str(cmd.get("endpoint", "sms/send-sms"))
    stick.faults.cut[endpoint] = stick.faults.cut.get(endpoint, 0) + int(cmd.get("count", 1))


def _malformed(stick: Stick, cmd: dict[str, Any]) -> None:
    endpoint = str(cmd.get("endpoint", "sms/sms-list"))
    if "size" in cmd:  # a huge body
        body = b"<response>" + b"x" * int(cmd["size"]) + b"</response>"
    else:
        body = str(cmd.get("body", "<response><Count>1</Count><Messages><Message>")).encode()
    stick.faults.malformed.setdefault(endpoint, []).extend([body] * int(cmd.get("count", 1)))


def _expire(stick: Stick, cmd: dict[str, Any]) -> None:
    stick.expire()


def _other_session(stick: Stick, cmd: dict[str, Any]) -> None:
    stick.faults.other_session = int(cmd.get("count", 1))


def _storage(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    stick.capacity = int(need(cmd, "max"))
    return {"used": stick.used()}


def _fill(stick: Stick, cmd: dict[str, Any]) -> dict[str, Any]:
    while stick.used() < stick.capacity - int(cmd.get("leave", 0)):
        stick.deliver("+15550009999", "Old message kept on the stick")
    return {"used": stick.used()}


def _report(stick: Stick, cmd: dict[str, Any]) -> None:
    mode = str(cmd.get("mode", "message"))
    if mode not in ("message", "flag", "none"):
        raise ValueError("mode must be message, flag or none")
    stick.report = mode
    stick.report_delivered = bool(cmd.get("delivered", True))
    if "delay" in cmd:
        stick.report_delay = float(cmd["delay"])


def _send_result(stick: Stick, cmd: dict[str, Any]) -> None:
    result = str(need(cmd, "result"))
    if result not in ("sent", "failed", "silent"):
        raise ValueError("result must be sent, failed or silent")
    stick.faults.send_result = result


def _clear(stick: Stick, cmd: dict[str, Any]) -> None:
    from modem.sim.hilink.stick import Faults

    stick.faults = Faults()


def _password(stick: Stick, cmd: dict[str, Any]) -> None:
    stick.password = cmd.get("password") or None
    if "password_type" in cmd:
        stick.password_type = int(cmd["password_type"])


def _sim_pin(stick: Stick, cmd: dict[str, Any]) -> None:
    from modem.sim.hilink.stick import _rsa_key

    _rsa_key()  # made now, not while a client waits for the page
    stick.sim_pin = str(cmd.get("pin", "1234"))
    stick.radio.sim_state = 260  # the SIM asks for it (at power-on)


def _ussd_text(stick: Stick, cmd: dict[str, Any]) -> None:
    stick.ussd_text = str(need(cmd, "text"))


COMMANDS = {
    "ping": lambda s, c: {},
    "deliver": _deliver,
    "status": _status,
    "state": _state,
    "slow": _slow,
    "error": _error,
    "cut": _cut,
    "malformed": _malformed,
    "expire_session": _expire,
    "other_session": _other_session,
    "storage": _storage,
    "fill_storage": _fill,
    "report": _report,
    "send_result": _send_result,
    "clear_faults": _clear,
    "password": _password,
    "ussd_text": _ussd_text,
    "sim_pin": _sim_pin,
}
