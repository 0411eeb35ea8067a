"""Engine events -> Qt signals on the GUI thread, and Future callbacks back on the GUI thread.

The engine calls subscribers on its core thread. ``Bridge`` lives on the GUI thread; a signal
emitted from another thread reaches GUI-thread receivers queued, so every slot connected here runs
on the GUI thread. Nothing here blocks: a Future's result is handed over by ``when_done`` once it
is ready, never waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from desk.base import events as ev
from desk.engine.api import Engine

log = logging.getLogger(__name__)


class Bridge(QObject):
    messageAdded = Signal(int, int, str)  # message id, conversation id, direction
    messageUpdated = Signal(int, int, str)  # message id, conversation id, state
    conversationUpdated = Signal(int)
    conversationRemoved = Signal(int)
    modemStatusChanged = Signal(object)  # modem.events.ModemStatus
    queueChanged = Signal(int)
    balanceReceived = Signal(object, object)  # text | None, error | None
    problem = Signal(str, str)  # text, severity
    remindersChanged = Signal()
    appointmentUpdated = Signal(int, str)
    storageTrouble = Signal(str)  # plain words: the disk is full, texts wait on the SIM
    storageRecovered = Signal()
    presenceChanged = Signal(object)  # conversation id | None: who is replying (ui/staff_presence)
    _call = Signal(object)  # a callable to run on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = None
        self._call.connect(self._run)

    # --- engine events ---------------------------------------------------------------------
    def attach(self, engine: Engine) -> Callable[[], None]:
        """Receive the engine's events; returns the engine's unsubscribe function (safe to call
        more than once, and after this bridge is gone)."""
        self.detach()
        self._unsubscribe = unsubscribe = engine.subscribe(self.dispatch)
        return unsubscribe

    def detach(self) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # the engine may already be gone
                log.debug("unsubscribe failed", exc_info=True)
            self._unsubscribe = None

    def dispatch(self, event: ev.DeskEvent) -> None:
        """Called on the engine's core thread: only emits (queued to the GUI thread)."""
        match event:
            case ev.MessageAdded():
                self.messageAdded.emit(event.message_id, event.conversation_id, event.direction)
            case ev.MessageUpdated():
                self.messageUpdated.emit(event.message_id, event.conversation_id, event.state)
            case ev.ConversationUpdated():
                self.conversationUpdated.emit(event.conversation_id)
            case ev.ConversationRemoved():
                self.conversationRemoved.emit(event.conversation_id)
            case ev.ModemStatusChanged():
                self.modemStatusChanged.emit(event.status)
            case ev.QueueChanged():
                self.queueChanged.emit(event.queued)
            case ev.BalanceReceived():
                self.balanceReceived.emit(event.text, event.error)
            case ev.Problem():
                self.problem.emit(event.text, event.severity)
            case ev.RemindersChanged():
                self.remindersChanged.emit()
            case ev.AppointmentUpdated():
                self.appointmentUpdated.emit(event.appointment_id, event.state)
            case ev.StorageTrouble():
                self.storageTrouble.emit(event.text)
            case ev.StorageRecovered():
                self.storageRecovered.emit()
            case ev.PresenceChanged():
                self.presenceChanged.emit(event.conversation_id)

    # --- futures ---------------------------------------------------------------------------
    def when_done(
        self,
        future: Future[Any],
        on_ok: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Call ``on_ok(result)`` or ``on_error(exc)`` on the GUI thread when ``future`` is done."""

        def done(f: Future[Any]) -> None:
            exc = f.exception()
            if exc is not None:
                if on_error is not None:
                    self._call.emit(lambda: on_error(exc))
                else:
                    log.error("engine call failed", exc_info=exc)
                    self._call.emit(lambda: self.problem.emit(str(exc), "error"))
            elif on_ok is not None:
                result = f.result()
                self._call.emit(lambda: on_ok(result))

        future.add_done_callback(done)

    @staticmethod
    def _run(fn: object) -> None:
        if callable(fn):
            fn()
