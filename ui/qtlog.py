"""Qt's own messages go to our log (a windowed build has no stderr), minus known platform noise."""

from __future__ import annotations

import logging

from PySide6.QtCore import QtMsgType, qInstallMessageHandler

log = logging.getLogger("qt")

# Said by the offscreen/minimal platform plugins for every window with a size constraint.
NOISE = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
)

LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _handler(mode: QtMsgType, _context: object, message: str) -> None:
    if any(message.startswith(n) for n in NOISE):
        return
    log.log(LEVELS.get(mode, logging.WARNING), "%s", message)


def install() -> object:
    """Route Qt's messages to logging; returns the handler it replaced (for ``restore``)."""
    return qInstallMessageHandler(_handler)


def restore(previous: object) -> None:
    qInstallMessageHandler(previous)  # type: ignore[arg-type]
