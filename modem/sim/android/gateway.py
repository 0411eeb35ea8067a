"""The virtual phone's state: messages it was asked to send (and their states), its inbox,
registered webhooks, health, faults; and the webhook sender, which posts signed events the way
the app does (``X-Timestamp``, ``X-Signature`` = hex HMAC-SHA256 of body + timestamp) and retries
an event that was not answered 2xx (up to ``retries`` times, with backoff).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx


@dataclass
class Faults:
    slow: float = 0.0
    errors: dict[str, list[int]] = field(default_factory=dict)  # "send", "state", "health", "inbox"
    cut: dict[str, int] = field(default_factory=dict)
    malformed: dict[str, list[bytes]] = field(default_factory=dict)
    lose_webhooks: int = 0
    duplicate_webhooks: int = 0
    replay_webhooks: int = 0  # send the very same signed request twice
    fail_reason: str | None = None  # the next sends fail with this (RESULT_ERROR_LIMIT_EXCEEDED)
    fail_count: int = 0
    silent: bool = False  # sends stay Pending (no webhook, no state change)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


class Gateway:
    def __init__(
        self,
        *,
        username: str = "sms",
        password: str | None = None,
        signing_key: str | None = None,
        send_delay: float = 0.2,
        report_delay: float = 0.3,
        retries: int = 5,
        retry_delay: float = 0.3,
        emit: Any = None,
    ) -> None:
        self.lock = threading.RLock()
        self.username = username
        self.password = password or secrets.token_urlsafe(8)
        self.signing_key = signing_key or secrets.token_urlsafe(16)
        self.send_delay = send_delay
        self.report_delay = report_delay
        self.retries = retries
        self.retry_delay = retry_delay
        self.emit = emit or (lambda event: None)
        self.faults = Faults()
        self.messages: dict[str, dict[str, Any]] = {}
        self.inbox: list[dict[str, Any]] = []
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.health = {"battery": "pass", "connection": "pass", "cellular": "4G"}
        self.device_id = secrets.token_hex(16)
        self.requests: dict[str, int] = {}
        self._outgoing: queue.Queue[tuple[float, str, dict[str, Any], int] | None] = queue.Queue()
        self._timers: list[tuple[float, Any]] = []
        self._thread = threading.Thread(
            target=self._sender, name="android-sim-webhooks", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._outgoing.put(None)
        self._thread.join(5)

    # --- timers (run by the sender thread) ------------------------------------------------------

    def later(self, seconds: float, fn: Any) -> None:
        with self.lock:
            self._timers.append((time.monotonic() + seconds, fn))

    def _run_timers(self) -> None:
        with self.lock:
            now = time.monotonic()
            due = [t for t in self._timers if t[0] <= now]
            self._timers = [t for t in self._timers if t[0] > now]
            for _, fn in due:
                fn()

    # --- the phone's behaviour ------------------------------------------------------------------

    def send(self, body: dict[str, Any]) -> dict[str, Any]:
        numbers = body.get("phoneNumbers")
        text = (body.get("textMessage") or {}).get("text")
        if not isinstance(numbers, list) or not numbers or not isinstance(text, str):
            raise ValueError("phoneNumbers and textMessage.text are required")
        mid = str(body.get("id") or secrets.token_urlsafe(12))
        state = {
            "id": mid, "deviceId": self.device_id, "state": "Pending", "isHashed": False,
            "isEncrypted": False, "createdAt": now_iso(),
            "recipients": [{"phoneNumber": str(n), "state": "Pending"} for n in numbers],
        }  # fmt: skip
        self.messages[mid] = state
        report = bool(body.get("withDeliveryReport", True))
        for number in numbers:
            self.emit(
                {"event": "submitted", "number": str(number), "text": text, "id": mid, "parts": 1}
            )
        if not self.faults.silent:
            reason = None
            if self.faults.fail_count > 0:
                self.faults.fail_count -= 1
                reason = self.faults.fail_reason
            self.later(self.send_delay, lambda: self._settle(mid, reason, report))
        return state

    def _settle(self, mid: str, reason: str | None, report: bool) -> None:
        state = self.messages[mid]
        for r in state["recipients"]:
            if reason:
                r["state"], r["error"] = "Failed", reason
                self.post(
                    "sms:failed",
                    {
                        "messageId": mid,
                        "phoneNumber": r["phoneNumber"],
                        "reason": reason,
                        "failedAt": now_iso(),
                    },
                )
            else:
                r["state"] = "Sent"
                self.post(
                    "sms:sent",
                    {"messageId": mid, "phoneNumber": r["phoneNumber"], "sentAt": now_iso()},
                )
        state["state"] = "Failed" if reason else "Sent"
        if not reason and report:
            self.later(self.report_delay, lambda: self._delivered(mid))

    def _delivered(self, mid: str) -> None:
        state = self.messages[mid]
        state["state"] = "Delivered"
        for r in state["recipients"]:
            r["state"] = "Delivered"
            self.post(
                "sms:delivered",
                {"messageId": mid, "phoneNumber": r["phoneNumber"], "deliveredAt": now_iso()},
            )

    def deliver(self, sender: str, text: str, at: str | None = None) -> dict[str, Any]:
        received = at or now_iso()
        mid = hashlib.sha1(f"{sender}{text}{received}".encode()).hexdigest()[:8]
        self.inbox.append(
            {
                "id": mid,
                "type": "SMS",
                "sender": sender,
                "contentPreview": text,
                "createdAt": received,
            }
        )
        self.post(
            "sms:received",
            {
                "messageId": mid,
                "message": text,
                "phoneNumber": sender,
                "simNumber": 1,
                "receivedAt": received,
            },
        )
        return {"id": mid}

    def health_answer(self) -> dict[str, Any]:
        h = self.health
        checks = {
            "battery:level": {"status": h["battery"], "description": "Battery level in percent", "observedValue": 80, "observedUnit": "percent"},
            "connection:status": {"status": h["connection"], "description": "Internet connection status", "observedValue": 1, "observedUnit": "boolean"},
            "connection:cellular": {"status": "pass", "description": h["cellular"], "observedValue": 0, "observedUnit": "index"},
        }  # fmt: skip
        worst = "fail" if "fail" in (h["battery"], h["connection"]) else "pass"
        return {"status": worst, "version": "1.40.0", "releaseId": 1, "checks": checks}

    # --- webhooks -------------------------------------------------------------------------------

    def post(self, event: str, payload: dict[str, Any]) -> None:
        data = {
            "deviceId": self.device_id,
            "event": event,
            "id": secrets.token_urlsafe(12),
            "payload": payload,
        }
        f = self.faults
        if f.lose_webhooks > 0:
            f.lose_webhooks -= 1
            self.emit({"event": "webhook_lost", "kind": event})
            return
        self._outgoing.put((time.monotonic(), event, data, 0))
        if f.duplicate_webhooks > 0:
            f.duplicate_webhooks -= 1
            self._outgoing.put((time.monotonic() + 0.05, event, data, 0))

    def _sender(self) -> None:
        with httpx.Client(timeout=15.0) as http:
            pending: list[tuple[float, str, dict[str, Any], int]] = []
            while True:
                try:
                    item = self._outgoing.get(timeout=0.05)
                    if item is None:
                        return
                    pending.append(item)
                except queue.Empty:
                    pass
                self._run_timers()
                now = time.monotonic()
                for entry in [p for p in pending if p[0] <= now]:
                    pending.remove(entry)
                    _, event, data, tries = entry
                    if not self._deliver_webhook(http, event, data) and tries + 1 < self.retries:
                        pending.append((now + self.retry_delay * 2**tries, event, data, tries + 1))

    def _deliver_webhook(self, http: httpx.Client, event: str, data: dict[str, Any]) -> bool:
        with self.lock:
            hooks = [h for h in self.webhooks.values() if h["event"] == event]
            replay = self.faults.replay_webhooks > 0
            if replay:
                self.faults.replay_webhooks -= 1
        if not hooks:
            return True
        ok = True
        for hook in hooks:
            body = json.dumps({**data, "webhookId": hook["id"]}).encode()
            stamp = str(int(time.time()))
            signature = hmac.new(
                self.signing_key.encode(), body + stamp.encode(), hashlib.sha256
            ).hexdigest()
            headers = {
                "Content-Type": "application/json",
                "X-Timestamp": stamp,
                "X-Signature": signature,
            }
            for attempt in range(2 if replay else 1):
                try:
                    status = http.post(hook["url"], content=body, headers=headers).status_code
                except httpx.HTTPError as exc:
                    status = 0
                    self.emit(
                        {
                            "event": "webhook",
                            "kind": event,
                            "status": 0,
                            "error": type(exc).__name__,
                        }
                    )
                else:
                    self.emit(
                        {"event": "webhook", "kind": event, "status": status, "replay": attempt > 0}
                    )
                if attempt == 0:
                    ok = ok and 200 <= status < 300
        return ok
