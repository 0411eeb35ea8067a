"""Settings changed outside the window (``textdesk config signature "- Anna"`` while it runs) reach
it: every few seconds the window reads the settings (one small query on its own connection) and
applies them when they differ from what it applied last, so the reply counter never counts a
signature that is no longer the one sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

EVERY_MS = 5000


class SettingsWatch(QObject):
    def __init__(
        self, read: Callable[[], dict[str, Any]], apply: Callable[[], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        self.read, self.apply = read, apply
        self.seen = self._fingerprint()
        self.timer = QTimer(self, interval=EVERY_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def _fingerprint(self) -> str:
        return repr(sorted(self.read().items()))

    def check(self) -> bool:
        """Apply the settings if they changed since last time; True when they did."""
        now = self._fingerprint()
        if now == self.seen:
            return False
        self.seen = now
        self.apply()
        return True


def install(w: Any) -> SettingsWatch:
    """Watch ``w.settings`` for the main window ``w`` and re-run its ``_apply_settings``."""
    watch = SettingsWatch(w.settings.all, w._apply_settings, w)
    w.settings_watch = watch
    return watch
