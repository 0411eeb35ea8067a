"""The virtual HiLink stick's web server (127.0.0.1 only) and its control channel.

It answers the XML API the way the stick's web interface does: ``GET /`` and
``/api/webserver/SesTokInfo`` hand out a session cookie and a request token, every POST needs a
token of that session (``__RequestVerificationToken``) and answers with a new one, ``user/login``
checks the password (base64, or the salted SHA-256 of newer firmware), and the SMS pages need the
login. Errors come as ``<error><code>N</code></error>`` with HTTP 200, like a real stick.

``VirtualHiLink`` (an EventLog, like the virtual modem) runs it in this process; ``run_cli(argv)``
is the command line (``python -m modem.sim --kind hilink``): its first stdout line is
``{"event": "ready", "url": ..., "username": ..., "password": ...}``, then one JSON event per line
(``submitted`` for every SMS a client sends) and one ``reply`` per command read on stdin.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import xmltodict

from modem.sim.hilink.controls import handle
from modem.sim.hilink.stick import Stick
from modem.sim.http_device import DeviceServer, HttpDevice, TrackedHandler
from modem.sim.jsonlines import serve, stdout_emitter

log = logging.getLogger(__name__)

OPEN_PAGES = {"webserver/SesTokInfo", "webserver/token", "webserver/publickey", "device/basic_information", "user/state-login", "monitoring/status",
              "net/current-plmn", "pin/status", "user/login", "user/logout"}  # fmt: skip


def xml(data: object) -> bytes:
    return xmltodict.unparse({"response": data}).encode()


def error(code: int) -> bytes:
    return xmltodict.unparse({"error": {"code": str(code), "message": ""}}).encode()


class _Handler(TrackedHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("hilink %s", format % args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _cookie(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "SessionID":
                return value
        return None

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        stick = self.server.stick
        endpoint = path[len("/api/") :] if path.startswith("/api/") else path
        delay = 0.0
        with stick.lock:
            stick.run_timers()
            stick.requests[endpoint] = stick.requests.get(endpoint, 0) + 1
            f = stick.faults
            if f.slow and (f.slow_count is None or f.slow_count > 0):
                delay = f.slow
                if f.slow_count is not None:
                    f.slow_count -= 1
        if delay:
            time.sleep(delay)
        with stick.lock:
            sid = self._cookie()
            headers: dict[str, str] = {}
            if sid is None or sid not in stick.sessions:
                sid, _ = stick.new_session()
                headers["Set-Cookie"] = f"SessionID={sid}; path=/; HttpOnly"
            if stick.faults.cut.get(endpoint, 0) > 0:
                stick.faults.cut[endpoint] -= 1
                if endpoint == "sms/send-sms" and method == "POST":
                    self._answer(endpoint, method, body, sid)  # taken, then the line drops
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            bad = stick.faults.malformed.get(endpoint)
            payload = bad.pop(0) if bad else self._answer(endpoint, method, body, sid)
            if method == "POST" and sid in stick.sessions:
                headers["__RequestVerificationToken"] = stick.new_token(sid)
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if path == "/" else "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _answer(self, endpoint: str, method: str, body: bytes, sid: str) -> bytes:
        stick = self.server.stick
        if endpoint == "/":
            return b"<!DOCTYPE html><html><head><title>HUAWEI</title></head><body></body></html>"
        codes = stick.faults.errors.get(endpoint)
        if codes:
            return error(codes.pop(0))
        if method == "POST":
            token = self.headers.get("__RequestVerificationToken") or ""
            if token not in stick.sessions.get(sid, set()):
                return error(125002 if sid in stick.sessions else 125003)
        if endpoint not in OPEN_PAGES and stick.password and stick.logged_in != sid:
            return error(100003)
        try:
            if self.headers.get("encrypt_transmit") and body:
                body = stick.decrypt(body)
            request = xmltodict.parse(body).get("request") if body else None
        except Exception:
            return error(100005)
        page = self.server.pages.get(endpoint)
        if page is None:
            return error(100002)
        try:
            return page(stick, request, sid, self.headers.get("__RequestVerificationToken") or "")
        except (KeyError, TypeError, ValueError, AttributeError):
            return error(100005)


Page = Callable[[Stick, Any, str, str], bytes]


def _login(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    code = stick.check_login(
        str(req.get("Username")),
        str(req.get("Password")),
        int(req.get("password_type") or 0),
        token,
    )
    if code is not None:
        return error(code)
    stick.logged_in = sid
    stick.logins += 1
    stick.emit({"event": "login", "count": stick.logins})
    return xml("OK")


def _logout(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    if stick.logged_in == sid:
        stick.logged_in = None
    return xml("OK")


def _state_login(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    state = "0" if stick.logged_in == sid or not stick.password else "-1"
    return xml(
        {
            "State": state,
            "Username": "",
            "password_type": str(stick.password_type),
            "firstlogin": "0",
        }
    )


def _sms_list(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    box = list(stick.box(int(req["BoxType"])))
    if str(req.get("Ascending")) != "1":
        box.reverse()
    size = max(1, min(50, int(req.get("ReadCount") or 20)))
    page = max(1, int(req.get("PageIndex") or 1))
    chunk = box[(page - 1) * size : page * size]
    return xml({"Count": str(len(chunk)), "Messages": {"Message": chunk} if chunk else None})


def _send_sms(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    phones = req["Phones"]["Phone"]
    phones = [phones] if isinstance(phones, str) else list(phones)
    code = stick.send([str(p) for p in phones], str(req.get("Content") or ""))
    return error(code) if code is not None else xml("OK")


def _index_op(op: Callable[[Stick, str], bool]) -> Page:
    def page(stick: Stick, req: Any, sid: str, token: str) -> bytes:
        return xml("OK") if op(stick, str(req["Index"])) else error(113036)

    return page


def _ok_or(code: int | None) -> bytes:
    return xml("OK") if code is None else error(code)


def _ussd_send(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    stick.ussd_pending = time.monotonic() + 0.3
    stick.emit({"event": "ussd", "code": str(req.get("content"))})
    return xml("OK")


def _ussd_get(stick: Stick, req: Any, sid: str, token: str) -> bytes:
    if stick.ussd_pending is None or time.monotonic() < stick.ussd_pending:
        return error(111019)
    stick.ussd_pending = None
    return xml({"content": stick.ussd_text})


PAGES: dict[str, Page] = {
    "/": lambda s, r, sid, t: b"",
    "webserver/SesTokInfo": lambda s, r, sid, t: xml(
        {"SesInfo": f"SessionID={sid}", "TokInfo": s.new_token(sid)}
    ),
    "user/state-login": _state_login,
    "user/login": _login,
    "user/logout": _logout,
    "sms/sms-count": lambda s, r, sid, t: xml(s.count()),
    "sms/sms-list": _sms_list,
    "sms/send-sms": _send_sms,
    "sms/send-status": lambda s, r, sid, t: xml(s.send_status) if s.send_status else error(100002),
    "sms/delete-sms": _index_op(Stick.delete),
    "sms/set-read": _index_op(Stick.set_read),
    "monitoring/status": lambda s, r, sid, t: xml(s.monitoring()),
    "net/current-plmn": lambda s, r, sid, t: xml(s.plmn()),
    "device/information": lambda s, r, sid, t: xml(s.information()),
    "device/basic_information": lambda s, r, sid, t: xml(
        {
            k: v
            for k, v in s.information().items()
            if k in ("DeviceName", "ProductFamily", "Classify", "SoftwareVersion")
        }
    ),
    "pin/status": lambda s, r, sid, t: xml(s.pin_status()),
    "ussd/send": _ussd_send,
    "webserver/publickey": lambda s, r, sid, t: xml(s.public_key()),
    "pin/operate": lambda s, r, sid, t: _ok_or(
        s.operate_pin(str(r["OperateType"]), str(r.get("CurrentPin")))
    ),
    "ussd/get": _ussd_get,
}


class _Server(DeviceServer):
    def __init__(self, address: tuple[str, int], stick: Stick) -> None:
        self.stick = stick
        self.pages = PAGES
        super().__init__(address, _Handler, stick.lock)


class VirtualHiLink(HttpDevice):
    """The virtual stick in this process: ``start()`` -> its URL, ``control(cmd)``, ``stop()``."""

    thread_name = "hilink-sim"

    def __init__(
        self,
        *,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        record: bool = True,
        **stick: Any,
    ) -> None:
        super().__init__(on_event=on_event, record=record)
        self.stick = Stick(emit=self._emit, **stick)

    def _make_server(self, address: tuple[str, int]) -> DeviceServer:
        return _Server(address, self.stick)

    def stop(self) -> None:
        self._stop_server()

    def control(self, cmd: dict[str, Any]) -> dict[str, Any]:
        name = str(cmd.get("cmd", ""))
        if name == "unreachable":
            self.stop()
            return {"ok": True}
        if name == "reachable":
            if not self.serving:
                self.start()
            return {"ok": True, "url": self.url}
        with self.stick.lock:
            self.stick.run_timers()
            return handle(self.stick, cmd)


def run_cli(argv: list[str] | None = None) -> int:
    """``python -m modem.sim --kind hilink``: the virtual stick with a JSON-lines control channel."""
    p = argparse.ArgumentParser(
        prog="modem.sim --kind hilink", description="A virtual Huawei HiLink stick."
    )
    p.add_argument(
        "--password", default="admin-secret", help="the stick's admin password ('' for none)"
    )
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--zone", default="UTC", help="the stick's local time zone (IANA name)")
    p.add_argument("--report", default="message", choices=["message", "flag", "none"])
    p.add_argument("--password-type", type=int, default=4, choices=[0, 4])
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    emit = stdout_emitter()

    device = VirtualHiLink(
        on_event=emit, record=False, password=args.password or None, zone=ZoneInfo(args.zone),
        report=args.report, password_type=args.password_type,
    )  # fmt: skip
    device.port = args.port
    url = device.start()
    from modem.sim.hilink.stick import _rsa_key

    threading.Thread(target=_rsa_key, daemon=True).start()  # ready before a PIN is entered
    emit(
        {
            "event": "ready",
            "kind": "hilink",
            "url": url,
            "username": "admin",
            "password": args.password,
        }
    )
    try:
        return serve(device.control, emit)
    finally:
        device.stop()
