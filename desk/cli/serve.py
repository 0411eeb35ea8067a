"""``textdesk serve``: the engine without a window (a back office, a service), logging to stdout
until Ctrl-C or SIGTERM. ``--no-modem`` (a counter on the shop's server only): this counter
never drives the modem in this run, even with one attached (desk.engine.server_side).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import threading
from dataclasses import replace
from types import FrameType
from typing import IO

from desk.base import events as ev
from desk.base import logs as logsetup
from desk.base.paths import Profile
from desk.cli.output import CliError
from desk.cli.profiles import profile_of
from desk.engine.api import Engine

__all__ = ["cmd_serve"]

log = logging.getLogger("desk.cli.main")


_last_status: list[tuple[str, str | None, str | None] | None] = [None]


def _event_logger(event: ev.DeskEvent) -> None:
    if isinstance(event, ev.MessageAdded):
        log.info("message %d %s (conversation %d)", event.message_id,
                 "received" if event.direction == "in" else "queued", event.conversation_id)  # fmt: skip
    elif isinstance(event, ev.MessageUpdated):
        log.info("message %d is %s", event.message_id, event.state)
    elif isinstance(event, ev.ModemStatusChanged):
        s = event.status
        key = (s.state, s.port, s.last_error)
        if key == _last_status[0]:
            return
        _last_status[0] = key
        log.info("modem %s%s%s", s.state, f" on {s.port}" if s.port else "",
                 f": {s.last_error}" if s.last_error else "")  # fmt: skip
    elif isinstance(event, ev.Problem):
        log.warning("%s", event.text)
    elif isinstance(event, ev.BalanceReceived):
        log.info("balance: %s", event.text or event.error)
    # StorageTrouble / StorageRecovered: the engine logs them itself, once per episode.


def cmd_serve(args: argparse.Namespace) -> int:
    profile = profile_of(args)
    if args.no_modem:  # said before anything starts (no log set up, no folder made)
        if not profile.on_server:
            raise CliError(
                "--no-modem is for a counter on the shop's server (textdesk database use); "
                "this profile's database is this PC's own file, and its engine drives the modem."
            )
        profile = replace(profile, no_modem=True)
    profile = profile.ensure()
    logsetup.configure(profile, stdout=True, level=logging.DEBUG if args.verbose else logging.INFO)
    fault_file = _enable_faulthandler(profile)
    try:
        return _serve(args, profile)
    finally:
        if fault_file is not None:
            faulthandler.disable()
            fault_file.close()


def _enable_faulthandler(profile: Profile) -> IO[str] | None:
    """A hard crash (segfault, abort) writes every thread's stack to profile.crash_path, as the
    window does (ui.crash.CrashHandler)."""
    try:
        profile.crash_path.parent.mkdir(parents=True, exist_ok=True)
        fault_file = open(profile.crash_path, "a", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        log.warning("cannot write %s (%s); hard crashes will not be recorded",
                    profile.crash_path, exc.strerror)  # fmt: skip
        return None
    faulthandler.enable(file=fault_file, all_threads=True)
    return fault_file


def _serve(args: argparse.Namespace, profile: Profile) -> int:
    engine = Engine(profile, port=args.port, modem=args.modem, mode="serve")
    engine.subscribe(_event_logger)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received, stopping", signal.Signals(signum).name)
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        engine.start()
        log.info(
            "TextDesk is serving profile %s (pid %d); Ctrl-C stops", profile.data_dir, os.getpid()
        )
        while not stop.wait(0.5):
            pass
    finally:
        engine.stop()
        for s, handler in old.items():
            signal.signal(s, handler)
    return 0
