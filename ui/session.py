"""Start the engine and the window on a profile (the app, --demo, --self-test, screenshots, bench).

The demo data is written before the engine starts, so the engine stays the one writer once it runs.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desk.base.clock import Clock
from desk.base.paths import Profile, resolve_profile

if TYPE_CHECKING:
    from desk.engine.api import Engine

log = logging.getLogger(__name__)


@dataclass
class Session:
    profile: Profile
    engine: Engine
    window: Any = None  # ui.main_window.MainWindow, or None for a session without a window
    # the demo's virtual device (modem.sim's VirtualModem, VirtualHiLink or VirtualAndroid, which
    # ui never imports): control({"cmd": "deliver", ...}), events, stop()
    vm: Any = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    closed: bool = field(default=False)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.window is not None:
            self.window.bridge.detach()
            self.window.shutdown()
        try:
            self.engine.stop()
        except Exception:
            log.exception("engine did not stop cleanly")
        if self.vm is not None:
            try:
                self.vm.stop()
            except Exception:
                log.exception("virtual modem did not stop cleanly")
        if self.tmp is not None:
            self.tmp.cleanup()


def temp_profile(prefix: str) -> tuple[Profile, tempfile.TemporaryDirectory[str]]:
    tmp = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
    return resolve_profile(tmp.name).ensure(), tmp


def prepare_database(
    profile: Profile, *, demo: bool, first_settings: Mapping[str, str] | None = None
) -> None:
    """Create/migrate the database; fill the demo shop when asked; save what the first-run
    wizard chose. All before the engine starts, so it starts on the chosen modem and stays the
    one writer once it runs."""
    from desk.base.clock import SystemClock
    from desk.demo import shop as demo_data
    from desk.engine import window_ops
    from desk.store.db import close_database, db
    from desk.store.profile_db import open_profile_database
    from desk.store.settings import Settings

    open_profile_database(profile)  # the SQLite file, or the shop's server (database.json)
    try:
        if demo:
            demo_data.populate()
        if first_settings:
            with db.atomic():
                window_ops.save_settings(
                    first_settings,
                    settings=Settings(),
                    clock=SystemClock(),
                    where="the first-run wizard",
                )
    finally:
        close_database()


def start(
    profile: Profile,
    *,
    port: str | None = None,
    virtual: bool = False,
    customer: bool = True,
    demo_data: bool = False,
    tmp: tempfile.TemporaryDirectory[str] | None = None,
    clock: Clock | None = None,
    window: bool = True,
    modem: str | None = None,
    first_settings: Mapping[str, str] | None = None,
) -> Session:
    """Start the engine (and the window). ``virtual`` runs an in-process virtual device as the
    modem: the AT modem, or with ``modem="hilink"`` / ``"android"`` the virtual HiLink stick or
    Android gateway, driven through the matching link. Without ``virtual``, ``modem`` is the
    kind of link to drive (None: the ``modem_kind`` setting) and ``port`` its port or URL."""
    from desk.engine.api import Engine

    prepare_database(profile, demo=demo_data, first_settings=first_settings)
    vm: Any = None  # the kinds of virtual device have no common type ui could name
    factory = None
    if virtual and modem in ("hilink", "android"):
        from desk.demo.virtual import demo_link_factory, virtual_http_device

        vm = virtual_http_device(modem)
        port = vm.url
        factory = demo_link_factory(modem, vm)
    elif virtual:
        from desk.demo.virtual import virtual_modem

        vm = virtual_modem(customer=customer)
        port = vm.device
        if port is None:
            vm.stop()
            raise RuntimeError("The virtual modem started without a port to open.")
    engine = Engine(profile, port=port, modem=modem, clock=clock, modem_factory=factory)
    try:
        engine.start()
    except Exception:
        if vm is not None:
            vm.stop()
        raise
    session = Session(profile, engine, vm=vm, tmp=tmp)
    if window:
        from PySide6.QtWidgets import QApplication

        from ui import theme
        from ui.main_window import MainWindow

        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.use_emoji_fonts(app)  # emoji, not empty boxes (issue 13 item 17)
        session.window = MainWindow(engine, log_path=profile.log_path)
    return session
