"""Waiting in tests: one polling ``wait_until``, and ``EventLog``, the events a modem link hands
over (its sink) with waits on them. Timeouts are generous; nothing asserts on speed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from modem.events import ModemEvent, ModemState, StatusChanged

T = TypeVar("T")
E = TypeVar("E", bound=ModemEvent)


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 20.0,
    what: str = "condition",
    *,
    detail: Callable[[], object] | None = None,
) -> T:
    """Poll ``predicate`` every 20 ms until it returns something true and return that; after
    ``timeout`` seconds fail the test, saying ``what`` (and ``detail()``, what there is to see)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"; {detail()}" if detail is not None else ""
            raise AssertionError(f"not within {timeout} s: {what}{extra}")
        time.sleep(0.02)


class EventLog:
    """Modem events in the order they came (``record`` is the sink given to the link)."""

    def __init__(self) -> None:
        self.events: list[ModemEvent] = []
        self.cond = threading.Condition()

    def record(self, event: ModemEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()

    def mark(self) -> int:
        """The position of the next event: give it to ``wait_state(after=...)``."""
        with self.cond:
            return len(self.events)

    def of(self, kind: type[E], pred: Callable[[E], bool] | None = None) -> list[E]:
        with self.cond:
            return self._of(kind, pred)

    def _of(self, kind: type[E], pred: Callable[[E], bool] | None, after: int = 0) -> list[E]:
        return [e for e in self.events[after:] if isinstance(e, kind) and (pred is None or pred(e))]

    def wait_for(
        self,
        kind: type[E],
        pred: Callable[[E], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 20.0,
    ) -> list[E]:
        """The events of ``kind`` (matching ``pred``) once there are ``count`` of them."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self._of(kind, pred)) >= count, timeout):
                found = len(self._of(kind, pred))
                raise AssertionError(
                    f"waited {timeout} s for {count} x {kind.__name__}; got {found}; "
                    f"last events: {self.events[-8:]}"
                )
            return self._of(kind, pred)

    def wait_state(self, state: ModemState, after: int = 0, timeout: float = 20.0) -> StatusChanged:
        """The first StatusChanged to ``state`` at event position ``after`` or later."""

        def reached(e: StatusChanged) -> bool:
            return e.status.state == state

        with self.cond:
            if not self.cond.wait_for(lambda: self._of(StatusChanged, reached, after), timeout):
                raise AssertionError(
                    f"state {state} not reached in {timeout} s; last events: {self.events[-6:]}"
                )
            return self._of(StatusChanged, reached, after)[0]
