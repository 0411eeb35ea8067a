"""The in-process virtual modem behind ``textdesk --demo`` and ``textdesk --self-test``.

It sits on a pseudo-terminal where the system has one, and on a TCP socket on 127.0.0.1 where it
does not (Windows: no ``os.openpty``); the engine opens either, as ``/dev/pts/N`` or
``socket://127.0.0.1:PORT``. ``TEXTDESK_SIM_TRANSPORT=tcp`` (or ``rfc2217`` / ``pty``) forces the
choice, so the Windows path is tested on Linux too.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modem.sim import VirtualModem

ENV = "TEXTDESK_SIM_TRANSPORT"
TRANSPORTS = ("pty", "tcp", "rfc2217")


def choose_transport(transport: str | None = None) -> str:
    """``transport``, else the environment's choice, else pty where there is one, else tcp."""
    choice = (transport or os.environ.get(ENV, "")).strip().lower()
    if not choice:
        return "pty" if hasattr(os, "openpty") else "tcp"
    if choice not in TRANSPORTS:
        raise ValueError(f"{ENV} is one of {', '.join(TRANSPORTS)}, not {choice!r}")
    if choice == "pty" and not hasattr(os, "openpty"):
        raise ValueError("this system has no pseudo-terminals: use tcp")
    return choice


def virtual_modem(
    *, customer: bool = True, transport: str | None = None, **options: Any
) -> VirtualModem:
    """Start an in-process virtual modem for --demo / --self-test and return it; its ``device``
    (also ``device_path``) is what the engine opens. (Imported here, not at the top: the window
    reaches this module but must not load modem.sim unless it runs the demo.)"""
    from modem.sim import VirtualModem

    where = choose_transport(transport)
    if where != "pty":
        options[where] = "127.0.0.1:0"
    vm = VirtualModem(customer=customer, **options)
    device = vm.start()
    vm.device_path = device  # type: ignore[attr-defined]  # the name ui.session reads
    return vm
