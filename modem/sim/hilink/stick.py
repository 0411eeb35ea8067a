"""The virtual stick's state: its boxes, its login and session, its radio, and the faults a test
asks for. No HTTP here (modem.sim.hilink.server speaks it); every method runs under ``lock``.

Boxes hold dicts shaped like the stick's ``<Message>`` entries (all values text, as the XML
gives them). Times are the stick's local time (``zone``), as a real stick lists them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

DATE = "%Y-%m-%d %H:%M:%S"
FIRST_INDEX = 40000


@dataclass
class Faults:
    slow: float = 0.0  # seconds before every answer
    slow_count: int | None = None
    errors: dict[str, list[int]] = field(default_factory=dict)  # endpoint -> codes to answer
    cut: dict[str, int] = field(default_factory=dict)  # endpoint -> connections to cut
    malformed: dict[str, list[bytes]] = field(default_factory=dict)  # endpoint -> raw bodies
    other_session: int = 0  # logins answered 108003 ("already logged in" elsewhere)
    send_result: str = "sent"  # "sent", "failed", "silent" (send-status never says)


@dataclass
class Radio:
    signal_icon: int = 4
    service: int = 2
    roaming: int = 0
    sim: int = 1
    sim_state: int = 257
    network_type: int = 19
    network_type_ex: int = 101
    operator: str = "Virtual Mobile"
    numeric: str = "00101"


class Stick:
    def __init__(
        self,
        *,
        password: str | None = "admin-secret",
        username: str = "admin",
        password_type: int = 4,
        capacity: int = 500,
        zone: tzinfo = UTC,
        report: str = "message",
        report_delay: float = 0.3,
        send_delay: float = 0.2,
        emit: Any = None,
    ) -> None:
        self.lock = threading.RLock()
        self.password = password
        self.username = username
        self.password_type = password_type
        self.capacity = capacity
        self.zone = zone
        self.report = report  # "message", "flag", "none"
        self.report_delivered = True
        self.report_delay = report_delay
        self.send_delay = send_delay
        self.emit = emit or (lambda event: None)
        self.faults = Faults()
        self.radio = Radio()
        self.inbox: list[dict[str, str]] = []
        self.sent: list[dict[str, str]] = []
        self.drafts: list[dict[str, str]] = []
        self.next_index = FIRST_INDEX
        self.sessions: dict[str, set[str]] = {}  # session id -> valid tokens
        self.logged_in: str | None = None  # the one session logged in
        self.logins = 0
        self.send_status: dict[str, str] = {}
        self.timers: list[tuple[float, Any]] = []
        self.ussd_text = "Your balance is 12.34."
        self.sim_pin = "1234"
        self.pin_attempts = 3
        self.ussd_pending: float | None = None
        self.requests: dict[str, int] = {}  # endpoint -> count (tests bound the polling cost)

    # --- time ----------------------------------------------------------------------------------

    def local_now(self) -> str:
        return datetime.now(UTC).astimezone(self.zone).strftime(DATE)

    def run_timers(self) -> None:
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        self.timers = [t for t in self.timers if t[0] > now]
        for _, fn in due:
            fn()

    def later(self, seconds: float, fn: Any) -> None:
        self.timers.append((time.monotonic() + seconds, fn))

    # --- sessions and login ---------------------------------------------------------------------

    def new_session(self) -> tuple[str, str]:
        sid = secrets.token_hex(16)
        token = secrets.token_hex(16)
        self.sessions[sid] = {token}
        return sid, token

    def new_token(self, sid: str) -> str:
        token = secrets.token_hex(16)
        tokens = self.sessions.setdefault(sid, set())
        if len(tokens) > 64:
            tokens.clear()
        tokens.add(token)
        return token

    def expire(self) -> None:
        """Every session and token gone (the stick's timeout, or a reboot)."""
        self.sessions.clear()
        self.logged_in = None

    def check_login(self, username: str, encoded: str, kind: int, token: str) -> int | None:
        """None when the password is right, else the stick's error code."""
        if self.faults.other_session > 0:
            self.faults.other_session -= 1
            return 108003
        if username != self.username:
            return 108006
        password = self.password or ""
        if kind == 4:
            inner = base64.b64encode(hashlib.sha256(password.encode()).hexdigest().encode())
            digest = hashlib.sha256(username.encode() + inner + token.encode()).hexdigest()
            expected = base64.b64encode(digest.encode()).decode()
        else:
            expected = base64.b64encode(password.encode()).decode()
        if kind != self.password_type or not secrets.compare_digest(encoded, expected):
            return 108006
        return None

    # --- messages ------------------------------------------------------------------------------

    def used(self) -> int:
        return len(self.inbox) + len(self.sent) + len(self.drafts)

    def _entry(
        self, phone: str, content: str, stat: int, sms_type: int, date: str | None = None
    ) -> dict[str, str]:
        index = self.next_index
        self.next_index += 1
        return {
            "Smstat": str(stat), "Index": str(index), "Phone": phone, "Content": content,
            "Date": date or self.local_now(), "Sca": "", "SaveType": "4", "Priority": "0",
            "SmsType": str(sms_type),
        }  # fmt: skip

    def deliver(
        self, sender: str, text: str, date: str | None = None, sms_type: int = 1
    ) -> dict[str, Any]:
        if self.used() >= self.capacity:
            self.emit({"event": "dropped", "from": sender, "text": text})
            return {"stored": False, "reason": "storage full"}
        entry = self._entry(sender, text, 0, sms_type, date)
        self.inbox.append(entry)
        return {"stored": True, "index": int(entry["Index"])}

    def send(self, phones: list[str], content: str) -> int | None:
        """None when taken, else an error code."""
        for phone in phones:
            if not phone or len(phone) > 20 or not phone.lstrip("+").isdigit():
                return 113114
        if self.used() >= self.capacity:
            return 113053
        self.send_status = {"Phone": ";".join(phones), "SucPhone": "", "FailPhone": "",
                            "TotalCount": str(len(phones)), "CurIndex": "0"}  # fmt: skip
        result = self.faults.send_result
        for phone in phones:
            self.emit({"event": "submitted", "number": phone, "text": content, "parts": 1})
            if result == "failed":
                self.drafts.append(self._entry(phone, content, 4, 1))
            else:
                copy = self._entry(phone, content, 3, 1)
                self.sent.append(copy)
                if result == "sent" and self.report != "none":
                    self.later(self.report_delay, lambda p=phone, c=copy: self._report(p, c))
        if result != "silent":
            key = "SucPhone" if result == "sent" else "FailPhone"
            self.later(
                self.send_delay,
                lambda: self.send_status.update(
                    {key: ";".join(phones), "CurIndex": str(len(phones))}
                ),
            )
        return None

    def _report(self, phone: str, copy: dict[str, str]) -> None:
        kind = "7" if self.report_delivered else "8"
        if self.report == "flag":
            copy["SmsType"] = kind
        else:
            self.inbox.append(self._entry(phone, "", 0, int(kind)))
        self.emit(
            {
                "event": "report",
                "number": phone,
                "mode": self.report,
                "delivered": self.report_delivered,
            }
        )

    def box(self, kind: int) -> list[dict[str, str]]:
        return {1: self.inbox, 2: self.sent, 3: self.drafts}.get(kind, [])

    def delete(self, index: str) -> bool:
        for box in (self.inbox, self.sent, self.drafts):
            for entry in box:
                if entry["Index"] == index:
                    box.remove(entry)
                    self.emit(
                        {"event": "deleted", "index": int(index), "phone": entry.get("Phone")}
                    )
                    return True
        return False

    def set_read(self, index: str) -> bool:
        for entry in self.inbox:
            if entry["Index"] == index:
                entry["Smstat"] = "1"
                return True
        return False

    def count(self) -> dict[str, str]:
        unread = sum(1 for e in self.inbox if e["Smstat"] == "0")
        return {
            "LocalUnread": str(unread), "LocalInbox": str(len(self.inbox)),
            "LocalOutbox": str(len(self.sent)), "LocalDraft": str(len(self.drafts)),
            "LocalDeleted": "0", "SimUnread": "0", "SimInbox": "0", "SimOutbox": "0",
            "SimDraft": "0", "LocalMax": str(self.capacity), "SimMax": "50", "SimUsed": "0",
            "NewMsg": str(unread),
        }  # fmt: skip

    # --- status pages ---------------------------------------------------------------------------

    def monitoring(self) -> dict[str, str]:
        r = self.radio
        return {
            "ConnectionStatus": "901", "WifiConnectionStatus": "", "SignalStrength": "",
            "SignalIcon": str(r.signal_icon), "CurrentNetworkType": str(r.network_type),
            "CurrentServiceDomain": "3", "RoamingStatus": str(r.roaming), "BatteryStatus": "",
            "BatteryLevel": "", "SimStatus": str(r.sim), "WifiStatus": "", "ServiceStatus": str(r.service),
            "CurrentNetworkTypeEx": str(r.network_type_ex), "maxsignal": "5",
        }  # fmt: skip

    def plmn(self) -> dict[str, str]:
        r = self.radio
        name = r.operator if r.service == 2 else ""
        return {
            "State": "0",
            "FullName": name,
            "ShortName": name[:8],
            "Numeric": r.numeric if name else "",
            "Rat": "7",
        }

    def information(self) -> dict[str, str]:
        return {
            "DeviceName": "E3372h-320", "SerialNumber": "VIRTUAL0000001", "Imei": "867000000000001",
            "Imsi": "001010000000001", "Iccid": "8900100000000000001", "Msisdn": "",
            "HardwareVersion": "CL2E3372HM", "SoftwareVersion": "22.200.15.00.00",
            "WebUIVersion": "17.100.13.01.03", "MacAddress1": "00:1E:10:1F:00:00",
            "ProductFamily": "LTE", "Classify": "hilink", "supportmode": "LTE|WCDMA|GSM",
            "workmode": "LTE",
        }  # fmt: skip

    def pin_status(self) -> dict[str, str]:
        return {
            "SimState": str(self.radio.sim_state),
            "PinOptState": "258",
            "SimPinTimes": str(self.pin_attempts),
            "SimPukTimes": "10",
        }

    def operate_pin(self, kind: str, pin: str) -> int | None:
        """OperateType 0 (verify the PIN): None when right, else the stick's code (103002)."""
        if kind != "0" or self.radio.sim_state != 260:
            return 100006
        if pin != self.sim_pin:
            self.pin_attempts -= 1
            if self.pin_attempts <= 0:
                self.radio.sim_state = 261
            return 103002
        self.radio.sim_state = 257
        self.pin_attempts = 3
        return None

    # --- the RSA key newer firmware encrypts the PIN with ---------------------------------------

    def public_key(self) -> dict[str, str]:
        key = _rsa_key()
        return {"encpubkeyn": format(key.n, "x"), "encpubkeye": format(key.e, "x")}

    def decrypt(self, body: bytes) -> bytes:
        """The request body as huawei-lte-api encrypts it (hex of RSA PKCS#1 v1.5 blocks of the
        base64 of the XML), decrypted."""
        from Cryptodome.Cipher import PKCS1_v1_5

        key = _rsa_key()
        raw = bytes.fromhex(body.decode().strip())
        size = key.size_in_bytes()
        cipher = PKCS1_v1_5.new(key)
        plain = b"".join(cipher.decrypt(raw[i : i + size], b"") for i in range(0, len(raw), size))
        return base64.b64decode(plain)


_KEY: Any = None


def _rsa_key() -> Any:
    """One 2048-bit key per process (the library encrypts 245-byte blocks: it needs 2048 bits)."""
    global _KEY
    if _KEY is None:
        from Cryptodome.PublicKey import RSA

        _KEY = RSA.generate(2048)
    return _KEY
