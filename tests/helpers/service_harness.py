"""Support for the service tests (no tests in here): a ModemService wired to a VirtualModem on a
real pty, with wait-for-condition helpers.

Shared by tests/modem/test_service*.py and test_gsmmodem_bugs.py. Timeouts are generous; nothing
asserts on speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from modem.events import (
    DeliveryReport,
    IncomingSms,
    ModemEvent,
    ModemState,
    StatusChanged,
)
from modem.service.modem_service import ModemService
from modem.sim import VirtualModem

E = TypeVar("E", bound=ModemEvent)
FAST = {
    "command_timeout": 3.0,
    "send_timeout": 5.0,
    "poll_interval": 30.0,
    "sweep_interval": 600.0,
    "backoff_initial": 0.05,
    "backoff_max": 0.5,
    "sim_busy_wait": 15.0,
    "ussd_timeout": 10.0,
}


class Harness:
    def __init__(
        self,
        *,
        vendor: str = "generic",
        auto_ack: bool = True,
        start: bool = True,
        sim: dict[str, Any] | None = None,
        on_sim_event: Callable[[dict], None] | None = None,
        use_link: str | None = None,
        **service_kw: Any,
    ) -> None:
        self.vm = VirtualModem(vendor, on_event=on_sim_event, link=use_link, **(sim or {}))
        self.device = self.vm.start()
        self.events: list[ModemEvent] = []
        self._cond = threading.Condition()
        self.auto_ack = auto_ack
        kw = {**FAST, **service_kw}
        port = use_link or self.device
        self.svc = ModemService(port, self._sink, **kw)
        if start:
            self.svc.start()

    def _sink(self, event: ModemEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        if self.auto_ack and isinstance(event, IncomingSms | DeliveryReport) and event.token:
            self.svc.ack_incoming(event.token)

    def close(self) -> None:
        self.svc.stop()
        self.vm.stop()

    # --- waiting ------------------------------------------------------------------------------

    def of(self, kind: type[E], pred: Callable[[E], bool] | None = None) -> list[E]:
        with self._cond:
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
        with self._cond:
            while True:
                found = [
                    e for e in self.events if isinstance(e, kind) and (pred is None or pred(e))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"waited {timeout} s for {count} x {kind.__name__}; got {len(found)}; "
                        f"last events: {self.events[-8:]}"
                    )
                self._cond.wait(left)

    def wait_state(self, state: ModemState, *, after: int = 0, timeout: float = 20.0) -> None:
        """Wait until a StatusChanged to ``state`` at event position >= ``after``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events[after:]:
                    if isinstance(e, StatusChanged) and e.status.state == state:
                        return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"state {state} not reached; now {self.svc.status}; "
                        f"last events: {self.events[-6:]}"
                    )
                self._cond.wait(left)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def wait_until(self, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout} s: {what}")
            time.sleep(0.02)

    def ready(self, timeout: float = 20.0) -> Harness:
        self.wait_until(lambda: self.svc.status.state == ModemState.READY, timeout, "READY")
        return self

    def stored(self, memory: str = "SM") -> list[dict]:
        return self.vm.control({"cmd": "storage", "memory": memory})["messages"]  # type: ignore[index]
