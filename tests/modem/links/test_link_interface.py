"""ModemService, HiLinkLink and AndroidLink are all modem.link.ModemLink: checked statically (the
typed assignments below, run through mypy in test_the_interface_is_checked_by_mypy) and at run
time (every method there and callable)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from modem.android.link import AndroidLink
from modem.events import ModemEvent
from modem.hilink.link import HiLinkLink
from modem.link import LINK_METHODS, ModemLink, missing_methods
from modem.service.modem_service import ModemService


def _sink(event: ModemEvent) -> None:
    pass


def test_every_link_has_the_whole_surface() -> None:
    at: ModemLink = ModemService(None, _sink)
    hilink: ModemLink = HiLinkLink("http://127.0.0.1:9", _sink)
    android: ModemLink = AndroidLink(
        "http://127.0.0.1:9",
        _sink,
        username="u",
        password="p",
        signing_key="k",
        listen_host="127.0.0.1",
    )
    for link in (at, hilink, android):
        assert missing_methods(link) == []
        assert isinstance(link, ModemLink)
        assert not link.running  # nothing started by constructing it
    assert missing_methods(object()) == [*LINK_METHODS, "status", "running"]


def test_the_interface_is_checked_by_mypy() -> None:
    here = Path(__file__)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", str(here)],
        capture_output=True, text=True, cwd=here.parents[3], timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_webhook_listener_has_no_default_address() -> None:
    """It binds only where the user chose (the shop's LAN address), never 0.0.0.0 by default."""
    param = inspect.signature(AndroidLink).parameters["listen_host"]
    assert param.default is inspect.Parameter.empty
