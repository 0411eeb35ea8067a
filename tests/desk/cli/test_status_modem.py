"""``textdesk serve`` says once, as a WARNING, when the modem needs a person (no network, the SIM
asks for its PIN), and ``textdesk status`` (another process) shows the modem's state in plain
words, read from the running engine's modem-state.json (fault run, issue 11)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modem.sim import VirtualModem

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}


def textdesk(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk.cli.main", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=90, env=ENV,
    )  # fmt: skip


def modem_line(prof: Path) -> str:
    done = textdesk("status", "--profile", str(prof), "-n", "0")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    found = [x for x in done.stdout.splitlines() if x.startswith("modem:")]
    return found[0] if found else ""


def wait_for(what: Callable[[], bool], why: Callable[[], str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, why()
        time.sleep(0.2)


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Path, VirtualModem, list[str]]]:
    prof = tmp_path / "profile"
    assert textdesk("config", "--profile", str(prof)).returncode == 0
    with VirtualModem(report_delay=0.05) as vm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desk.cli.main", "serve", "--profile", str(prof), "--port", vm.device],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
        )  # fmt: skip
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
        reader.start()
        try:
            wait_for(lambda: any("modem ready" in x for x in lines), lambda: "".join(lines))
            yield prof, vm, lines
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            reader.join(10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "Traceback" not in "".join(lines)


def warnings(lines: list[str], words: str) -> list[str]:
    return [x for x in list(lines) if "WARNING" in x and words in x]


def test_no_network_is_warned_once_and_shown_by_status(serving) -> None:
    prof, vm, lines = serving
    wait_for(lambda: modem_line(prof).startswith("modem:   Ready, signal "), lambda: "".join(lines))
    assert re.match(r"modem:   Ready, signal \d/4", modem_line(prof))
    state_file = prof / "modem-state.json"
    written = state_file.stat().st_mtime_ns

    vm.control({"cmd": "lose_network", "state": "searching"})
    words = "The modem is not on a network"
    wait_for(lambda: bool(warnings(lines, words)), lambda: "".join(lines))
    line = modem_line(prof)
    assert re.fullmatch(r"modem:   The modem is not on a network since \d\d:\d\d", line), line
    assert state_file.stat().st_mtime_ns != written
    written = state_file.stat().st_mtime_ns
    time.sleep(25)  # more than one status poll (20 s) while nothing changes
    assert len(warnings(lines, words)) == 1, "".join(lines)
    assert state_file.stat().st_mtime_ns == written  # written only when it changes

    vm.control({"cmd": "restore_network"})
    wait_for(lambda: modem_line(prof).startswith("modem:   Ready"), lambda: "".join(lines))
    assert len(warnings(lines, "The modem is ready again")) == 1


def test_a_sim_asking_for_its_pin_is_warned_once_and_shown_by_status(serving) -> None:
    prof, vm, lines = serving
    vm.control({"cmd": "set_pin", "enabled": True})
    vm.control({"cmd": "reboot", "seconds": 1.0})
    words = "The SIM needs its"
    wait_for(lambda: bool(warnings(lines, words)), lambda: "".join(lines), timeout=90)
    wait_for(lambda: "needs its" in modem_line(prof), lambda: modem_line(prof))
    line = modem_line(prof)
    assert line.startswith("modem:   The SIM needs its ") and line.endswith(
        "enter it with textdesk modem-password --pin"
    ), line
    time.sleep(5)
    assert len(warnings(lines, words)) == 1, "".join(lines)


def test_status_of_a_profile_whose_engine_is_gone_says_nothing_of_the_modem(tmp_path) -> None:
    prof = tmp_path / "profile"
    assert textdesk("config", "--profile", str(prof)).returncode == 0
    (prof / "modem-state.json").write_text(
        '{"state": "ready", "since": "2026-01-05T10:00:00+00:00", "signal": 3}', encoding="utf-8"
    )
    assert modem_line(prof) == ""


def test_an_unplugged_modem_is_warned_once_and_shown_by_status(
    serving: tuple[Path, VirtualModem, list[str]],
) -> None:
    prof, vm, lines = serving
    wait_for(lambda: modem_line(prof).startswith("modem:   Ready"), lambda: "".join(lines))
    vm.control({"cmd": "unplug"})  # the pty goes: reads and writes fail, the device is gone
    words = "Texts wait until the modem is back"
    wait_for(lambda: bool(warnings(lines, words)), lambda: "".join(lines))
    (line,) = warnings(lines, words)
    assert "disconnected (unplugged?)" in line, line
    wait_for(lambda: "No modem connected" in modem_line(prof), lambda: modem_line(prof))
    time.sleep(8)  # several reconnect attempts (0.5, 1, 2, 4 s apart) while it stays unplugged
    assert len(warnings(lines, words)) == 1, "".join(lines)
    assert len(warnings(lines, "trouble repeats")) <= 1, "".join(lines)
