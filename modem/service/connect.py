"""Which port the service opens, and how: a device path, a pyserial URL for a modem on the
network (``socket://host:port``, ``rfc2217://host:port``), or none (discover one).

``Opener`` is what opens it (``modem.ports.open_port`` unless a caller, e.g. a test with a
scripted port, gives its own).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from modem import ports
from modem.at.channel import AtError, CommandError, ModemRestarted, PortGone, SerialLike
from modem.at.trace import AtTrace
from modem.service.init_ops import SimBusy

Opener = Callable[[str, int], SerialLike]


def choose_path(port: str | None, attempts: int, timeout: float) -> str | None:
    """The port to open: ``port`` itself; when none is set, or a device path has been missing
    for 3 attempts (replugged as /dev/ttyUSB1 with no stable link given), the first modem
    discovery finds. None: no modem found."""
    if port is not None and (ports.is_url(port) or os.path.exists(port) or attempts < 3):
        return port
    found = ports.discover(timeout=timeout)
    return found.path if found is not None else port


def device_of(path: str) -> str:
    """What ``path`` really is (a by-id link resolved); URLs are their own name."""
    return path if ports.is_url(path) else os.path.realpath(path)


def init_failure(exc: BaseException) -> str:
    """Plain words for why connecting and setting the modem up failed."""
    if isinstance(exc, CommandError):
        return f"The modem did not initialise: {exc.reason}"
    if isinstance(exc, SimBusy):
        return "The SIM stayed busy."
    if isinstance(exc, PortGone):
        return "The modem was disconnected (unplugged?)."
    if isinstance(exc, ModemRestarted):
        return f"The modem restarted: {exc}."
    if isinstance(exc, AtError):
        return "The modem stopped answering."
    return f"Internal error in the modem layer ({type(exc).__name__})."


def make_trace(
    where: str | os.PathLike[str] | logging.Logger | None, full_detail: bool
) -> AtTrace | None:
    """The AT trace the service writes (None: no trace)."""
    if where is None:
        return None
    if isinstance(where, logging.Logger):
        return AtTrace(logger=where, full_detail=full_detail)
    return AtTrace(where, full_detail=full_detail)
