"""Keeps the reply box's text with the conversation it was typed for.

Each conversation has its own draft: switching conversations stores the text typed so far for the
one being left and puts the next one's draft (or nothing) in the box, so text never follows staff
to another customer. Drafts are written to the database (desk.store.drafts) on the engine's core
thread a moment after typing stops and whenever the conversation changes, so they survive a
restart. A copy is kept here too: a draft written a moment ago may not be committed yet when staff
come back to its conversation, and the copy is what they typed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from desk.engine.api import Engine
from desk.store import drafts
from ui.bridge import Bridge
from ui.composer import Composer

SAVE_AFTER_MS = 600  # after the last keystroke


class DraftKeeper(QObject):
    def __init__(
        self, engine: Engine, bridge: Bridge, composer: Composer, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.bridge = bridge
        self.composer = composer
        self.current: int | None = None  # the conversation whose draft is in the box
        self._known: dict[int, str] = {}  # drafts stored from this window, committed or not
        self._timer = QTimer(self, singleShot=True, interval=SAVE_AFTER_MS)
        self._timer.timeout.connect(self.flush)
        self._loading = False
        composer.edit.textChanged.connect(self._typed)

    def _typed(self) -> None:
        if not self._loading and self.current is not None:
            self._timer.start()

    def text_of(self, conversation_id: int) -> str:
        """The draft of ``conversation_id``: what was typed here, else what the database holds."""
        if conversation_id in self._known:
            return self._known[conversation_id]
        return drafts.load_draft(conversation_id)

    def switch_to(self, conversation_id: int | None) -> None:
        """Store the box's text for the conversation being left; show ``conversation_id``'s."""
        if conversation_id == self.current:
            return
        self.flush()
        self.current = conversation_id
        text = self.text_of(conversation_id) if conversation_id is not None else ""
        self._loading = True
        try:
            self.composer.set_text(text)
        finally:
            self._loading = False

    def flush(self) -> None:
        """Write the box's text as the current conversation's draft, if it changed."""
        self._timer.stop()
        cid = self.current
        if cid is None:
            return
        text = self.composer.text()
        stored = text if text.strip() else ""
        if self.text_of(cid) == stored:
            return
        self._known[cid] = stored
        self.bridge.when_done(
            self.engine.call(drafts.save_draft, cid, text, clock=self.engine.clock)
        )

    def sent(self, conversation_id: int, text: str) -> None:
        """``text`` went to the queue for ``conversation_id``: its draft is done with. The box is
        emptied only if it still shows that conversation and that text."""
        self._timer.stop()
        if self.current == conversation_id and self.composer.text().strip() == text.strip():
            self._loading = True
            try:
                self.composer.clear()
            finally:
                self._loading = False
        if self.current != conversation_id or not self.composer.text().strip():
            self._known[conversation_id] = ""
            self.bridge.when_done(self.engine.call(drafts.clear_draft, conversation_id))

    def forget(self, conversation_id: int) -> None:
        """The conversation is gone (erased): its draft went with it in the database."""
        self._known.pop(conversation_id, None)
        if self.current == conversation_id:
            self._timer.stop()
            self.current = None
            self._loading = True
            try:
                self.composer.clear()
            finally:
                self._loading = False
