"""Finding the modem, for the window's settings dialog and first-run wizard: the core's API for
listing serial ports and probing one.

Both calls talk to hardware and can take a second or more (``probe`` opens the port and waits for
AT answers), so callers run them off their GUI thread. Probing a port the running engine owns
fails (ports are opened with an exclusive lock) and leaves the engine's modem undisturbed.
"""

from __future__ import annotations

from modem import ports as _ports
from modem.ports import PortInfo, ProbeResult

__all__ = ["PortInfo", "ProbeResult", "list_ports", "probe"]

PROBE_TIMEOUT = 1.0  # seconds per AT command


def list_ports() -> list[PortInfo]:
    """Serial ports that may be a modem, the likeliest first (known modem makers, then other USB
    serial ports, then /dev/ttyUSB* and /dev/ttyACM* the lister missed)."""
    return _ports.list_candidates()


def probe(path: str, *, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Open ``path`` and ask it AT, AT+CGMI and AT+CGMM: whether a modem answered, its maker and
    model, or in plain words why not (missing, permission denied, in use, silent)."""
    return _ports.probe(path, timeout=timeout)
