"""Modem port discovery for the settings dialog and the first-run wizard, off the GUI thread.

Probing opens serial ports and waits for answers, so it runs on a worker thread and the result is
brought back through the bridge. (modem.ports is the one modem module the window uses besides
modem.events and modem.pdu.plan; there is no desk wrapper for it.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def list_ports_async(done: Callable[[list[Any], str | None], None], run_on_gui: Callable) -> None:
    def work() -> None:
        try:
            from modem import ports

            found, err = list(ports.list_candidates()), None
        except Exception as exc:
            found, err = [], str(exc)
        run_on_gui(lambda: done(found, err))

    threading.Thread(target=work, name="port-list", daemon=True).start()


def probe_async(path: str, done: Callable[[Any, str | None], None], run_on_gui: Callable) -> None:
    def work() -> None:
        try:
            from modem import ports

            result, err = ports.probe(path), None
        except Exception as exc:
            result, err = None, str(exc)
        run_on_gui(lambda: done(result, err))

    threading.Thread(target=work, name="port-probe", daemon=True).start()


def describe_probe(result: Any, err: str | None) -> tuple[bool, str]:
    if err:
        return False, err
    ok = bool(getattr(result, "ok", False) or getattr(result, "is_modem", False))
    for attr in ("message", "description", "error", "detail"):
        text = getattr(result, attr, None)
        if text:
            return ok, str(text)
    model = " ".join(str(getattr(result, a, "") or "") for a in ("manufacturer", "model")).strip()
    return ok, (
        f"A modem answered: {model}"
        if ok and model
        else "A modem answered."
        if ok
        else "No modem answered on this port."
    )


def port_label(info: Any) -> str:
    path = getattr(info, "device", None) or getattr(info, "path", None) or str(info)
    desc = getattr(info, "description", "") or ""
    return f"{path} — {desc}" if desc and desc != "n/a" else str(path)


def port_path(info: Any) -> str:
    return str(getattr(info, "device", None) or getattr(info, "path", None) or info)
