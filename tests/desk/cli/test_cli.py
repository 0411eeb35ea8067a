"""The textdesk command line: serve, send, config, ports, status, and its one-line errors."""

from __future__ import annotations

import io
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desk.base.lock import ProfileLock
from desk.base.paths import resolve_profile
from desk.cli.main import SUBCOMMANDS, is_subcommand, main
from desk.store.db import close_database
from desk.store.models import OUT, QUEUED, Message
from desk.store.settings import Settings
from modem.sim import VirtualModem

ROOT = Path(__file__).resolve().parents[3]
CUSTOMER = "+12025550143"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("textdesk: ")
    return lines[0]


@pytest.fixture
def prof(tmp_path: Path) -> str:
    yield str(tmp_path / "profile")
    close_database()


def textdesk(*argv: str, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk.cli.main", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw,
    )  # fmt: skip


# --- the window's entry point asks us -------------------------------------------------------


def test_is_subcommand_tells_the_window_from_the_command_line() -> None:
    assert is_subcommand(["serve"])
    assert is_subcommand(["--profile", "/tmp/x", "send", "+1555", "hi"])
    assert is_subcommand(["--port=/dev/ttyUSB0", "config"])
    assert is_subcommand(["--help"])
    assert not is_subcommand([])
    assert not is_subcommand(["--profile", "/tmp/x"])
    assert not is_subcommand(["--demo"])
    assert {"serve", "send", "config", "ports", "status", "export"} <= SUBCOMMANDS


