"""Slow calls of the modem settings, off the GUI thread: this computer's password store
(``Keyring``, through desk.base.secrets) and this computer's address towards the phone."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import QWidget

from desk.base import secrets
from ui import ports


class Keyring:
    """desk.base.secrets off the GUI thread: which secrets are stored, and storing some."""

    def load(
        self, owner: QWidget, names: Iterable[str], done: Callable[[Any, str | None], None]
    ) -> None:
        wanted = tuple(names)
        ports.run_async(owner, lambda: {n for n in wanted if secrets.get(n)}, done)

    def save(
        self, owner: QWidget, values: Mapping[str, str], done: Callable[[Any, str | None], None]
    ) -> None:
        given = dict(values)

        def work() -> int:
            for name, value in given.items():
                secrets.put(name, value)
            return len(given)

        ports.run_async(owner, work, done)


def local_address_towards(url: str) -> str:
    """This computer's address on the network that leads to ``url`` (the phone): where the
    phone can send its webhooks. A UDP "connect" sends nothing; it only picks the route. A
    host name is looked up (so: off the GUI thread). "" when there is no route."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return ""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((parts.hostname, parts.port or 8080))
            return str(sock.getsockname()[0])
    except OSError:
        return ""
