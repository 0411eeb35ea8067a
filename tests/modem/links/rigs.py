"""One driver per link kind for the link suite (no tests in here): the link under test wired to
its virtual device on 127.0.0.1 (HiLink stick, Android gateway) or on a pty (the AT modem),
with the same few verbs, so each behaviour is written once and run against all three.

Verbs: ``deliver`` a text from a customer, ``held()`` (is an incoming text still on the device,
or still unanswered by us), ``cut_next_send()`` (the device takes the text, then the line
drops), ``down()`` / ``up()``, ``bad_incoming()`` (the device hands over nonsense),
``huge_answer()``, ``submitted()`` (texts the device put on the network).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any, TypeVar

from modem.android.link import AndroidLink
from modem.events import DeliveryReport, IncomingSms, ModemEvent, ModemState, StatusChanged
from modem.hilink.link import HiLinkLink
from modem.link import ModemLink
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem
from modem.sim.android.server import VirtualAndroid
from modem.sim.hilink.server import VirtualHiLink
from tests.helpers.service_harness import FAST as AT_FAST

E = TypeVar("E", bound=ModemEvent)
FAST = {"backoff_initial": 0.05, "backoff_max": 0.5}


class Rig:
    kind = ""
    link: ModemLink

    def __init__(self, auto_ack: bool = True) -> None:
        self.auto_ack = auto_ack
        self.events: list[ModemEvent] = []
        self.cond = threading.Condition()

    def sink(self, event: ModemEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()
        if self.auto_ack and isinstance(event, IncomingSms | DeliveryReport) and event.token:
            self.link.ack_incoming(event.token)

    def of(self, kind: type[E], pred: Callable[[E], bool] | None = None) -> list[E]:
        with self.cond:
            return [e for e in self.events if isinstance(e, kind) and (pred is None or pred(e))]

    def wait_for(
        self,
        kind: type[E],
        pred: Callable[[E], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 20.0,
    ) -> list[E]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [
                    e for e in self.events if isinstance(e, kind) and (pred is None or pred(e))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout} s for {count} x {kind.__name__}; got {len(found)}; last: {self.events[-6:]}"
                    )
                self.cond.wait(left)

    def wait_until(self, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout} s: {what}; last: {self.events[-6:]}")
            time.sleep(0.02)

    def ready(self, timeout: float = 20.0) -> Rig:
        self.wait_until(lambda: self.link.status.state == ModemState.READY, timeout, "READY")
        return self

    def wait_state(self, state: ModemState, after: int = 0, timeout: float = 20.0) -> StatusChanged:
        def hit() -> list[StatusChanged]:
            return [
                e
                for e in self.events[after:]
                if isinstance(e, StatusChanged) and e.status.state == state
            ]

        self.wait_until(lambda: bool(hit()), timeout, f"state {state}")
        return hit()[0]

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    # verbs each kind implements
    def deliver(self, sender: str, text: str) -> None: ...
    def held(self) -> int: ...
    def submitted(self) -> list[dict[str, Any]]: ...
    def cut_next_send(self) -> None: ...
    def down(self) -> None: ...
    def up(self) -> None: ...
    def bad_incoming(self) -> None: ...
    def huge_answer(self) -> None: ...
    def close(self) -> None: ...


class AtRig(Rig):
    kind = "at"

    def __init__(self, auto_ack: bool = True, **kw: Any) -> None:
        super().__init__(auto_ack)
        self.dir = tempfile.mkdtemp(prefix="textdesk-link-")
        path = os.path.join(self.dir, "modem")  # a stable name across replugs (like a udev link)
        self.vm = VirtualModem("generic", link=path)
        self.vm.start()
        self.link = self.svc = ModemService(
            path, self.sink, **{**AT_FAST, "sweep_interval": 1.0, **kw}
        )
        self.link.start()

    def deliver(self, sender: str, text: str) -> None:
        self.vm.control({"cmd": "deliver", "from": sender, "text": text})

    def held(self) -> int:
        return sum(
            len(self.vm.control({"cmd": "storage", "memory": m})["messages"]) for m in ("SM", "ME")
        )

    def submitted(self) -> list[dict[str, Any]]:
        return self.vm.submitted()

    def cut_next_send(self) -> None:
        self.vm.control({"cmd": "config", "cmgs_delay": 3.0})

        def unplug() -> None:
            self.vm.wait_event("submitting", timeout=20)
            self.vm.control({"cmd": "unplug"})
            time.sleep(0.5)
            self.vm.control({"cmd": "config", "cmgs_delay": 0.0})
            self.vm.control({"cmd": "replug"})

        threading.Thread(target=unplug, daemon=True).start()

    def down(self) -> None:
        self.vm.control({"cmd": "unplug"})

    def up(self) -> None:
        self.vm.control({"cmd": "replug"})

    def bad_incoming(self) -> None:
        self.vm.control({"cmd": "deliver_pdu", "pdu": "0791214365870921040B91"})  # cut short

    def huge_answer(self) -> None:
        self.vm.control({"cmd": "garbage", "length": 20000})

    def close(self) -> None:
        self.svc.stop()
        self.vm.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class HiLinkRig(Rig):
    kind = "hilink"

    def __init__(
        self, auto_ack: bool = True, *, stick: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        super().__init__(auto_ack)
        self.dev = VirtualHiLink(password="pass-123", **(stick or {}))
        url = self.dev.start()
        opts = {
            **FAST,
            "poll_interval": 0.2,
            "sweep_interval": 0.5,
            "timeout": 2.0,
            "zone": UTC,
            **kw,
        }
        self.link = self.hilink = HiLinkLink(url, self.sink, password="pass-123", **opts)
        self.link.start()

    def control(self, cmd: dict[str, Any]) -> dict[str, Any]:
        answer = self.dev.control(cmd)
        assert answer.get("ok"), answer
        return answer

    def deliver(self, sender: str, text: str) -> None:
        self.control({"cmd": "deliver", "from": sender, "text": text})

    def held(self) -> int:
        return len(self.control({"cmd": "state"})["inbox"])

    def submitted(self) -> list[dict[str, Any]]:
        return self.dev.submitted()

    def cut_next_send(self) -> None:
        self.control({"cmd": "cut", "endpoint": "sms/send-sms"})

    def down(self) -> None:
        self.control({"cmd": "unreachable"})

    def up(self) -> None:
        self.control({"cmd": "reachable"})

    def bad_incoming(self) -> None:
        self.control({"cmd": "malformed", "endpoint": "sms/sms-list"})
        with self.dev.stick.lock:  # and an entry with the wrong shape: no sender
            self.dev.stick.deliver("", "who sent this?")
            self.dev.stick.inbox[-1].pop("Phone")

    def huge_answer(self) -> None:
        self.control({"cmd": "malformed", "endpoint": "sms/sms-count", "size": 3_000_000})

    def close(self) -> None:
        self.link.stop()
        self.dev.stop()


class AndroidRig(Rig):
    kind = "android"

    def __init__(
        self, auto_ack: bool = True, *, phone: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        super().__init__(auto_ack)
        self.dev = VirtualAndroid(retry_delay=0.2, **(phone or {}))
        url = self.dev.start()
        c = self.dev.credentials
        opts = {
            **FAST,
            "poll_interval": 0.2,
            "timeout": 2.0,
            "ack_timeout": 1.0,
            "health_interval": 1.0,
            "zone": UTC,
            **kw,
        }
        self.link = self.android = AndroidLink(
            url, self.sink, username=c["username"], password=c["password"], signing_key=c["signing_key"],
            listen_host="127.0.0.1", **opts,
        )  # fmt: skip
        self.link.start()

    def control(self, cmd: dict[str, Any]) -> dict[str, Any]:
        answer = self.dev.control(cmd)
        assert answer.get("ok"), answer
        return answer

    def deliver(self, sender: str, text: str) -> None:
        self.control({"cmd": "deliver", "from": sender, "text": text})

    def held(self) -> int:
        """Received texts the phone has not had a 200 for (so it keeps retrying them)."""
        hooks = [
            e
            for e in self.dev.history
            if e.get("event") == "webhook" and e.get("kind") == "sms:received"
        ]
        delivered = [e for e in self.dev.history if e.get("event") == "webhook_lost"]
        answered = sum(1 for e in hooks if e.get("status") == 200 and not e.get("replay"))
        texts = len(self.control({"cmd": "state"})["inbox"])
        return max(0, texts - answered - len(delivered))

    def submitted(self) -> list[dict[str, Any]]:
        return self.dev.submitted()

    def cut_next_send(self) -> None:
        """The phone takes it and the line drops, and the link's question about it after
        (by id) is cut too: nothing says whether it went out."""
        self.control({"cmd": "cut", "endpoint": "send"})
        self.control({"cmd": "cut", "endpoint": "state"})

    def down(self) -> None:
        self.control({"cmd": "asleep"})

    def up(self) -> None:
        self.control({"cmd": "awake"})

    def bad_incoming(self) -> None:
        import httpx

        from modem.android.webhooks import sign

        body = b'{"event": "sms:received", "id": "bad1", "payload": {"phoneNumber": 5, "message": ["x"]}}'
        stamp = str(int(time.time()))
        key = self.dev.credentials["signing_key"]
        httpx.post(
            self.android.listener.url,
            content=body,
            headers={"X-Timestamp": stamp, "X-Signature": sign(key, body, stamp)},
            timeout=5,
        )

    def huge_answer(self) -> None:
        self.control({"cmd": "malformed", "endpoint": "health", "size": 3_000_000})

    def close(self) -> None:
        self.link.stop()
        self.dev.stop()


KINDS: dict[str, type[Rig]] = {"at": AtRig, "hilink": HiLinkRig, "android": AndroidRig}