def test_help_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "serve" in out and "--profile" in out
    code, _, err = run(capsys, "send")
    assert code == 2
    assert "required" in one_line_error(err)
    code, _, err = run(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice" in one_line_error(err)


# --- config -----------------------------------------------------------------------------------


def test_config_lists_reads_and_writes_with_secrets_masked(
    capsys: pytest.CaptureFixture[str], prof: str
) -> None:
    code, out, _ = run(capsys, "config", "--profile", prof, "modem_pin", "4321")
    assert code == 0 and out.strip() == "modem_pin = ****"
    code, out, _ = run(capsys, "--profile", prof, "config")
    assert code == 0
    assert "4321" not in out
    assert re.search(r"^modem_pin\s+\*\*\*\*\s+SIM PIN", out, re.M)
    assert re.search(r"^rate_per_minute\s+6\s+Most automated texts sent per minute", out, re.M)
    code, out, _ = run(capsys, "config", "rate_per_minute", "30", "--profile", prof)
    assert (code, out.strip()) == (0, "rate_per_minute = 30")
    code, out, _ = run(capsys, "config", "rate_per_minute", "--profile", prof)
    assert (code, out.strip()) == (0, "30")
    assert Settings().get("rate_per_minute") == 30
    assert Settings().get("modem_pin") == "4321"


def test_config_errors_are_one_line(capsys: pytest.CaptureFixture[str], prof: str) -> None:
    code, _, err = run(capsys, "config", "--profile", prof, "colour", "blue")
    assert code == 1
    assert "unknown setting “colour”" in one_line_error(err)
    code, _, err = run(capsys, "config", "--profile", prof, "colour")
    assert code == 1 and "unknown setting" in one_line_error(err)
    code, _, err = run(capsys, "config", "--profile", prof, "rate_per_minute", "1000")
    assert code == 1
    assert "rate_per_minute must be between 1 and 60" in one_line_error(err)
    code, _, err = run(capsys, "config", "--profile", prof, "default_country", "Narnia")
    assert code == 1 and "country code" in one_line_error(err)
    assert Settings().get("rate_per_minute") == 6  # nothing changed


def test_a_database_from_a_newer_textdesk_is_refused(
    capsys: pytest.CaptureFixture[str], prof: str
) -> None:
    assert run(capsys, "config", "--profile", prof)[0] == 0
    close_database()
    db_path = resolve_profile(prof).db_path
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    code, _, err = run(capsys, "send", "--profile", prof, CUSTOMER, "hello")
    assert code == 1
    assert "newer TextDesk" in one_line_error(err)


# --- send -------------------------------------------------------------------------------------


def test_send_queues_for_the_next_start(capsys: pytest.CaptureFixture[str], prof: str) -> None:
    code, out, err = run(
        capsys, "send", "--profile", prof, "(202) 555-0143", "Your", "car", "is ready"
    )
    assert code == 0, err
    m = re.fullmatch(
        r"queued message (\d+) to \(202\) 555-0143: it goes out when TextDesk starts\n", out
    )
    assert m, out
    msg = Message.get_by_id(int(m.group(1)))
    assert (msg.direction, msg.state, msg.body, msg.source) == (
        OUT,
        QUEUED,
        "Your car is ready",
        "cli",
    )
    assert msg.conversation.contact.number == CUSTOMER


def test_send_reads_the_text_from_stdin(
    capsys: pytest.CaptureFixture[str], prof: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Line one\nLine two 😀 " + "long " * 40
    monkeypatch.setattr(sys, "stdin", io.StringIO(text + "\n"))
    code, out, err = run(capsys, "--profile", prof, "send", CUSTOMER, "-", "--staff", "Ana")
    assert code == 0, err
    assert re.search(r", \d parts:", out)
    msg = Message.get_by_id(int(out.split()[2]))
    assert (msg.body, msg.staff) == (text, "Ana")


def test_send_errors_are_one_line_and_queue_nothing(
    capsys: pytest.CaptureFixture[str], prof: str
) -> None:
    code, _, err = run(capsys, "send", "--profile", prof, "12", "hello")
    assert code == 1 and "not a phone number" in one_line_error(err)
    code, _, err = run(capsys, "send", "--profile", prof, "call-me-maybe", "hello")
    assert code == 1 and "letters" in one_line_error(err)
    code, _, err = run(capsys, "send", "--profile", prof, CUSTOMER, "   ")
    assert code == 1 and "empty" in one_line_error(err)
    assert Message.select().count() == 0


# --- status -----------------------------------------------------------------------------------


def test_status_before_anything_and_with_a_running_engine(
    capsys: pytest.CaptureFixture[str], prof: str
) -> None:
    code, out, _ = run(capsys, "status", "--profile", prof)
    assert code == 0
    assert "engine:  not running" in out and "no messages yet" in out
    assert not resolve_profile(prof).db_path.exists()  # status does not create a database
    run(capsys, "send", "--profile", prof, CUSTOMER, "First")
    run(capsys, "send", "--profile", prof, CUSTOMER, "Second")
    with ProfileLock(resolve_profile(prof).lock_path, mode="serve"):
        code, out, _ = run(capsys, "status", "--profile", prof, "-n", "1")
        assert code == 0
        assert re.search(r"engine:  running \(pid \d+, textdesk serve, since \d\d:\d\d\)", out)
        assert "outgoing: queued 2, sending 0" in out
        assert "Second" in out and "First" not in out
        code, out, _ = run(capsys, "send", "--profile", prof, CUSTOMER, "Third")
        assert "textdesk serve, since" in out and "sends it now" in out


# --- ports ------------------------------------------------------------------------------------


def test_ports_probes_the_given_device(capsys: pytest.CaptureFixture[str], prof: str) -> None:
    with VirtualModem() as vm:
        code, out, err = run(capsys, "ports", "--profile", prof, "--port", vm.device)
        assert code == 0, err
        assert out.startswith(vm.device)
        assert "answers AT:" in out
    code, out, _ = run(capsys, "ports", "--profile", prof, "--port", "/dev/no-such-modem")
    assert code == 1
    assert "no modem:" in out


def test_ports_does_not_probe_the_modem_of_a_running_engine(
    capsys: pytest.CaptureFixture[str], prof: str
) -> None:
    with ProfileLock(resolve_profile(prof).ensure().lock_path, mode="window"):
        code, out, _ = run(capsys, "ports", "--profile", prof, "--port", "/dev/ttyUSB7")
    assert code == 0
    assert "owns the modem: listing without probing" in out
    assert "/dev/ttyUSB7" in out and "answers AT" not in out


# --- serve ------------------------------------------------------------------------------------


def test_serve_refuses_a_profile_another_engine_holds(prof: str) -> None:
    profile = resolve_profile(prof).ensure()
    with ProfileLock(profile.lock_path, mode="window"):
        out = textdesk("serve", "--profile", prof, "--port", "/dev/null")
    assert out.returncode == 1
    line = one_line_error(out.stderr)
    assert re.fullmatch(
        r"textdesk: TextDesk is already running for this profile \(pid \d+, the window, since \d\d:\d\d\)\.",
        line,
    ), line


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_serve_sends_what_is_queued_and_stops_cleanly_on_a_signal(
    prof: str, stop_with: signal.Signals
) -> None:
    with VirtualModem(report_delay=0.05) as vm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desk.cli.main", "--port", vm.device, "serve", "--profile", prof],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            sent = textdesk("send", "--profile", prof, CUSTOMER, "Hello from the back office")
            assert sent.returncode == 0, sent.stderr
            event = vm.wait_event("submitted", timeout=60)
            assert event["text"] == "Hello from the back office"
            vm.deliver(CUSTOMER, "Thanks!")
            deadline = time.monotonic() + 60
            while "received" not in (textdesk("status", "--profile", prof).stdout):
                assert time.monotonic() < deadline, "incoming text not stored"
                time.sleep(0.2)
            proc.send_signal(stop_with)
            output, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, output
    assert "TextDesk is serving profile" in output
    assert "modem ready" in output
    assert re.search(r"message \d+ received", output)
    assert "engine stopped" in output
    status = textdesk("status", "--profile", prof).stdout
    assert "engine:  not running" in status
    assert "incoming: 1 received" in status


def test_serve_records_a_hard_crash_in_the_crash_log(prof: str) -> None:
    """faulthandler is on in serve: an abort writes every thread's stack to profile.crash_path."""
    profile = resolve_profile(prof)
    with VirtualModem(report_delay=0.05) as vm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desk.cli.main", "serve", "--profile", prof, "--port", vm.device],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            seen = []
            for line in proc.stdout:  # ends when serve exits (then the assert below says why)
                seen.append(line)
                if "modem ready" in line:
                    break
            assert any("modem ready" in line for line in seen), "".join(seen)
            proc.send_signal(signal.SIGABRT)  # as a crash in a C extension would
            output = "".join(seen) + proc.communicate(timeout=60)[0]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    # Dumping the other threads while they run may itself fault (faulthandler says so): the
    # process then ends on SIGSEGV, after the first lines are written.
    assert proc.returncode in (-signal.SIGABRT, -signal.SIGSEGV), output
    crash = profile.crash_path.read_text(encoding="utf-8")
    assert crash.startswith("Fatal Python error: Aborted"), crash
    assert "Thread 0x" in crash, crash  # all threads, not only the one that got the signal
