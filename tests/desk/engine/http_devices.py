"""The virtual HTTP devices as the engine tests drive them (no tests in here): the stick or the
phone started in this process on 127.0.0.1, the settings and keyring secrets that point an
Engine (or ``textdesk serve``) at it, and the few verbs the tests use on the device's side."""

from __future__ import annotations

import socket
from typing import Any

from desk.base import secrets
from modem.sim.android.server import VirtualAndroid
from modem.sim.hilink.server import VirtualHiLink

KINDS = ("hilink", "android")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Device:
    """``kind`` "hilink" (a stick with a password) or "android" (a phone whose webhooks come to
    a free port on 127.0.0.1)."""

    def __init__(self, kind: str, **options: Any) -> None:
        self.kind = kind
        self.dev: VirtualHiLink | VirtualAndroid
        if kind == "hilink":
            self.dev = VirtualHiLink(password="stick-pw", **options)
        else:
            self.dev = VirtualAndroid(retry_delay=0.2, report_delay=0.2, **options)
        self.url = self.dev.start()
        self.listen_port = free_port()

    @property
    def secrets(self) -> dict[str, str]:
        if isinstance(self.dev, VirtualHiLink):
            return {secrets.HILINK_PASSWORD: "stick-pw"}
        c = self.dev.credentials
        return {
            secrets.ANDROID_PASSWORD: c["password"],
            secrets.ANDROID_SIGNING_KEY: c["signing_key"],
        }

    @property
    def settings(self) -> dict[str, Any]:
        if self.kind == "hilink":
            return {"modem_kind": "hilink", "hilink_url": self.url}
        return {"modem_kind": "android", "android_url": self.url,
                "android_username": self.dev.credentials["username"],  # type: ignore[union-attr]
                "android_listen_host": "127.0.0.1", "android_listen_port": self.listen_port}  # fmt: skip

    def control(self, cmd: dict[str, Any]) -> dict[str, Any]:
        answer = self.dev.control(cmd)
        assert answer.get("ok"), answer
        return answer

    def deliver(self, sender: str, text: str) -> None:
        self.control({"cmd": "deliver", "from": sender, "text": text})

    def submitted(self) -> list[dict[str, Any]]:
        return self.dev.submitted()

    def waiting(self) -> int:
        """Received texts the device still holds for TextDesk: on the stick, its inbox; on the
        phone, received-text webhooks never answered 200."""
        if self.kind == "hilink":
            return len(self.control({"cmd": "state"})["inbox"])
        texts = len(self.control({"cmd": "state"})["inbox"])
        answered = sum(
            1 for e in self.dev.history
            if e.get("event") == "webhook" and e.get("kind") == "sms:received"
            and e.get("status") == 200 and not e.get("replay")
        )  # fmt: skip
        return texts - answered

    def requests(self, page: str) -> int:
        """How many times the device was asked ``page`` (the stick's API path after /api/,
        or the phone's "send", "state", "health", "inbox", "webhooks")."""
        if isinstance(self.dev, VirtualHiLink):
            with self.dev.stick.lock:
                return self.dev.stick.requests.get(page, 0)
        with self.dev.gateway.lock:
            return self.dev.gateway.requests.get(page, 0)

    def cut_next_send(self) -> None:
        """The device takes the text, then the line drops (and the phone's answer to the
        question about it after, so nothing says whether it went out)."""
        if self.kind == "hilink":
            self.control({"cmd": "cut", "endpoint": "sms/send-sms"})
        else:
            self.control({"cmd": "cut", "endpoint": "send"})
            self.control({"cmd": "cut", "endpoint": "state", "count": 50})

    def stop(self) -> None:
        self.dev.stop()
