"""Modem port discovery for the settings dialog and the first-run wizard, off the GUI thread.

Probing opens serial ports and waits for answers, so it runs on a worker thread; the answer comes
back as a queued signal on a relay owned by the asking widget (dropped if that widget is gone).
``run_async`` does the same for any other slow call (discovery on the network, the password
store, copying the modem log).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from desk.engine import ports
from desk.engine.ports import PortInfo, ProbeResult


class _Relay(QObject):
    done = Signal(object, object)


_pending: set[_Relay] = set()
T = TypeVar("T")


def run_async(
    owner: QObject, work: Callable[[], T], done: Callable[[T | None, str | None], None]
) -> None:
    """Run ``work()`` on a worker thread; ``done(result, None)`` or ``done(None, error text)``
    comes back on the GUI thread, and not at all once ``owner`` is gone."""
    relay = _Relay()  # no parent: lives until it has answered, even if the owner is closed
    _pending.add(relay)

    def deliver(result: Any, err: str | None) -> None:
        _pending.discard(relay)
        relay.deleteLater()
        if shiboken6.isValid(owner):
            done(result, err)

    relay.done.connect(deliver)

    def thread() -> None:
        result: T | None
        err: str | None
        try:
            result, err = work(), None
        except Exception as exc:
            result, err = None, str(exc) or type(exc).__name__
        relay.done.emit(result, err)  # queued to the GUI thread

    threading.Thread(target=thread, name="modem-ports", daemon=True).start()


def list_ports_async(owner: QObject, done: Callable[[list[PortInfo], str | None], None]) -> None:
    run_async(owner, ports.list_ports, lambda result, err: done(result or [], err))


def probe_async(
    owner: QObject, path: str, done: Callable[[ProbeResult | None, str | None], None]
) -> None:
    run_async(owner, lambda: ports.probe(path), done)


def describe_probe(result: ProbeResult | None, err: str | None) -> tuple[bool, str]:
    """(answered?, one line for staff) for a probe's outcome."""
    if err:
        return False, err
    if result is None:
        return False, "No modem answered on this port."
    return result.ok, result.summary


def port_label(info: PortInfo) -> str:
    """ "/dev/ttyUSB0 — Huawei · HUAWEI Mobile" for a port list."""
    desc = info.description if info.description != "n/a" else ""
    words = " · ".join(x for x in (info.maker, desc) if x)
    return f"{info.device} — {words}" if words else info.device
