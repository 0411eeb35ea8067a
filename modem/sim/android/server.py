"""The virtual phone's REST API (the SMS Gateway app's local server: basic auth, JSON) on
127.0.0.1, and its command line.

Pages: ``GET /health``, ``POST /message(s)``, ``GET /message(s)/<id>``, ``GET/POST /webhooks``,
``DELETE /webhooks/<id>``, ``GET /inbox``. ``run_cli(argv)`` (``python -m modem.sim --kind
android``) prints ``{"event": "ready", "url": ..., "username": ..., "password": ...,
"signing_key": ...}`` first, then events (``submitted`` for every SMS a client sends, ``webhook``
for every post) and one ``reply`` per command read on stdin (modem.sim.android.controls).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from modem.sim.android.controls import handle
from modem.sim.android.gateway import Gateway
from modem.sim.http_device import DeviceServer, HttpDevice, TrackedHandler
from modem.sim.jsonlines import serve, stdout_emitter

log = logging.getLogger(__name__)


class _Handler(TrackedHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("android %s", format % args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _json(self, code: int, data: object) -> None:
        self._raw(code, json.dumps(data).encode())

    def _raw(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, method: str) -> None:
        gw = self.server.gateway
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0].rstrip("/")
        parts = [p for p in path.split("/") if p]
        page = {
            "health": "health",
            "message": "send",
            "messages": "send",
            "webhooks": "webhooks",
            "inbox": "inbox",
        }.get(parts[0] if parts else "", "")
        if page == "send" and method == "GET":
            page = "state"
        with gw.lock:
            gw.requests[page] = gw.requests.get(page, 0) + 1
            delay = gw.faults.slow
        if delay:
            time.sleep(delay)
        expected = "Basic " + base64.b64encode(f"{gw.username}:{gw.password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._json(401, {"message": "Unauthorized"})
            return
        with gw.lock:
            f = gw.faults
            if f.cut.get(page, 0) > 0:
                f.cut[page] -= 1
                if page == "send":
                    gw.send(json.loads(body))  # taken, then the line drops
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if f.errors.get(page):
                code = f.errors[page].pop(0)
                self._json(code, {"message": f"error {code}"})
                return
            if f.malformed.get(page):
                if page == "send":
                    gw.send(json.loads(body))
                self._raw(200, f.malformed[page].pop(0))
                return
            try:
                code, answer = self._answer(gw, method, page, parts, body)
            except (ValueError, KeyError, TypeError) as exc:
                code, answer = 400, {"message": str(exc)}
        self._json(code, answer)

    def _answer(
        self, gw: Gateway, method: str, page: str, parts: list[str], body: bytes
    ) -> tuple[int, object]:
        if page == "health":
            return 200, gw.health_answer()
        if page == "send":
            return 202, gw.send(json.loads(body))
        if page == "state":
            state = gw.messages.get(parts[1]) if len(parts) > 1 else None
            return (200, state) if state else (404, {"message": "message not found"})
        if page == "webhooks":
            if method == "GET":
                return 200, list(gw.webhooks.values())
            if method == "DELETE":
                gw.webhooks.pop(parts[1] if len(parts) > 1 else "", None)
                return 204, {}
            hook = json.loads(body)
            hook_id = str(hook.get("id") or f"hook{len(gw.webhooks)}")
            gw.webhooks[hook_id] = {
                "id": hook_id,
                "url": str(hook["url"]),
                "event": str(hook["event"]),
                "deviceId": gw.device_id,
            }
            gw.emit(
                {
                    "event": "webhook_registered",
                    "id": hook_id,
                    "url": hook["url"],
                    "kind": hook["event"],
                }
            )
            return 201, gw.webhooks[hook_id]
        if page == "inbox":
            return 200, list(gw.inbox)
        return 404, {"message": "not found"}


class _Server(DeviceServer):
    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _Handler, gateway.lock)


class VirtualAndroid(HttpDevice):
    """The virtual phone in this process: ``start()`` -> its URL, ``control(cmd)``, ``stop()``."""

    thread_name = "android-sim"

    def __init__(
        self,
        *,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        record: bool = True,
        **gateway: Any,
    ) -> None:
        super().__init__(on_event=on_event, record=record)
        self.gateway = Gateway(emit=self._emit, **gateway)

    def _make_server(self, address: tuple[str, int]) -> DeviceServer:
        return _Server(address, self.gateway)

    @property
    def credentials(self) -> dict[str, str]:
        g = self.gateway
        return {"username": g.username, "password": g.password, "signing_key": g.signing_key}

    def stop(self) -> None:
        self._stop_server()
        self.gateway.close()

    def control(self, cmd: dict[str, Any]) -> dict[str, Any]:
        name = str(cmd.get("cmd", ""))
        if name in ("asleep", "unreachable"):
            self._stop_server()
            return {"ok": True}
        if name in ("awake", "reachable"):
            if not self.serving:
                self.start()
            return {"ok": True, "url": self.url}
        with self.gateway.lock:
            return handle(self.gateway, cmd)


def run_cli(argv: list[str] | None = None) -> int:
    """``python -m modem.sim --kind android``: the virtual phone with a JSON-lines control channel."""
    p = argparse.ArgumentParser(
        prog="modem.sim --kind android", description="A virtual SMS Gateway for Android phone."
    )
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--username", default="sms")
    p.add_argument("--password", help="the local server's password (random if not given)")
    p.add_argument("--signing-key", help="the webhook signing key (random if not given)")
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    emit = stdout_emitter()

    device = VirtualAndroid(
        on_event=emit,
        record=False,
        username=args.username,
        password=args.password,
        signing_key=args.signing_key,
    )
    device.port = args.port
    url = device.start()
    emit({"event": "ready", "kind": "android", "url": url, **device.credentials})
    try:
        return serve(device.control, emit)
    finally:
        device.stop()
