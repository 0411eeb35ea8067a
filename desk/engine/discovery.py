"""What modem the shop has plugged in: AT modems, HiLink sticks, an Android phone, and sticks
still in their storage (CD-ROM) mode, for the first-run wizard, the settings dialog and
``textdesk discover``.

``discover(extra_urls=(), timeout=2.0) -> list[FoundModem]`` returns within about ``timeout``
seconds whatever it found, the likeliest first: it asks, all at once, each URL in
``extra_urls`` (a phone's address, a stick somewhere else), the default gateway of each network
interface and the HiLink sticks' usual 192.168.8.1 and 192.168.1.1 (``/api/webserver/SesTokInfo``,
``/api/device/information``, then the phone app's ``/health``); it reads the USB devices (Linux's
``/sys/bus/usb/devices``) for Huawei sticks in HiLink or storage mode; and it probes the serial
ports of desk.engine.ports with AT. It talks to hardware and the network, so callers run it off
the GUI thread; it never raises for what it cannot reach (that is simply not found).

A HiLink stick seen on USB but not answering on the network yet (it is still starting, or its
network connection is not up) is still reported, at 192.168.8.1.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desk.engine import ports
from modem import discovery as probe

__all__ = ["FoundModem", "discover"]

KINDS = ("at", "hilink", "android", "storage_mode")


@dataclass(frozen=True)
class FoundModem:
    """One thing discovery found. ``kind``: "at" | "hilink" | "android" | "storage_mode";
    ``address``: the serial port or the URL (for storage mode, the USB id); ``label``: plain
    words for a list; ``needs_password``: ask for the stick's or the app's password;
    ``explanation``: what to do (storage mode), else ""."""

    kind: str
    address: str
    label: str
    needs_password: bool = False
    explanation: str = ""


def discover(
    extra_urls: Sequence[str] = (),
    timeout: float = 2.0,
    *,
    sysfs_root: Path | None = None,
    route_file: Path | None = None,
    probe_ports: bool = True,
    include_defaults: bool = True,
    platform: str | None = None,
) -> list[FoundModem]:
    """Everything found within about ``timeout`` seconds (see the module's text).
    ``sysfs_root`` / ``route_file`` replace /sys/bus/usb/devices and /proc/net/route (tests);
    ``include_defaults=False`` asks only ``extra_urls``: no gateways, no 192.168.8.1, and no
    USB bus unless ``sysfs_root`` is given (the wizard's "look at this address")."""
    start = time.monotonic()
    platform = platform or sys.platform
    budget = max(0.1, timeout)
    at_found: list[FoundModem] = []
    at_thread = None
    if probe_ports:
        at_thread = threading.Thread(
            target=lambda: at_found.extend(_at_modems(budget)), daemon=True, name="discover-at"
        )
        at_thread.start()

    if sysfs_root is not None:
        usb = probe.usb_devices(sysfs_root)
    else:
        usb = probe.usb_devices() if include_defaults else []
    if include_defaults:
        urls = probe.candidate_urls(extra_urls, probe.gateways(route_file))
    else:
        urls = probe.candidate_urls(extra_urls, (), defaults=False)
    per_request = min(1.0, budget / 3)
    answers = probe.probe_all(urls, timeout=per_request, budget=budget)

    found = [_from_answer(a) for a in answers]
    hilink_on_network = any(a.kind == "hilink" for a in answers)
    for device in usb:
        mode = probe.classify_usb(device)
        if mode == "storage":
            found.append(
                FoundModem(
                    "storage_mode",
                    device.ids,
                    f"{device.title} in storage (CD-ROM) mode: not usable yet",
                    explanation=probe.storage_explanation(device, platform),
                )
            )
        elif mode == "hilink" and not hilink_on_network:
            url = probe.DEFAULT_HILINK[0]
            found.append(
                FoundModem(
                    "hilink",
                    url,
                    f"HiLink stick {device.title} plugged in (expected at {url}; it is not "
                    "answering yet)",
                    needs_password=True,
                )
            )
    if at_thread is not None:
        at_thread.join(max(0.0, budget - (time.monotonic() - start)))
        found.extend(list(at_found))
    order = {kind: i for i, kind in enumerate(("hilink", "android", "at", "storage_mode"))}
    return sorted(found, key=lambda f: order[f.kind])


def _from_answer(answer: probe.Answer) -> FoundModem:
    if answer.kind == "android":
        return FoundModem(
            "android",
            answer.url,
            f"Android phone with SMS Gateway found at {answer.url}",
            needs_password=True,
        )
    name = f" ({answer.device_name})" if answer.device_name else ""
    return FoundModem(
        "hilink",
        answer.url,
        f"HiLink stick{name} found at {answer.url}",
        needs_password=answer.needs_password,
    )


def _at_modems(budget: float) -> list[FoundModem]:
    """The serial ports that answer AT, probed at once (each AT command waits at most a third
    of the budget); the ones still silent at the end of it are left out."""
    candidates = [p for p in ports.list_ports() if p.likely_modem or p.vid is not None]
    results: dict[str, ports.ProbeResult] = {}
    lock = threading.Lock()
    per_command = max(0.05, budget / 4)

    def one(info: ports.PortInfo) -> None:
        result = ports.probe(info.stable_path or info.device, timeout=per_command)
        with lock:
            results[info.device] = result

    threads = [threading.Thread(target=one, args=(c,), daemon=True) for c in candidates]
    for thread in threads:
        thread.start()
    end = time.monotonic() + budget * 0.9
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    with lock:
        answered = [results[c.device] for c in candidates if c.device in results]
    found: list[FoundModem] = []
    for result in answered:
        if not result.ok:
            continue
        model = " ".join(x for x in (result.manufacturer, result.model) if x) or "a modem"
        found.append(FoundModem("at", result.path, f"Modem answering on {result.path}: {model}"))
    return found
