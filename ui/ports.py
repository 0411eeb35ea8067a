"""Modem port discovery for the settings dialog and the first-run wizard, off the GUI thread.

Probing opens serial ports and waits for answers, so it runs on a worker thread; the answer comes
back as a queued signal on a relay owned by the asking widget (dropped if that widget is gone).
(modem.ports is the one modem module the window uses besides modem.events and modem.codec.pdu.plan;
there is no desk wrapper for it.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal


class _Relay(QObject):
    done = Signal(object, object)


_pending: set[_Relay] = set()


def _run(owner: QObject, work: Callable[[], Any], done: Callable[[Any, str | None], None]) -> None:
    relay = _Relay()  # no parent: lives until it has answered, even if the owner is closed
    _pending.add(relay)

    def deliver(result: Any, err: str | None) -> None:
        _pending.discard(relay)
        relay.deleteLater()
        if shiboken6.isValid(owner):
            done(result, err)

    relay.done.connect(deliver)

    def thread() -> None:
        try:
            result, err = work(), None
        except Exception as exc:
            result, err = None, str(exc) or type(exc).__name__
        relay.done.emit(result, err)  # queued to the GUI thread

    threading.Thread(target=thread, name="modem-ports", daemon=True).start()


def list_ports_async(owner: QObject, done: Callable[[list[Any], str | None], None]) -> None:
    def work() -> list[Any]:
        from modem import ports

        return list(ports.list_candidates())

    _run(owner, work, lambda result, err: done(result or [], err))


def probe_async(owner: QObject, path: str, done: Callable[[Any, str | None], None]) -> None:
    def work() -> Any:
        from modem import ports

        return ports.probe(path)

    _run(owner, work, done)


def describe_probe(result: Any, err: str | None) -> tuple[bool, str]:
    if err:
        return False, err
    ok = bool(getattr(result, "ok", False))
    for attr in ("summary", "error"):
        text = getattr(result, attr, None)
        if text:
            return ok, str(text)
    model = " ".join(str(getattr(result, a, "") or "") for a in ("manufacturer", "model")).strip()
    if ok:
        return ok, f"A modem answered: {model}" if model else "A modem answered."
    return ok, "No modem answered on this port."


def port_label(info: Any) -> str:
    path = port_path(info)
    desc = getattr(info, "description", "") or ""
    maker = getattr(info, "maker", None)
    words = " · ".join(x for x in (maker, desc if desc != "n/a" else "") if x)
    return f"{path} — {words}" if words else path


def port_path(info: Any) -> str:
    return str(getattr(info, "device", None) or getattr(info, "path", None) or info)
