"""The event side shared by VirtualModem and SimProcess: a queue, a history, waiting for one."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]  # one JSON object of the control channel: an event, a command or a reply


class EventLog:
    def __init__(self, *, record: bool = True) -> None:
        self.record = record  # False: keep no history or queue (a long-running CLI)
        self.events: queue.Queue[Event] = queue.Queue()
        self._history: list[Event] = []
        self._taken: set[int] = set()
        self._cond = threading.Condition()

    def _record(self, event: Event) -> None:
        if not self.record:
            return
        with self._cond:
            self._history.append(event)
            self._cond.notify_all()
        self.events.put(event)

    @property
    def history(self) -> list[Event]:
        with self._cond:
            return list(self._history)

    def submitted(self) -> list[Event]:
        """Every "submitted" event so far (one per SMS part a client sent), oldest first."""
        return [e for e in self.history if e.get("event") == "submitted"]

    def wait_event(
        self, kind: str, timeout: float = 10.0, predicate: Callable[[Event], bool] | None = None
    ) -> Event:
        """The oldest event of ``kind`` (matching ``predicate``) not yet returned by wait_event;
        waits up to ``timeout`` seconds for it. TimeoutError if none comes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, event in enumerate(self._history):
                    if i in self._taken or event.get("event") != kind:
                        continue
                    if predicate is None or predicate(event):
                        self._taken.add(i)
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {kind!r} event within {timeout} s")
                self._cond.wait(left)
