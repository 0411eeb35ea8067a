"""The demo's and the self-test's virtual modem where there is no pseudo-terminal (Windows): on
TCP, forced on Linux with TEXTDESK_SIM_TRANSPORT or by taking ``os.openpty`` away, and the whole
``textdesk --self-test`` / ``--demo`` run through it in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from desk.demo.virtual import ENV, choose_transport, virtual_modem

ROOT = Path(__file__).resolve().parents[3]
NO_PTY = "import os, sys; del os.openpty; from ui.app import main; sys.exit(main(sys.argv[1:]))"


def test_the_transport_is_pty_by_default_and_forced_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert choose_transport() == "pty"
    monkeypatch.setenv(ENV, "TCP")
    assert choose_transport() == "tcp"
    assert choose_transport("rfc2217") == "rfc2217"  # the parameter wins
    monkeypatch.setenv(ENV, "carrier-pigeon")
    with pytest.raises(ValueError, match="one of pty, tcp, rfc2217"):
        choose_transport()


def test_no_openpty_means_tcp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delattr(os, "openpty")
    assert choose_transport() == "tcp"
    with pytest.raises(ValueError, match="no pseudo-terminals"):
        choose_transport("pty")


def test_forced_tcp_modem_answers_at_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "tcp")
    vm = virtual_modem(customer=False)
    try:
        assert vm.device_path == vm.device
        assert vm.device is not None and vm.device.startswith("socket://127.0.0.1:")
        port = serial.serial_for_url(vm.device, 115200, timeout=0.1)
        try:
            port.write(b"AT+CGMI\r")
            got = b""
            deadline = time.monotonic() + 5
            while b"OK" not in got and time.monotonic() < deadline:
                got += port.read(64)
            assert b"TextDesk" in got and got.endswith(b"OK\r\n")
        finally:
            port.close()
    finally:
        vm.stop()


def _textdesk(args: list[str], env_extra: dict[str, str], *, no_pty: bool = False):
    env = dict(os.environ)
    env.update(env_extra)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-c", NO_PTY] if no_pty else [sys.executable, "-m", "ui.app"]
    return subprocess.run(
        argv + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


def test_self_test_passes_over_tcp() -> None:
    proc = _textdesk(["--self-test"], {ENV: "tcp"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-test: passed" in proc.stdout


def test_self_test_passes_without_pseudo_terminals_as_on_windows() -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    proc = _textdesk(["--self-test"], {**env, ENV: ""}, no_pty=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "self-test: passed" in proc.stdout


def test_demo_starts_over_tcp(tmp_path: Path) -> None:
    proc = _textdesk(["--demo", "--quit-when-shown"], {ENV: "tcp", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
