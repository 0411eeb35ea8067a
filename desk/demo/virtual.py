"""The in-process virtual modem behind ``textdesk --demo`` and ``textdesk --self-test``; and for
``textdesk --demo --modem hilink|android`` the virtual HiLink stick or Android gateway (the same
servers as ``python -m modem.sim --kind hilink|android``), with ``demo_link_factory`` giving the
engine a link that logs in with the device's own credentials, never the shop's password store.

It sits on a pseudo-terminal where the system has one, and on a TCP socket on 127.0.0.1 where it
does not (Windows: no ``os.openpty``); the engine opens either, as ``/dev/pts/N`` or
``socket://127.0.0.1:PORT``. ``TEXTDESK_SIM_TRANSPORT=tcp`` (or ``rfc2217`` / ``pty``) forces the
choice, so the Windows path is tested on Linux too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from desk.base import secrets
from desk.engine import links
from desk.store.settings import Settings

if TYPE_CHECKING:
    from modem.link import ModemLink
    from modem.sim import VirtualModem
    from modem.sim.android.server import VirtualAndroid
    from modem.sim.hilink.server import VirtualHiLink

HTTP_KINDS = ("hilink", "android")
DEMO_HILINK_PASSWORD = "demo-admin"

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


def virtual_http_device(kind: str) -> VirtualHiLink | VirtualAndroid:
    """Start the in-process virtual HiLink stick (``kind="hilink"``) or Android gateway
    (``"android"``) on 127.0.0.1 and return it: ``url`` is where it answers, ``events`` has a
    ``submitted`` event for every text a client sends, ``control({"cmd": "deliver", ...})``."""
    device: VirtualHiLink | VirtualAndroid
    if kind == "hilink":
        from modem.sim.hilink.server import VirtualHiLink

        device = VirtualHiLink(password=DEMO_HILINK_PASSWORD)
    elif kind == "android":
        from modem.sim.android.server import VirtualAndroid

        device = VirtualAndroid()
    else:
        raise ValueError(
            f"the demo has no virtual {kind!r} device (known: {', '.join(HTTP_KINDS)})"
        )
    device.start()
    return device


def demo_link_factory(
    kind: str, device: VirtualHiLink | VirtualAndroid
) -> Callable[..., ModemLink]:
    """The engine's ``modem_factory`` for the demo: the ``kind`` link to ``device``, logging in
    with the device's own credentials (the demo never reads or writes the password store)."""
    if kind == "hilink":
        choice = links.LinkChoice(
            "hilink", device.url, secrets={secrets.HILINK_PASSWORD: DEMO_HILINK_PASSWORD}
        )
    else:
        from modem.sim.android.server import VirtualAndroid

        assert isinstance(device, VirtualAndroid)
        creds = device.credentials
        choice = links.LinkChoice(
            "android", device.url, android_username=creds["username"], listen_host="127.0.0.1",
            listen_port=0, secrets={secrets.ANDROID_PASSWORD: creds["password"],
                                    secrets.ANDROID_SIGNING_KEY: creds["signing_key"]},
        )  # fmt: skip

    def factory(**given: Any) -> ModemLink:  # the engine's (port=, sink=, pin=)
        return links.make_link(choice, given["sink"], settings=Settings())

    return factory
